// Shared bits for the unit tests (not a test file itself: mocha only runs *.test.js).
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { inspect } from 'node:util';
import type { Logger } from '../../src/core/logger';
import type { Observation } from '../../src/core/quota';
import { type KeyInfo, parseKeyInfo } from '../../src/core/responses';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';
import { KEY_LIVE_2026_10 } from '../fixtures/openRouterBodies';

const PROXY_ENV = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

/**
 * Clear proxy variables for the duration of a suite: the client's dispatcher reads them, and a developer's
 * HTTP_PROXY must not send the loopback tests through their proxy. Call inside a describe().
 */
export function isolateProxyEnv(): void {
  const saved = new Map<string, string | undefined>();
  before(() => {
    for (const k of PROXY_ENV) {
      saved.set(k, process.env[k]);
      delete process.env[k];
    }
  });
  after(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

/** Resolves with what a promise rejected with; fails the test if it resolved. */
export async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail, but it succeeded');
}

/** The key (or its secret hex part) appears nowhere in what an error shows, stringifies or logs to. */
export function assertNoKey(e: unknown, key = TEST_KEY): void {
  const hex = key.replace(/^sk-or-v1-/, '');
  const views = [
    String(e),
    e instanceof Error ? e.message : '',
    e instanceof Error ? (e.stack ?? '') : '',
    JSON.stringify(e) ?? '',
    inspect(e, { depth: 6 }),
  ];
  for (const v of views) {
    assert.ok(!v.includes(key), `the key leaked into: ${v.slice(0, 200)}`);
    assert.ok(!v.includes(hex.slice(0, 24)), `part of the key leaked into: ${v.slice(0, 200)}`);
  }
}

export type LogLine = { level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; message: string };

export class MemoryLogger implements Logger {
  readonly lines: LogLine[] = [];
  trace(m: string): void {
    this.lines.push({ level: 'trace', message: m });
  }
  debug(m: string): void {
    this.lines.push({ level: 'debug', message: m });
  }
  info(m: string): void {
    this.lines.push({ level: 'info', message: m });
  }
  warn(m: string): void {
    this.lines.push({ level: 'warn', message: m });
  }
  error(m: string | Error): void {
    this.lines.push({ level: 'error', message: String(m) });
  }
  at(level: LogLine['level']): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.message);
  }
}

/** GET /key as parsed from the recorded live body (12/50 used), with overrides. */
export function keyInfo(over: Partial<KeyInfo> = {}): KeyInfo {
  return { ...parseKeyInfo(structuredClone(KEY_LIVE_2026_10)), ...over };
}

/** An observation fetched at `fetchedAt`, today's count `used` of `limit` (null: the field is absent). */
export function observation(
  fetchedAt: number,
  over: Partial<Observation> = {},
  freeDaily: { used: number; limit: number } | null = { used: 12, limit: 50 },
): Observation {
  return {
    fetchedAt,
    key: keyInfo({
      freeDaily: freeDaily && { ...freeDaily, remaining: Math.max(0, freeDaily.limit - freeDaily.used) },
    }),
    balance: { kind: 'unavailable', reason: 'needs-management-key' },
    creditsCheckedAt: fetchedAt,
    ...over,
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
