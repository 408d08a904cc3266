// OpenRouter's free models in VS Code's chat view and Language Model API (vscode.lm), the thin adapter:
// the model list comes from the session's catalog (asked for the first time when VS Code asks for models,
// not at activation), requests go through the local metering proxy whenever one runs for this key (so they
// are counted, paced and attributed like any other), answers stream back as parts, and failures become
// LanguageModelErrors with a sentence that says what happened and when it resets.
import type { Agent } from '../core/http/undici';
import * as vscode from 'vscode';
import type { ChatTarget } from '../core/chat/client';
import { chatErrorText, chatFailureOf } from '../core/chat/errorText';
import { type ChatModel, chatModelsOf, estimateTokens, quotaDetailKey } from '../core/chat/models';
import { toOpenAIRequest } from '../core/chat/request';
import { AbortedError } from '../core/errors';
import { errorText } from '../core/logger';
import { toChatMessages, toChatTools } from './chatMessages';
import * as config from './config';
import { fallbackSettings } from '../core/fallback/settings';
import { fallbackEventText } from '../core/quotaText';
import type { Services } from './services';

export const CHAT_VENDOR = 'openrouter-quota';
/** The picker's quota detail is refreshed at most this often (only when a level or limit changed). */
const INFO_REFRESH_MS = 10_000;

type Info = vscode.LanguageModelChatInformation & { readonly model: ChatModel };

export class ChatModelsProvider implements vscode.LanguageModelChatProvider<Info>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  /**
   * To the local proxy: loopback, so never through http.proxy (the window's shared agent honours it).
   * Requests straight to OpenRouter use services.clients' shared agent and User-Agent.
   */
  private loopback?: Agent;
  private lastKey = 'none';
  private refreshTimer?: NodeJS.Timeout;
  private lastFired = -Infinity;

  constructor(private readonly services: Services) {
    this.disposables.push(
      vscode.lm.registerLanguageModelChatProvider(CHAT_VENDOR, this),
      services.onDidChangeSnapshot((s) => this.quotaChanged(quotaDetailKey(s))),
      services.onDidChangeSession(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (config.changed(e, 'chat.paidModels')) this.changed.fire();
      }),
    );
  }

  async provideLanguageModelChatInformation(
    _options: vscode.PrepareLanguageModelChatModelOptions,
    token: vscode.CancellationToken,
  ): Promise<Info[]> {
    const session = this.services.session;
    if (!session) return []; // no key: nothing to offer (Set API Key shows them)
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      await session.catalog.refresh(abort.signal);
    } finally {
      sub.dispose();
    }
    const models = chatModelsOf(
      session.catalog.freeModels(),
      config.get('chat.paidModels'),
      (id) => session.catalog.get(id),
      this.services.snapshot,
    );
    this.lastKey = quotaDetailKey(this.services.snapshot);
    return models.map((m) => ({
      id: m.id,
      name: m.name,
      family: m.family,
      version: m.version,
      detail: m.detail,
      tooltip: m.tooltip,
      maxInputTokens: m.maxInputTokens,
      maxOutputTokens: m.maxOutputTokens,
      capabilities: { toolCalling: m.toolCalling, imageInput: m.imageInput },
      model: m,
    }));
  }

  async provideLanguageModelChatResponse(
    info: Info,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const target = this.target();
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    const body = toOpenAIRequest({
      model: info.id,
      messages: toChatMessages(messages),
      tools: toChatTools(options.tools),
      toolMode: options.toolMode === vscode.LanguageModelChatToolMode.Required ? 'required' : 'auto',
      modelOptions: options.modelOptions as Record<string, unknown> | undefined,
    });
    try {
      const { Agent, streamChat, streamChatWithFallback } = await this.services.network();
      const clients = (await this.services.clients()).current;
      this.loopback ??= new Agent({ keepAliveTimeout: 10_000 });
      const dispatcher = target.via === 'proxy' ? this.loopback : clients.dispatcher;
      const call = { dispatcher, userAgent: clients.userAgent, signal: abort.signal, now: Date.now };
      const catalog = this.services.session?.catalog;
      // Through the proxy, the proxy makes the fallback (and the meter lists it); directly, this does.
      const events =
        target.via === 'direct' && catalog
          ? streamChatWithFallback(target, body, call, {
              settings: directFallbackSettings(),
              catalog,
              onFallback: (e) =>
                this.services.log.info(
                  `chat: fallback ${fallbackEventText(e)}, answered ${e.status}; sent directly to OpenRouter (no proxy runs for this key), so the meter did not see it`,
                ),
            })
          : streamChat(target, body, call);
      for await (const ev of events) {
        if (ev.kind === 'text') progress.report(new vscode.LanguageModelTextPart(ev.text));
        else if (ev.kind === 'toolCall')
          progress.report(new vscode.LanguageModelToolCallPart(ev.callId, ev.name, toolInput(ev.input)));
      }
    } catch (e) {
      if (token.isCancellationRequested || AbortedError.is(e)) return;
      const message = chatErrorText(e, info.id, this.services.snapshot, Date.now());
      this.services.log.warn(`chat model ${info.id}: ${message} (${errorText(e)})`);
      throw languageModelError(chatFailureOf(e), message);
    } finally {
      sub.dispose();
    }
  }

  provideTokenCount(_info: Info, text: string | vscode.LanguageModelChatRequestMessage): Promise<number> {
    if (typeof text === 'string') return Promise.resolve(estimateTokens(text));
    const parts = toChatMessages([text])[0].parts;
    const chars = parts.reduce(
      (n, p) =>
        n +
        (p.kind === 'text'
          ? p.text.length
          : p.kind === 'toolResult'
            ? p.content.length
            : p.kind === 'toolCall'
              ? JSON.stringify(p.input ?? {}).length
              : 1000),
      0,
    );
    return Promise.resolve(Math.ceil(chars / 4));
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
    void this.loopback?.close().catch(() => undefined);
  }

  /** Through the proxy when one runs for this key (hosted here or read from another process), else direct. */
  private target(): ChatTarget {
    const key = this.services.apiKey;
    if (!key)
      throw vscode.LanguageModelError.NoPermissions(
        'No OpenRouter key is set: run "OpenRouter: Set API Key" or "OpenRouter: Sign In".',
      );
    const proxy = this.services.proxy;
    const role = proxy?.role?.role;
    if (proxy && (role === 'host' || role === 'reader')) {
      try {
        return { baseUrl: proxy.baseUrl, credential: proxy.getToken(), via: 'proxy' };
      } catch (e) {
        this.services.log.warn(`chat: the proxy token cannot be read (${errorText(e)}); sending directly`);
      }
    }
    return { baseUrl: config.get('apiBaseUrl').replace(/\/+$/, ''), credential: key, via: 'direct' };
  }

  /** The picker shows the quota: refreshed when a level or limit changes, at most every INFO_REFRESH_MS. */
  private quotaChanged(key: string): void {
    if (key === this.lastKey) return;
    this.lastKey = key;
    const wait = this.lastFired + INFO_REFRESH_MS - Date.now();
    if (wait <= 0) return this.fire();
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.fire(), wait);
  }

  private fire(): void {
    this.lastFired = Date.now();
    this.changed.fire();
  }
}

/** Tool-call input must be an object for VS Code; anything else is wrapped. */
function toolInput(v: unknown): object {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
}

function languageModelError(kind: ReturnType<typeof chatFailureOf>, message: string): vscode.LanguageModelError {
  switch (kind) {
    case 'no-permission':
      return vscode.LanguageModelError.NoPermissions(message);
    case 'blocked':
      return vscode.LanguageModelError.Blocked(message);
    case 'not-found':
      return vscode.LanguageModelError.NotFound(message);
    default:
      return new vscode.LanguageModelError(message);
  }
}

/** The free fallback's settings for a chat request sent directly (the paid fallback needs the proxy's budget). */
function directFallbackSettings() {
  return fallbackSettings({
    enabled: config.get('fallback.enabled'),
    models: config.get('fallback.models'),
    paidModel: '',
    paidBudgetUsd: 0,
  });
}
