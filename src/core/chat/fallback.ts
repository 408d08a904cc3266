// The chat models' retry when no proxy runs for this key (with one, the proxy makes it: fallback/*.ts via
// proxy/forward.ts). Same rule: a free model rate-limited upstream, at capacity or ended gets the request
// once more on the next free model that can serve it (tools, images, context), from the user's list or the
// catalog's order; there is no meter here to rank by health. Only before any byte of the answer came back,
// and never for the account's own limits.
import { chooseFallback, needsOf } from '../fallback/choose';
import { ModelHealthBook } from '../fallback/health';
import type { FallbackEvent, FallbackSettings } from '../fallback/types';
import type { ModelCatalog } from '../modelCatalog';
import { type ChatCallOptions, type ChatTarget, streamChat, troubleOf } from './client';
import type { StreamEvent } from './stream';

export interface DirectFallback {
  settings: FallbackSettings;
  catalog: Pick<ModelCatalog, 'get' | 'freeModels' | 'isFree'>;
  /** A retry happened (status: 200 once the other model answers; its error otherwise is thrown as usual). */
  onFallback: (e: FallbackEvent) => void;
}

/** streamChat(), retried once on another free model when the first answer is the model's own trouble. */
export async function* streamChatWithFallback(
  target: ChatTarget,
  body: Record<string, unknown>,
  o: ChatCallOptions,
  fb: DirectFallback,
): AsyncGenerator<StreamEvent> {
  const from = typeof body.model === 'string' ? body.model : '';
  let yielded = false;
  try {
    for await (const ev of streamChat(target, body, o)) {
      yielded = true;
      yield ev;
    }
    return;
  } catch (e) {
    const trouble = troubleOf(e);
    if (yielded || !trouble || !fb.settings.enabled || !fb.catalog.isFree(from)) throw e;
    const choice = chooseFallback({
      exclude: new Set([from]),
      needs: needsOf(body, Buffer.byteLength(JSON.stringify(body))),
      preferred: fb.settings.models,
      catalog: fb.catalog,
      health: new ModelHealthBook(),
      now: o.now(),
    });
    if (choice.model === undefined) throw e;
    const event = (status: number): FallbackEvent => ({
      at: o.now(),
      from,
      to: choice.model,
      reason: trouble,
      paid: false,
      status,
    });
    let first = true;
    try {
      for await (const ev of streamChat(target, { ...body, model: choice.model }, o)) {
        if (first) fb.onFallback(event(200));
        first = false;
        yield ev;
      }
      if (first) fb.onFallback(event(200));
    } catch (e2) {
      if (first) fb.onFallback(event((e2 as { status?: number }).status ?? 0));
      throw e2;
    }
  }
}
