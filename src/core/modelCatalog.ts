// What OpenRouter offers: GET /models, kept for hours. The proxy asks which models draw on the free quota
// (the `:free` suffix and openrouter/free are known without asking; $0 "stealth" models without the suffix
// only from the list); the chat models show names, context sizes, tools and image input from it. The list
// is public, large and changes rarely: fetched at most once per TTL (concurrent callers share one request),
// and the last good list is kept when a refresh fails.
import { isFreeModelId, type ModelInfo } from './responses';
import { HOUR } from '../shared/time';

const MODEL_CATALOG_TTL_MS = 6 * HOUR;

export class ModelCatalog {
  private models = new Map<string, ModelInfo>();
  private freeIds = new Set<string>();
  private fetchedAt = -Infinity;
  private pending?: Promise<void>;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly load: (signal?: AbortSignal) => Promise<ModelInfo[]>,
    private readonly now: () => number,
    private readonly ttlMs = MODEL_CATALOG_TTL_MS,
  ) {}

  /** Refresh the list if it is older than the TTL. Never throws: a failed refresh keeps the old list. */
  async refresh(signal?: AbortSignal): Promise<void> {
    if (this.now() - this.fetchedAt < this.ttlMs) return;
    this.pending ??= this.load(signal)
      .then((models) => {
        this.models = new Map(models.map((m) => [m.id, m]));
        this.freeIds = new Set(models.filter((m) => m.free).map((m) => m.id));
        this.fetchedAt = this.now();
        for (const l of this.listeners) l();
      })
      .catch(() => {
        // Try again after a tenth of the TTL rather than on every call.
        this.fetchedAt = this.now() - this.ttlMs * 0.9;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** True for ids that count against the free quota, as far as is known now (no I/O). */
  isFree(id: string): boolean {
    return isFreeModelId(id) || this.freeIds.has(id);
  }

  /** What the list says of a model, if it is in it. */
  get(id: string): ModelInfo | undefined {
    return this.models.get(id);
  }

  /** Every free model of the last list, in its order. */
  freeModels(): ModelInfo[] {
    return [...this.models.values()].filter((m) => m.free);
  }

  get size(): number {
    return this.freeIds.size;
  }

  /** Called after each successful refresh. */
  onDidRefresh(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}
