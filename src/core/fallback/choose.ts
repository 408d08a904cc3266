// Which free model a request goes to when its own is in trouble: the next healthy one that can serve it.
// "Can serve" is read from the request (tools, images, how long it is) against the catalog (tool support,
// image input, context length); a model the catalog does not describe is not trusted with a request that
// needs tools or images. The user's ordered list comes first; with no list, the healthiest free models.
import type { ModelInfo } from '../responses';
import type { ModelHealthBook } from './health';

/** What a request needs of the model that serves it. */
export interface RequestNeeds {
  tools: boolean;
  images: boolean;
  /** A rough size in tokens (prompt estimate + the output it asks for), to compare with context lengths. */
  tokens: number;
  /** `max_tokens` / `max_completion_tokens` when the request sets one. */
  maxTokens?: number;
}

/**
 * Bytes per token for the estimate against context lengths. English text averages about 4 characters per
 * token; 3 leaves room for code and other languages. An estimate: it only rules out models clearly too small.
 */
const BYTES_PER_TOKEN = 3;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positive = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined;

/** Reads a chat/completions (or responses) body: tools, image parts, size. */
export function needsOf(body: unknown, bytes: number): RequestNeeds {
  const b = isObj(body) ? body : {};
  const tools =
    (Array.isArray(b.tools) && b.tools.length > 0) || (Array.isArray(b.functions) && b.functions.length > 0);
  const maxTokens = positive(b.max_tokens) ?? positive(b.max_completion_tokens) ?? positive(b.max_output_tokens);
  return {
    tools,
    images: hasImage(b.messages) || hasImage(b.input),
    tokens: Math.ceil(bytes / BYTES_PER_TOKEN) + (maxTokens ?? 0),
    maxTokens,
  };
}

/** Any content part of type image_url / input_image in a list of messages (bounded walk). */
function hasImage(messages: unknown): boolean {
  if (!Array.isArray(messages)) return false;
  for (const m of messages.slice(0, 1000)) {
    const content = isObj(m) ? m.content : undefined;
    if (!Array.isArray(content)) continue;
    for (const p of content.slice(0, 1000))
      if (isObj(p) && (p.type === 'image_url' || p.type === 'input_image' || p.type === 'image')) return true;
  }
  return false;
}

/** Why a candidate was passed over (for the log). */
export type Unfit = 'tools' | 'images' | 'context' | 'unhealthy' | 'not-free';

/** Whether `m` (undefined: not in the catalog) can take a request with these needs. */
export function unfitFor(m: ModelInfo | undefined, needs: RequestNeeds): Unfit | undefined {
  if (needs.tools && !m?.tools) return 'tools';
  if (needs.images && !m?.imageInput) return 'images';
  if (m?.contextLength && needs.tokens > m.contextLength) return 'context';
  return undefined;
}

export interface ChoiceInput {
  /** The model that failed (never chosen again), and any already tried. */
  exclude: ReadonlySet<string>;
  needs: RequestNeeds;
  /** The user's ordered list; empty: the catalog's free models, healthiest first. */
  preferred: readonly string[];
  catalog: { get(id: string): ModelInfo | undefined; freeModels(): ModelInfo[]; isFree(id: string): boolean };
  health: ModelHealthBook;
  now: number;
}

/** The model to retry on, or undefined with the reasons the candidates were passed over. */
export function chooseFallback(c: ChoiceInput): { model: string } | { model: undefined; passed: Map<string, Unfit> } {
  const passed = new Map<string, Unfit>();
  const candidates =
    c.preferred.length > 0
      ? c.preferred
      : c.catalog
          .freeModels()
          // openrouter/free picks a model at random: its health says nothing about the next answer.
          .filter((m) => m.id !== 'openrouter/free')
          .map((m, i) => ({ id: m.id, i, score: c.health.score(m.id, c.now) }))
          .sort((a, b) => b.score - a.score || a.i - b.i)
          .map((m) => m.id);
  for (const id of candidates) {
    if (c.exclude.has(id)) continue;
    const why = !c.catalog.isFree(id)
      ? 'not-free'
      : (unfitFor(c.catalog.get(id), c.needs) ?? (c.health.healthy(id, c.now) ? undefined : 'unhealthy'));
    if (!why) return { model: id };
    passed.set(id, why);
  }
  return { model: undefined, passed };
}
