// Which names the ledger counts under, so that what clients send cannot grow its state. A model id comes from
// a request body, and any id ending in `:free` is counted (OpenRouter counts failed attempts too): 100,000
// made-up ids once grew the ledger to 29 MB and GET /quota to 26 MB. So names are bounded per UTC day, when an
// attempt is recorded, and again when the day's counts are shown:
// - a model the free-model catalog knows (GET /models) always keeps its name: OpenRouter's list bounds those;
// - any other model keeps its name only while the day has fewer than MAX_NAMES_PER_DAY names in all, and is
//   counted under OTHER_MODELS from then on;
// - clients (already bounded per process, clientName.ts) likewise, under `other`, past MAX_CLIENTS_PER_DAY.
// Totals stay exact: every attempt is counted under some name, so a day's names always sum to its total.
//
// An id seen before the catalog has loaded (it loads within a second or so of the proxy starting, and is
// retried after a failure) is treated like any unknown id: it takes one of the day's free names, first come
// first served. Once the catalog knows it, its later attempts keep their name even on a full day; the
// attempts before stay where they were counted.
import { OTHER_CLIENT } from './clientName';
import type { Bucket } from './countIndex';
import { cleanClient, cleanName, entryKey, splitKey } from './ledgerFormat';

/** The name every per-model count uses for attempts to models that have no name of their own that day. */
export const OTHER_MODELS = '(other models)';
/**
 * Names a day may hold besides the catalog's models. Twice MAX_MODELS_SHOWN, so that the names shown are the
 * day's top ones by count unless more than this many unknown ids came first. An exact top-N of a stream needs
 * a count for every distinct id, which is the memory this bounds.
 */
export const MAX_NAMES_PER_DAY = 64;
/**
 * Models shown per day (GET /quota, /quota/history) besides the catalog's, the rest summed as OTHER_MODELS.
 * 32: far more than anyone uses in a day (the catalog's free models are always shown anyway), and it keeps
 * GET /quota, which reader windows poll every 3 s, at a few KB whatever clients send.
 */
export const MAX_MODELS_SHOWN = 32;
/** Client names a day may hold: twice what one process keeps (clientName.ts), for restarts that see others. */
export const MAX_CLIENTS_PER_DAY = 32;
export const MAX_CLIENTS_SHOWN = 16;
/**
 * On open the catalog has usually not loaded, so names on disk are taken as they are, up to this many times
 * the bounds above a day: enough for everything they let through (plus the catalog's models); a file written
 * before the bounds existed is cut to it.
 */
export const LOAD_SCALE = 4;

/** Whether the free-model catalog knows this id (as far as it has loaded). */
export type KnownModel = (id: string) => boolean;

export const knowsNothing: KnownModel = () => false;

/** The name to count an attempt to `model` under, given its day's counts so far. */
export function modelName(model: string, day: Bucket | undefined, known: KnownModel, max = MAX_NAMES_PER_DAY): string {
  if (model === OTHER_MODELS || known(model)) return model;
  if (day?.models.has(model)) return model;
  return (day?.models.size ?? 0) < max ? model : OTHER_MODELS;
}

/** The name to count a client under ('' = not known), given its day's counts so far. */
export function clientName(client: string, day: Bucket | undefined, max = MAX_CLIENTS_PER_DAY): string {
  if (!client || client === OTHER_CLIENT || day?.clients.has(client)) return client;
  return (day?.clients.size ?? 0) < max ? client : OTHER_CLIENT;
}

/**
 * The entry key to count an attempt under (model and client, see ledgerFormat.ts), bounded as above; `scale`
 * multiplies both bounds (LOAD_SCALE when reading the files back).
 */
export function boundEntry(
  model: string,
  client: string,
  day: Bucket | undefined,
  known: KnownModel,
  scale = 1,
): string {
  return entryKey(
    modelName(cleanName(model), day, known, scale * MAX_NAMES_PER_DAY),
    clientName(cleanClient(client), day, scale * MAX_CLIENTS_PER_DAY),
  );
}

/** boundEntry() of an entry key read from a file. */
export function boundKey(key: string, day: Bucket | undefined, known: KnownModel, scale: number): string {
  const { model, client } = splitKey(key);
  return boundEntry(model, client, day, known, scale);
}

/**
 * A day's counts as shown: every name `keep` says yes to, the top `max` of the others by count (ties by name),
 * and the rest summed under `other`; the total is unchanged. Largest first.
 */
export function shownCounts(
  counts: ReadonlyMap<string, number> | undefined,
  keep: (name: string) => boolean,
  max: number,
  other: string,
): Record<string, number> {
  const shown: Array<[string, number]> = [];
  const rest: Array<[string, number]> = [];
  let others = 0;
  for (const [name, n] of counts ?? []) {
    if (name === other) others += n;
    else (keep(name) ? shown : rest).push([name, n]);
  }
  const byCount = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  rest.sort(byCount);
  for (let i = 0; i < rest.length; i++) {
    if (i < max) shown.push(rest[i]);
    else others += rest[i][1];
  }
  if (others > 0) shown.push([other, others]);
  return Object.fromEntries(shown.sort(byCount));
}

/** A day's per-model counts as shown: the catalog's models, the top MAX_MODELS_SHOWN others, the rest as OTHER_MODELS. */
export function shownModels(day: Bucket | undefined, known: KnownModel): Record<string, number> {
  return shownCounts(day?.models, known, MAX_MODELS_SHOWN, OTHER_MODELS);
}

/** A day's per-client counts as shown: the top MAX_CLIENTS_SHOWN, the rest as `other`. */
export function shownClients(day: Bucket | undefined): Record<string, number> {
  return shownCounts(day?.clients, knowsNothing, MAX_CLIENTS_SHOWN, OTHER_CLIENT);
}
