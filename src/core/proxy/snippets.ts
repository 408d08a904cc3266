// Ready-to-paste settings for the tools people point at the proxy. Plain text, no vscode, so the CLI can
// print the same thing.

export function proxySnippets(baseUrl: string, token: string): string {
  return `# OpenRouter through the local OpenRouter Quota proxy

Base URL: \`${baseUrl}\`
API key (a local token, not your OpenRouter key): \`${token}\`

The proxy swaps the token for your OpenRouter key, counts every free-model request, and holds requests
that would break the per-minute limit. It listens on 127.0.0.1 only.

## Cline
Provider **OpenAI Compatible**: Base URL \`${baseUrl}\`, API Key \`${token}\`, Model ID e.g.
\`meta-llama/llama-3.3-70b-instruct:free\`.

## Continue (\`~/.continue/config.yaml\`)
\`\`\`yaml
models:
  - name: Llama 3.3 70B (free, via proxy)
    provider: openai
    model: meta-llama/llama-3.3-70b-instruct:free
    apiBase: ${baseUrl}
    apiKey: ${token}
\`\`\`

## aider
\`\`\`sh
export OPENAI_API_BASE=${baseUrl}
export OPENAI_API_KEY=${token}
aider --model openai/meta-llama/llama-3.3-70b-instruct:free
\`\`\`

## curl
\`\`\`sh
curl ${baseUrl}/chat/completions \\
  -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" \\
  -d '{"model":"meta-llama/llama-3.3-70b-instruct:free","messages":[{"role":"user","content":"Hello"}]}'
\`\`\`

## OpenAI SDK
\`\`\`python
from openai import OpenAI
client = OpenAI(base_url="${baseUrl}", api_key="${token}")
\`\`\`
\`\`\`ts
import OpenAI from 'openai';
const client = new OpenAI({ baseURL: '${baseUrl}', apiKey: '${token}' });
\`\`\`

Current counts: \`curl -H "Host: 127.0.0.1:${new URL(baseUrl).port}" http://127.0.0.1:${new URL(baseUrl).port}/quota\`
`;
}
