// One keep-alive agent and one User-Agent per process for everything that asks OpenRouter's management
// endpoints: the extension's session (poller and model catalog), the key check and sign-in, or the CLI.
// Clients from one factory share the agent, so a key check right after start-up reuses the poller's TLS
// connection instead of opening its own, and OpenRouter sees one versioned name. The factory owns the agent:
// a client's close() leaves it open, the factory's close() ends it (after the requests under way).
// The metering proxy's relay keeps its own agent (proxy/server.ts): it follows http.proxy changes by itself.
import type { Dispatcher } from 'undici';
import { createDispatcher, normalizeBaseUrl, OpenRouterClient, type ProxySettings } from './openRouterClient';

export interface ClientFactoryOptions {
  /** OpenRouter's API base (https://openrouter.ai/api/v1 unless configured). */
  baseUrl?: string;
  /** extensionUserAgent() or cliUserAgent(). */
  userAgent: string;
  /** VS Code's http.proxy / http.noProxy; empty: HTTPS_PROXY / NO_PROXY from the environment. */
  proxy?: ProxySettings;
  timeoutMs?: number;
  now?: () => number;
}

export class ClientFactory {
  readonly baseUrl: string;
  readonly userAgent: string;
  /** The agent every client of this factory (and the sign-in exchange) sends through. */
  readonly dispatcher: Dispatcher;

  constructor(private readonly opts: ClientFactoryOptions) {
    this.baseUrl = normalizeBaseUrl(opts.baseUrl);
    this.userAgent = opts.userAgent;
    this.dispatcher = createDispatcher(opts.proxy);
  }

  /** A client for this key over the shared agent. Its close() is a no-op for the agent. */
  client(apiKey: string): OpenRouterClient {
    const o = this.opts;
    return new OpenRouterClient({
      baseUrl: this.baseUrl,
      apiKey,
      dispatcher: this.dispatcher,
      userAgent: this.userAgent,
      timeoutMs: o.timeoutMs,
      now: o.now,
    });
  }

  /** Closes the agent once the requests under way have finished; later requests fail (ClientClosedError). */
  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => undefined);
  }
}

/** `openrouter-quota/0.1.0 (vscode 1.104.0)`: the extension's name for itself. */
export function extensionUserAgent(extensionVersion: string, vscodeVersion: string): string {
  return `openrouter-quota/${extensionVersion} (vscode ${vscodeVersion})`;
}

/** `openrouter-quota-cli/0.1.0`: the command line's name for itself. */
export function cliUserAgent(version: string): string {
  return `openrouter-quota-cli/${version}`;
}
