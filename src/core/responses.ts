// Validation of OpenRouter's JSON answers into small typed records. Lenient where OpenRouter is known to
// vary (optional and newer fields become null), strict where nothing sensible can be shown (no `data`).
import { ResponseShapeError } from './errors';

/** `free_model_daily_requests` from GET /key: the account-wide free-model counter for the UTC day. */
export interface FreeDaily {
  used: number;
  limit: number;
  /** Never below 0, even when `used` is above `limit` (failed attempts are counted too). */
  remaining: number;
}

export interface KeyInfo {
  /** The masked key, e.g. "sk-or-v1-0e6...1c96". */
  label: string | null;
  /** The key's own spending cap in USD (null: no cap). Not the account balance. */
  limit: number | null;
  limitRemaining: number | null;
  /** daily | weekly | monthly, or null for a cap that never resets. */
  limitReset: string | null;
  usage: number | null;
  usageDaily: number | null;
  /** true means the account never bought credits; see openrouter-api.md §1.3 for why it is not the tier. */
  isFreeTier: boolean | null;
  isManagementKey: boolean;
  /** null when the server does not report the field (older deployments). */
  freeDaily: FreeDaily | null;
}

export interface Credits {
  totalCredits: number;
  totalUsage: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function count(v: unknown): number | null {
  const n = num(v);
  return n !== null && n >= 0 && n <= Number.MAX_SAFE_INTEGER ? Math.floor(n) : null;
}

function dataOf(body: unknown, what: string): Record<string, unknown> {
  if (!isObject(body) || !isObject(body.data)) throw new ResponseShapeError(`${what}: expected an object with "data"`);
  return body.data;
}

export function parseFreeDaily(v: unknown): FreeDaily | null {
  if (!isObject(v)) return null;
  const used = count(v.used);
  const limit = count(v.limit);
  if (used === null || limit === null || limit === 0) return null;
  const reported = count(v.remaining);
  // Trust used/limit over remaining: remaining is derived, and has been seen clamped at 0 with used > limit.
  const remaining = Math.max(0, Math.min(reported ?? limit - used, limit - used));
  return { used, limit, remaining };
}

export function parseKeyInfo(body: unknown): KeyInfo {
  const d = dataOf(body, 'GET /key');
  return {
    label: typeof d.label === 'string' ? d.label : null,
    limit: num(d.limit),
    limitRemaining: num(d.limit_remaining),
    limitReset: typeof d.limit_reset === 'string' ? d.limit_reset : null,
    usage: num(d.usage),
    usageDaily: num(d.usage_daily),
    isFreeTier: typeof d.is_free_tier === 'boolean' ? d.is_free_tier : null,
    isManagementKey: d.is_management_key === true || d.is_provisioning_key === true,
    freeDaily: parseFreeDaily(d.free_model_daily_requests),
  };
}

export function parseCredits(body: unknown): Credits {
  const d = dataOf(body, 'GET /credits');
  const totalCredits = num(d.total_credits);
  const totalUsage = num(d.total_usage);
  if (totalCredits === null || totalUsage === null)
    throw new ResponseShapeError('GET /credits: total_credits and total_usage must be numbers');
  return { totalCredits, totalUsage };
}

/** One model of GET /models, as the proxy's catalog and the chat models need it. */
export interface ModelInfo {
  id: string;
  /** Display name ("Meta: Llama 3.3 70B Instruct (free)"), else the id. */
  name: string;
  /** Draws on the free quota: a `:free` variant, openrouter/free, or priced 0/0. */
  free: boolean;
  /** Tokens the model accepts (context_length), when known. */
  contextLength: number | null;
  /** Tokens it may produce (top_provider.max_completion_tokens), when known. */
  maxOutputTokens: number | null;
  /** `tools` is among its supported_parameters. */
  tools: boolean;
  /** `image` is among its architecture.input_modalities. */
  imageInput: boolean;
  /** USD per token (pricing.prompt / pricing.completion), when given. */
  pricePrompt: number | null;
  priceCompletion: number | null;
}

const MAX_NAME = 200;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const price = (v: unknown): number | null =>
  (typeof v === 'string' || typeof v === 'number') && String(v).trim() !== '' && Number.isFinite(Number(v))
    ? Number(v)
    : null;

/** GET /models, every entry with an id; the fields OpenRouter may leave out become null or false. */
export function parseModels(body: unknown): ModelInfo[] {
  if (!isObject(body) || !Array.isArray(body.data))
    throw new ResponseShapeError('GET /models: expected "data" to be a list');
  const out: ModelInfo[] = [];
  for (const m of body.data) {
    if (!isObject(m) || typeof m.id !== 'string' || m.id === '') continue;
    const p = isObject(m.pricing) ? m.pricing : {};
    const top = isObject(m.top_provider) ? m.top_provider : {};
    const arch = isObject(m.architecture) ? m.architecture : {};
    const pricePrompt = price(p.prompt);
    const priceCompletion = price(p.completion);
    out.push({
      id: m.id,
      name: typeof m.name === 'string' && m.name.trim() ? m.name.trim().slice(0, MAX_NAME) : m.id,
      free: isFreeModelId(m.id) || (pricePrompt === 0 && priceCompletion === 0),
      contextLength: count(m.context_length) || count(top.context_length) || null,
      maxOutputTokens: count(top.max_completion_tokens) || null,
      tools: strings(m.supported_parameters).includes('tools'),
      imageInput: strings(arch.input_modalities).includes('image'),
      pricePrompt,
      priceCompletion,
    });
  }
  return out;
}

/** Ids of models that draw on the free quota: `:free` variants, openrouter/free, and anything priced 0/0. */
export function parseFreeModelIds(body: unknown): string[] {
  return parseModels(body)
    .filter((m) => m.free)
    .map((m) => m.id);
}

export function isFreeModelId(id: string): boolean {
  return id.endsWith(':free') || id === 'openrouter/free';
}
