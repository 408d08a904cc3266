// The parts of undici this code uses, loaded from their own files. undici's index also loads fetch,
// WebSocket, caches, mocks and interceptors that nothing here calls: about 280 KB of the shipped bundle
// (measured with esbuild's metafile, undici 7.30). undici has no `exports` map, so these paths are public
// files of the package; its types still come from 'undici'. A test (test/unit/undici.test.ts) checks they
// are the same classes the index exports, so an undici upgrade that moves them fails there, not in use.
import type * as Undici from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports -- deep CommonJS files without their own types */
const AgentClass = require('undici/lib/dispatcher/agent') as typeof Undici.Agent;
const EnvHttpProxyAgentClass = require('undici/lib/dispatcher/env-http-proxy-agent') as typeof Undici.EnvHttpProxyAgent;
const apiRequest = require('undici/lib/api/api-request') as (
  this: Undici.Dispatcher,
  opts: Undici.Dispatcher.RequestOptions,
) => Promise<Undici.Dispatcher.ResponseData>;
const { getGlobalDispatcher } = require('undici/lib/global') as { getGlobalDispatcher(): Undici.Dispatcher };
/* eslint-enable @typescript-eslint/no-require-imports */

export const Agent = AgentClass;
export type Agent = Undici.Agent;
export const EnvHttpProxyAgent = EnvHttpProxyAgentClass;
export type EnvHttpProxyAgent = Undici.EnvHttpProxyAgent;

export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Undici.Dispatcher.HttpMethod;
  /** undici's global dispatcher when absent, as undici's own request(). */
  dispatcher?: Undici.Dispatcher;
};

/** undici's request(url, options): the same call, without loading undici's index. */
export function request(url: string, opts: RequestOptions = {}): Promise<Undici.Dispatcher.ResponseData> {
  const u = new URL(url);
  const { dispatcher = getGlobalDispatcher(), ...rest } = opts;
  return apiRequest.call(dispatcher, {
    ...rest,
    origin: u.origin,
    path: `${u.pathname}${u.search}`,
    method: rest.method ?? (rest.body ? 'PUT' : 'GET'),
  });
}
