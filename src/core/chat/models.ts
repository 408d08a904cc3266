// The chat models this extension offers to VS Code (the chat view's model picker and vscode.lm): OpenRouter's
// free models from the catalog, plus paid ids the user chose, each with its limits and capabilities and the
// live quota in its detail ("free · 12/50 today · 3/20 this minute").
import type { ModelInfo } from '../responses';
import type { QuotaSnapshot } from '../quota';
import { dayFigure, minuteFigure } from '../quotaText';

export interface ChatModel {
  id: string;
  name: string;
  family: string;
  version: string;
  detail: string;
  tooltip: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  toolCalling: boolean;
  imageInput: boolean;
  free: boolean;
}

/** When the catalog does not say (a paid id it does not list, or a model without the fields). */
const DEFAULT_CONTEXT = 32_768;
const DEFAULT_OUTPUT = 4_096;

/** "free · 12/50 today · 3/20 this minute", or just "free" while the quota is not known. */
export function quotaDetail(s: QuotaSnapshot | undefined): string {
  if (!s?.day || !s.minute) return 'free';
  return `free · ${dayFigure(s.day)} today · ${minuteFigure(s.minute)} this minute`;
}

/** Changes only when a level or a limit changes: the picker is refreshed then, not on every request. */
export function quotaDetailKey(s: QuotaSnapshot | undefined): string {
  if (!s?.day || !s.minute) return 'none';
  return `${s.day.level}|${s.minute.level}|${s.day.limit}|${s.minute.limit}|${s.minute.known}`;
}

export function chatModelsOf(
  free: readonly ModelInfo[],
  paidIds: readonly string[],
  lookup: (id: string) => ModelInfo | undefined,
  s: QuotaSnapshot | undefined,
): ChatModel[] {
  const detail = quotaDetail(s);
  const out: ChatModel[] = free.map((m) => chatModel(m, true, detail));
  const seen = new Set(out.map((m) => m.id));
  for (const raw of paidIds) {
    const id = raw.trim();
    if (!id || seen.has(id)) continue;
    seen.add(id);
    const m = lookup(id) ?? {
      id,
      name: id,
      free: false,
      contextLength: null,
      maxOutputTokens: null,
      tools: true,
      imageInput: false,
      pricePrompt: null,
      priceCompletion: null,
    };
    out.push(chatModel(m, m.free, m.free ? detail : 'paid: costs credits, no free quota'));
  }
  return out;
}

function chatModel(m: ModelInfo, free: boolean, detail: string): ChatModel {
  const context = m.contextLength ?? DEFAULT_CONTEXT;
  const output = Math.min(m.maxOutputTokens ?? DEFAULT_OUTPUT, Math.max(1, Math.floor(context / 2)));
  const family =
    m.id
      .replace(/:free$/, '')
      .split('/')
      .pop() ?? m.id;
  const limits = `${context.toLocaleString('en-US')} tokens of context, up to ${output.toLocaleString('en-US')} out${m.tools ? ', tool calls' : ''}${m.imageInput ? ', images' : ''}`;
  return {
    id: m.id,
    name: m.name,
    family,
    version: m.id,
    detail,
    tooltip: `${m.id} through OpenRouter${free ? ': a free model, counted against your free quota by the local proxy' : ': a paid model'}. ${limits}.`,
    maxInputTokens: Math.max(1, context - output),
    maxOutputTokens: output,
    toolCalling: m.tools,
    imageInput: m.imageInput,
    free,
  };
}

/** A rough token count (about 4 characters a token): VS Code asks before sending, to fit the context. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
