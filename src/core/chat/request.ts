// A chat request in the editor's terms (VS Code's language-model messages, mapped by vscode/chatProvider.ts
// into these plain types) turned into OpenRouter's OpenAI-style chat completion request. No vscode here.
//
// OpenAI's shape differs in two ways that matter: tool results are messages of their own (role "tool",
// right after the assistant message that called the tools), where VS Code puts them inside a user message;
// and an assistant's tool calls carry their arguments as a JSON string.

export type ChatPart =
  | { kind: 'text'; text: string }
  | { kind: 'image'; mime: string; data: Uint8Array }
  | { kind: 'toolCall'; callId: string; name: string; input: unknown }
  | { kind: 'toolResult'; callId: string; content: string };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  parts: ChatPart[];
  name?: string;
}

export interface ChatTool {
  name: string;
  description: string;
  /** JSON schema of the input; an empty object schema when absent. */
  inputSchema?: object;
}

export interface ChatRequestSpec {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  /** required: the model must call a tool (one of them, or the only one). */
  toolMode?: 'auto' | 'required';
  /** The caller's model options (temperature, max_tokens, …); they cannot replace what this builds. */
  modelOptions?: Record<string, unknown>;
}

type OpenAIContent = string | Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }>;

interface OpenAIMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: OpenAIContent | null;
  name?: string;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

/** Keys the caller's modelOptions may not set: they are this request's own. */
const RESERVED = new Set(['model', 'messages', 'stream', 'tools', 'tool_choice', 'stream_options']);

export function toOpenAIRequest(spec: ChatRequestSpec): Record<string, unknown> {
  const messages: OpenAIMessage[] = [];
  for (const m of spec.messages) messages.push(...convert(m));
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.modelOptions ?? {})) if (!RESERVED.has(k)) body[k] = v;
  body.model = spec.model;
  body.messages = messages;
  body.stream = true;
  const tools = spec.tools ?? [];
  if (tools.length > 0) {
    body.tools = tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        description: t.description,
        parameters: t.inputSchema ?? { type: 'object', properties: {} },
      },
    }));
    if (spec.toolMode === 'required')
      body.tool_choice = tools.length === 1 ? { type: 'function', function: { name: tools[0].name } } : 'required';
  }
  return body;
}

function convert(m: ChatMessage): OpenAIMessage[] {
  const name = m.name ? { name: m.name } : {};
  if (m.role === 'system') return [{ role: 'system', content: textOf(m.parts), ...name }];
  if (m.role === 'assistant') {
    const calls = m.parts.filter((p): p is Extract<ChatPart, { kind: 'toolCall' }> => p.kind === 'toolCall');
    const text = textOf(m.parts);
    return [
      {
        role: 'assistant',
        content: text === '' && calls.length > 0 ? null : text,
        ...name,
        ...(calls.length > 0
          ? {
              tool_calls: calls.map((c) => ({
                id: c.callId,
                type: 'function' as const,
                function: { name: c.name, arguments: JSON.stringify(c.input ?? {}) },
              })),
            }
          : {}),
      },
    ];
  }
  // user: tool results first (they answer the previous assistant message), then what the user says.
  const out: OpenAIMessage[] = m.parts
    .filter((p): p is Extract<ChatPart, { kind: 'toolResult' }> => p.kind === 'toolResult')
    .map((r) => ({ role: 'tool', tool_call_id: r.callId, content: r.content }));
  const content = userContent(m.parts);
  if (content !== undefined) out.push({ role: 'user', content, ...name });
  return out;
}

function textOf(parts: ChatPart[]): string {
  return parts
    .filter((p): p is Extract<ChatPart, { kind: 'text' }> => p.kind === 'text')
    .map((p) => p.text)
    .join('');
}

/** A plain string when the message is only text; parts when it has images; undefined when it has neither. */
function userContent(parts: ChatPart[]): OpenAIContent | undefined {
  const shown = parts.filter((p) => p.kind === 'text' || p.kind === 'image');
  if (shown.length === 0) return undefined;
  if (shown.every((p) => p.kind === 'text')) return textOf(shown);
  return shown.map((p) =>
    p.kind === 'text'
      ? { type: 'text' as const, text: p.text }
      : {
          type: 'image_url' as const,
          image_url: {
            url: `data:${(p as { mime: string }).mime};base64,${Buffer.from((p as { data: Uint8Array }).data).toString('base64')}`,
          },
        },
  );
}
