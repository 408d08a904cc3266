// Which models draw on the free quota. The `:free` suffix and openrouter/free are known without asking;
// $0 "stealth" models without the suffix are only known from GET /models, which is public, large and
// changes rarely, so it is fetched at most once per TTL (concurrent callers share one request) and the
// last good list is kept when a refresh fails.
import { isFreeModelId } from './responses';

const MODEL_CATALOG_TTL_MS = 6 * 3_600_000;

export class FreeModelCatalog {
  private ids = new Set<string>();
  private fetchedAt = -Infinity;
  private pending?: Promise<void>;

  constructor(
    private readonly load: (signal?: AbortSignal) => Promise<string[]>,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = MODEL_CATALOG_TTL_MS,
  ) {}

  /** Refresh the list if it is older than the TTL. Never throws: a failed refresh keeps the old list. */
  async refresh(signal?: AbortSignal): Promise<void> {
    if (this.now() - this.fetchedAt < this.ttlMs) return;
    this.pending ??= this.load(signal)
      .then((ids) => {
        this.ids = new Set(ids);
        this.fetchedAt = this.now();
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
    return isFreeModelId(id) || this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
