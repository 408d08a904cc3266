// What a MeteringProxy is built from (server.ts): the account it meters, where its state and settings come
// from, and the hooks the host listens on.
import type { Dispatcher } from 'undici';
import type { AccountModel } from '../account/model';
import type { Clock } from '../clock';
import type { FallbackSettings } from '../fallback/types';
import type { Logger } from '../logger';
import type { ModelCatalog } from '../modelCatalog';
import type { ProxySettings } from '../openRouterClient';
import type { BodyBudget } from './bodyBudget';
import type { Ledger } from './ledger';
import type { PacingMode } from './pacer';

export interface ProxyOptions {
  port: number;
  /** OpenRouter's API base, e.g. https://openrouter.ai/api/v1. */
  upstream: () => string;
  /** The real key of the account metered, swapped in for the local token. */
  apiKey: string;
  /** accountFingerprint() of that key: who this proxy meters (readers of /quota must show the same one). */
  fingerprint: string;
  /** The local token clients must send. */
  token: () => string | undefined;
  ledger: Ledger;
  /** The account model: the ledger is its meter; 429s teach it; /quota is its view. */
  account: AccountModel;
  catalog: ModelCatalog;
  pacing: () => PacingMode;
  maxWaitSeconds: () => number;
  /** Path prefixes the token opens beyond its scope (scope.ts), read per request: the same array until it changes. */
  extraPaths?: () => readonly string[] | undefined;
  /** The fallbacks' settings (fallback/types.ts), read per request; undefined: off. */
  fallback?: () => FallbackSettings | undefined;
  /** Where the paid fallback keeps today's spend (<stateDir>/paid-fallback.json); undefined: in memory only. */
  paidBudgetFile?: string;
  maxQueue?: number;
  maxBodyBytes?: number;
  /** The cap on request-body bytes held in memory across all requests (bodyBudget.ts; 64 MiB by default). */
  bodyBudget?: BodyBudget;
  /** A client must finish sending its request (headers and body) within this many ms (default 120 000). */
  requestTimeoutMs?: number;
  clock: Clock;
  log?: Logger;
  /** How to reach the upstream; by default from `upstreamProxy` (and HTTPS_PROXY/NO_PROXY). */
  dispatcher?: Dispatcher;
  /** An explicit HTTP proxy for the upstream (VS Code's http.proxy); see setUpstreamProxy(). */
  upstreamProxy?: ProxySettings;
  /** After each forwarded request (for a debounced GET /key refresh). */
  onRequestFinished?: (r: { model?: string; free: boolean; status: number }) => void;
  /** Whenever the counts, the queue or the learned limits change. */
  onChange?: () => void;
}
