// QuotaPoller on a FakeClock with a scripted fetch: schedule, focus, backoff, server hints, a rejected key,
// refresh, dispose, and several windows sharing one store. Time only moves when the test moves it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthError, NetworkError, RateLimitError, ServerError } from '../../src/core/errors';
import { MAX_BACKOFF_MS, type PollerDeps, QuotaPoller } from '../../src/core/poller';
import { DEFAULT_SETTINGS, type QuotaSettings, type QuotaSnapshot } from '../../src/core/quota';
import { FileSharedStore, MemorySharedStore, type SharedStore } from '../../src/core/sharedStore';
import { DAY, HOUR, MINUTE } from '../../src/shared/time';
import { FakeClock, settle } from '../fixtures/fakeClock';
import { MemoryLogger, observation } from './helpers';
import { AccountModel } from '../../src/core/account/model';
import { MemoryMeter } from './accountSupport';
import { ScriptedFetch } from './pollerSupport';

const T0 = Date.UTC(2026, 9, 1, 12, 0, 0);

describe('QuotaPoller (fake clock, scripted fetch)', () => {
  let clock: FakeClock;
  let store: MemorySharedStore;
  let api: ScriptedFetch;
  let settings: QuotaSettings;
  let log: MemoryLogger;
  const pollers: QuotaPoller[] = [];

  const make = (over: Partial<PollerDeps> = {}): QuotaPoller => {
    const p = new QuotaPoller({
      clock,
      fetch: api.fetch,
      store,
      keyId: 'k1',
      owner: 'window-a',
      settings: () => settings,
      random: () => 0.5,
      log,
      ...over,
    });
    pollers.push(p);
    return p;
  };

  /** start() and let the first poll settle. */
  const started = async (over: Partial<PollerDeps> = {}): Promise<QuotaPoller> => {
    const p = make(over);
    p.start();
    await settle();
    return p;
  };

  beforeEach(() => {
    clock = new FakeClock(T0);
    store = new MemorySharedStore();
    api = new ScriptedFetch(clock);
    settings = { ...DEFAULT_SETTINGS };
    log = new MemoryLogger();
  });

  afterEach(() => {
    for (const p of pollers.splice(0)) p.dispose();
  });

  describe('schedule', () => {
    it('polls on start, then once per interval', async () => {
      const p = make();
      const seen: QuotaSnapshot[] = [];
      p.onSnapshot((s) => seen.push(s));
      p.start();
      assert.equal(seen[0]?.status, 'loading');
      await settle();
      assert.deepEqual(api.times, [T0]);
      assert.equal(p.snapshot().day?.used, 12);
      assert.equal(seen.at(-1)?.status, 'ok');

      await clock.advanceAsync(MINUTE - 1);
      assert.equal(api.calls.length, 1);
      await clock.advanceAsync(1);
      assert.equal(api.calls.length, 2);
      await clock.advanceAsync(10 * MINUTE);
      assert.equal(api.calls.length, 12);
      assert.ok(
        api.gaps.every((g) => g === MINUTE),
        String(api.gaps),
      );
      assert.equal(clock.pending, 1, 'exactly one timer waits');
    });

    it('hands the last observation to the next fetch, so the minute estimate has its input', async () => {
      await started();
      api.used = 15;
      await clock.advanceAsync(MINUTE);
      const p = pollers[0];
      assert.equal(api.calls[1].previous?.fetchedAt, T0);
      assert.deepEqual(p.snapshot().minute?.used, 3);
    });

    for (const seconds of [29, 5, 0, -10]) {
      it(`never polls more often than every 30 s (setting: ${seconds} s)`, async () => {
        settings.pollIntervalSeconds = seconds;
        await started();
        await clock.advanceAsync(5 * MINUTE);
        assert.equal(api.calls.length, 11);
        assert.ok(
          api.gaps.every((g) => g === 30_000),
          String(api.gaps),
        );
      });
    }

    it('follows a longer interval, and a changed setting from the next poll on', async () => {
      settings.pollIntervalSeconds = 120;
      await started();
      await clock.advanceAsync(4 * MINUTE);
      assert.deepEqual(api.times, [T0, T0 + 2 * MINUTE, T0 + 4 * MINUTE]);
      settings.pollIntervalSeconds = 300;
      await clock.advanceAsync(2 * MINUTE);
      assert.equal(api.calls.length, 3, 'the timer set under the old interval is re-checked against the new one');
      await clock.advanceAsync(3 * MINUTE);
      assert.deepEqual(api.times.slice(3), [T0 + 9 * MINUTE]);
    });

    it('polls every 30 s while requests bypass the proxy with this minute near its limit, then back to the interval', async () => {
      const account = new AccountModel({ clock, settings: () => settings });
      const meter = new MemoryMeter();
      account.attachMeter(meter);
      await started({ account });
      api.used = 12 + 17; // 17 requests elsewhere in the next minute
      await clock.advanceAsync(MINUTE);
      assert.equal(pollers[0].snapshot().minute?.known, 'estimate');
      await clock.advanceAsync(30_000);
      assert.deepEqual(api.gaps, [MINUTE, 30_000], 'fast while hot');
      // The rate over the last two intervals is no longer near the limit: back to the setting's interval,
      // and exact once two intervals passed without growth.
      await clock.advanceAsync(MINUTE);
      assert.deepEqual(api.gaps, [MINUTE, 30_000, MINUTE]);
      assert.equal(pollers[0].snapshot().minute?.known, 'exact');
    });

    it('a listener that throws does not stop the polling', async () => {
      const p = make();
      p.onSnapshot(() => {
        throw new Error('view broke');
      });
      p.start();
      await clock.advanceAsync(2 * MINUTE);
      assert.equal(api.calls.length, 3);
      assert.ok(log.at('error').some((m) => m.includes('view broke')));
    });
  });

  describe('focus', () => {
    it('does not poll at all while unfocused, however long', async () => {
      const p = await started();
      p.setFocused(false);
      await clock.advanceAsync(12 * HOUR);
      assert.equal(api.calls.length, 1);
      assert.equal(clock.pending, 0, 'no timer is left running');
    });

    it('polls once on focus when the data is stale, then resumes the interval', async () => {
      const p = await started();
      p.setFocused(false);
      await clock.advanceAsync(3 * HOUR);
      p.setFocused(true);
      await settle();
      assert.deepEqual(api.times, [T0, T0 + 3 * HOUR]);
      p.setFocused(true); // a repeated event changes nothing
      await settle();
      assert.equal(api.calls.length, 2);
      await clock.advanceAsync(MINUTE);
      assert.deepEqual(api.times, [T0, T0 + 3 * HOUR, T0 + 3 * HOUR + MINUTE]);
    });

    it('does not poll on focus when the data is fresh; the next poll stays on schedule', async () => {
      const p = await started();
      await clock.advanceAsync(10_000);
      p.setFocused(false);
      await clock.advanceAsync(10_000);
      p.setFocused(true);
      await settle();
      assert.equal(api.calls.length, 1);
      await clock.advanceAsync(MINUTE - 20_000 - 1);
      assert.equal(api.calls.length, 1);
      await clock.advanceAsync(1);
      assert.deepEqual(api.times, [T0, T0 + MINUTE]);
    });

    it('a window that starts unfocused waits for focus', async () => {
      const p = make();
      p.setFocused(false);
      p.start();
      await clock.advanceAsync(HOUR);
      assert.equal(api.calls.length, 0);
      assert.equal(p.snapshot().status, 'loading');
      p.setFocused(true);
      await settle();
      assert.equal(api.calls.length, 1);
    });

    it('losing focus during a poll: the poll finishes, nothing is scheduled after it', async () => {
      api.script.push('hang');
      const p = make();
      p.start();
      p.setFocused(false);
      assert.equal(api.calls.length, 1);
      await clock.advanceAsync(HOUR);
      assert.equal(api.calls.length, 1);
    });
  });

  describe('errors and backoff', () => {
    const failAlways = (n: number) => {
      for (let i = 0; i < n; i++) api.script.push(new NetworkError('GET /key: connect ECONNREFUSED'));
    };

    it('backs off exponentially from 15 s, jittered by random(), capped at 15 min', async () => {
      failAlways(12);
      await started({ random: () => 1 });
      await clock.advanceAsync(2 * HOUR);
      assert.deepEqual(
        api.gaps.slice(0, 9),
        [15_000, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000],
      );
      assert.ok(api.gaps.every((g) => g <= MAX_BACKOFF_MS));
    });

    it('jitter takes half to all of the backoff (random() = 0 halves it)', async () => {
      failAlways(10);
      await started({ random: () => 0 });
      await clock.advanceAsync(HOUR);
      assert.deepEqual(api.gaps.slice(0, 8), [7_500, 15_000, 30_000, 60_000, 120_000, 240_000, 450_000, 450_000]);
    });

    it('the error snapshot says when the next try is; a success clears the error and the backoff', async () => {
      failAlways(3);
      const p = await started();
      let s = p.snapshot();
      assert.equal(s.status, 'error');
      assert.equal(s.error?.reason, 'network');
      assert.equal(s.error?.retryAt, T0 + 11_250);
      assert.match(s.error?.message ?? '', /Cannot reach OpenRouter/);
      await clock.advanceAsync(11_250 + 22_500 + 45_000);
      assert.equal(api.calls.length, 4);
      s = p.snapshot();
      assert.equal(s.status, 'ok');
      assert.equal(s.error, undefined);
      await clock.advanceAsync(MINUTE);
      assert.equal(api.gaps.at(-1), MINUTE, 'back to the normal interval');
      api.script.push(new NetworkError('again'));
      await clock.advanceAsync(MINUTE);
      await clock.advanceAsync(11_250);
      assert.equal(api.gaps.at(-1), 11_250, 'the backoff starts over from 15 s');
      assert.ok(log.at('warn').some((m) => m.includes('poll failed (1 in a row)')));
    });

    it('keeps the last numbers through an error, marked stale', async () => {
      const p = await started();
      api.script.push(new ServerError('busy', 503));
      await clock.advanceAsync(MINUTE);
      const s = p.snapshot();
      assert.deepEqual([s.status, s.stale, s.day?.used], ['error', true, 12]);
    });

    it("waits for a 429's reset when it is later than the backoff", async () => {
      api.script.push(new RateLimitError('free-models-per-min', 'per-minute', T0 + 40_000, 20));
      const p = await started();
      assert.equal(p.snapshot().error?.retryAt, T0 + 40_000);
      await clock.advanceAsync(40_000 - 1);
      assert.equal(api.calls.length, 1);
      await clock.advanceAsync(1);
      assert.deepEqual(api.times, [T0, T0 + 40_000]);
    });

    it('a per-day 429 waits until the reset at midnight, not a backoff step', async () => {
      const midnight = Date.UTC(2026, 9, 2);
      api.script.push(new RateLimitError('free-models-per-day', 'per-day', midnight, 50));
      await started();
      await clock.advanceToAsync(midnight - 1);
      assert.equal(api.calls.length, 1);
      await clock.advanceAsync(1);
      assert.deepEqual(api.times, [T0, midnight]);
    });

    it('a reset hint is capped at 24 h; one in the past falls back to the backoff', async () => {
      api.script.push(new RateLimitError('odd', 'unknown', T0 + 3 * DAY, undefined));
      await started();
      await clock.advanceAsync(DAY - 1);
      assert.equal(api.calls.length, 1);
      await clock.advanceAsync(1);
      assert.equal(api.calls.length, 2);
      api.script.push(new RateLimitError('stale hint', 'unknown', T0 - HOUR, undefined));
      await clock.advanceAsync(MINUTE);
      await clock.advanceAsync(11_250);
      assert.equal(api.gaps.at(-1), 11_250);
    });

    it('honours a 5xx Retry-After', async () => {
      api.script.push(new ServerError('busy', 503, T0 + 120_000));
      await started();
      await clock.advanceAsync(120_000);
      assert.deepEqual(api.times, [T0, T0 + 120_000]);
    });

    it('an unexpected non-OpenRouter error is logged with its stack and backed off like a network error', async () => {
      api.script.push(new TypeError('bug in a parser'));
      const p = await started();
      assert.equal(p.snapshot().error?.reason, 'network');
      assert.ok(log.at('error').some((m) => m.includes('TypeError: bug in a parser')));
      await clock.advanceAsync(11_250);
      assert.equal(api.calls.length, 2);
    });
  });

  describe('a rejected key', () => {
    it('stops polling, however far the clock goes, until refresh()', async () => {
      api.script.push(new AuthError('User not found.', 401));
      const p = await started();
      const s = p.snapshot();
      assert.deepEqual([s.status, s.error?.reason, s.severity], ['error', 'auth', 'critical']);
      assert.equal(s.error?.retryAt, undefined);
      assert.equal(clock.pending, 0);
      await clock.advanceAsync(7 * DAY);
      p.setFocused(false);
      p.setFocused(true);
      await clock.advanceAsync(DAY);
      assert.equal(api.calls.length, 1);

      const after = await p.refresh();
      assert.equal(api.calls.length, 2);
      assert.equal(after.status, 'ok');
      await clock.advanceAsync(MINUTE);
      assert.equal(api.calls.length, 3, 'polling resumes once the key works');
    });

    it('a key rejected in another window stops this window too', async () => {
      const p = await started();
      store.write({
        keyId: 'k1',
        obs: observation(T0 + 30_000),
        error: { reason: 'auth', message: 'rejected', at: T0 + 30_000 },
        writtenBy: 'window-b',
        writtenAt: T0 + 30_000,
      });
      assert.equal(p.snapshot().error?.reason, 'auth');
      await clock.advanceAsync(DAY);
      assert.equal(api.calls.length, 1);
    });
  });

  describe('refresh()', () => {
    it('polls now even when the data is fresh, and resolves with the new snapshot', async () => {
      const p = await started();
      await clock.advanceAsync(10_000);
      api.used = 20;
      const s = await p.refresh();
      assert.deepEqual(api.times, [T0, T0 + 10_000]);
      assert.equal(s.day?.used, 20);
      await clock.advanceAsync(MINUTE - 1);
      assert.equal(api.calls.length, 2, 'the schedule restarts from the refresh');
      await clock.advanceAsync(1);
      assert.equal(api.calls.length, 3);
    });

    it('polls now during a backoff', async () => {
      api.script.push(new NetworkError('down'));
      const p = await started();
      await p.refresh();
      assert.deepEqual(api.times, [T0, T0]);
      assert.equal(p.snapshot().status, 'ok');
    });

    it('polls even when another window holds the lease', async () => {
      store.tryLease('window-b', T0, 45_000);
      const p = make();
      await p.refresh();
      assert.equal(api.calls.length, 1);
    });

    it('joins a poll already in flight instead of starting a second one', async () => {
      api.script.push('hang');
      const p = make();
      p.start();
      const r = p.refresh();
      assert.equal(api.calls.length, 1);
      api.finishHung({ used: 33 });
      assert.equal((await r).day?.used, 33);
      assert.equal(api.calls.length, 1);
    });
  });

  describe('dispose()', () => {
    it('aborts the poll in flight, stops the timers and releases the lease', async () => {
      api.script.push('hang');
      const p = make();
      const seen: QuotaSnapshot[] = [];
      p.onSnapshot((s) => seen.push(s));
      p.start();
      const { signal } = api.calls[0];
      assert.equal(signal.aborted, false);
      assert.equal(store.tryLease('window-b', T0, 45_000), false, 'window-a holds the lease while polling');
      const before = seen.length;
      p.dispose();
      assert.equal(signal.aborted, true);
      await settle();
      assert.equal(clock.pending, 0);
      assert.equal(seen.length, before, 'nothing is emitted after dispose');
      assert.equal(store.read(), undefined, 'the cancelled poll is not published as an error');
      assert.equal(store.tryLease('window-b', T0, 45_000), true);
      await clock.advanceAsync(DAY);
      p.setFocused(false);
      p.setFocused(true);
      await settle();
      assert.equal(api.calls.length, 1);
    });

    it('a poll that still succeeds after dispose is neither published nor emitted', async () => {
      api.script.push('deaf');
      const p = make();
      const seen: QuotaSnapshot[] = [];
      p.onSnapshot((s) => seen.push(s));
      p.start();
      const before = seen.length;
      p.dispose();
      api.finishHung();
      await settle();
      assert.equal(seen.length, before);
      assert.equal(store.read(), undefined);
      assert.equal(clock.pending, 0);
    });

    it('stops a poller between polls', async () => {
      const p = await started();
      assert.equal(clock.pending, 1);
      p.dispose();
      assert.equal(clock.pending, 0);
      await clock.advanceAsync(HOUR);
      assert.equal(api.calls.length, 1);
    });
  });

  describe('shared state', () => {
    it('uses a fresh record from another window instead of polling at start', async () => {
      store.write({
        keyId: 'k1',
        obs: observation(T0 - 10_000, {}, { used: 30, limit: 50 }),
        writtenBy: 'window-b',
        writtenAt: T0 - 10_000,
      });
      const p = await started();
      assert.equal(api.calls.length, 0);
      assert.equal(p.snapshot().day?.used, 30);
      await clock.advanceAsync(50_000);
      assert.deepEqual(api.times, [T0 + 50_000]);
    });

    it('ignores a record for a different key, at start and later', async () => {
      store.write({
        keyId: 'other-key',
        obs: observation(T0, {}, { used: 49, limit: 50 }),
        writtenBy: 'window-b',
        writtenAt: T0,
      });
      const p = make();
      const seen: QuotaSnapshot[] = [];
      p.onSnapshot((s) => seen.push(s));
      p.start();
      await settle();
      assert.equal(api.calls.length, 1);
      assert.equal(p.snapshot().day?.used, 12);
      const count = seen.length;
      store.write({
        keyId: 'other-key',
        obs: observation(T0 + 5_000, {}, { used: 50, limit: 50 }),
        error: { reason: 'auth', message: 'x', at: T0 + 5_000 },
        writtenBy: 'window-b',
        writtenAt: T0 + 5_000,
      });
      assert.equal(seen.length, count, 'no update for another key');
      assert.equal(p.snapshot().day?.used, 12);
      assert.equal(p.snapshot().error, undefined);
      await clock.advanceAsync(MINUTE);
      assert.equal(api.calls.length, 2);
    });

    it('publishes each poll with its key id and owner, never the key', async () => {
      await started();
      const rec = store.read();
      assert.equal(rec?.keyId, 'k1');
      assert.equal(rec?.writtenBy, 'window-a');
      assert.equal(rec?.obs?.key.freeDaily?.used, 12);
    });
  });

  for (const kind of ['memory', 'file'] as const) {
    describe(`two windows sharing one ${kind} store`, () => {
      let dir: string | undefined;
      let stores: [SharedStore, SharedStore];

      beforeEach(() => {
        if (kind === 'memory') {
          stores = [store, store];
        } else {
          dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-poller-'));
          stores = [new FileSharedStore(dir), new FileSharedStore(dir)];
        }
      });

      afterEach(() => {
        for (const p of pollers.splice(0)) p.dispose();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        dir = undefined;
      });

      it('fetch about once per interval in total, and show the same snapshot', async () => {
        const apiB = new ScriptedFetch(clock);
        const a = make({ store: stores[0], owner: 'window-a' });
        const b = make({ store: stores[1], owner: 'window-b', fetch: apiB.fetch });
        a.start();
        b.start();
        await clock.advanceAsync(10 * MINUTE);
        const all = [...api.times, ...apiB.times].sort((x, y) => x - y);
        assert.deepEqual(
          all,
          Array.from({ length: 11 }, (_, i) => T0 + i * MINUTE),
          `a: ${api.times.map((t) => (t - T0) / 1000)} b: ${apiB.times.map((t) => (t - T0) / 1000)}`,
        );
        assert.deepEqual(b.snapshot(), a.snapshot());
        assert.equal(b.snapshot().fetchedAt, T0 + 10 * MINUTE);
      });

      it('the other window takes over when the polling one loses focus', async () => {
        const apiB = new ScriptedFetch(clock);
        const a = make({ store: stores[0], owner: 'window-a' });
        const b = make({ store: stores[1], owner: 'window-b', fetch: apiB.fetch });
        a.start();
        b.start();
        await clock.advanceAsync(3 * MINUTE);
        const pollerOf = api.calls.length > 0 ? a : b;
        pollerOf.setFocused(false);
        const before = api.calls.length + apiB.calls.length;
        await clock.advanceAsync(10 * MINUTE);
        const polls = api.calls.length + apiB.calls.length - before;
        assert.ok(polls >= 9 && polls <= 11, `polls: ${polls}`);
        const other = pollerOf === a ? b : a;
        assert.ok(
          clock.now() - (other.snapshot().fetchedAt ?? -Infinity) <= MINUTE,
          'the focused window keeps its numbers fresh',
        );
      });
    });
  }
});
