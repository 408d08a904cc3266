// MinutePacer on a FakeClock: admission against fixed whole-minute windows, FIFO waiting, reject and off
// modes, aborts, a bounded queue, upstream blocks, a limit that changes, dispose, and a property test over
// seeded random arrivals: no window ever admits more than its limit, FIFO holds, every waiter is answered
// within maxWait, and nobody times out while a window had room for them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Ledger } from '../../src/core/proxy/ledger';
import { type Admission, MinutePacer, type PacerOptions, type PacingMode } from '../../src/core/proxy/pacer';
import { MINUTE } from '../../src/shared/time';
import { FakeClock, settle } from '../fixtures/fakeClock';
import { MemoryLogger } from './helpers';

const T0 = Date.UTC(2026, 9, 1, 12, 0, 0);
const win = (t: number): number => Math.floor(t / MINUTE) * MINUTE;

/** mulberry32: a small seeded PRNG, so a failing pattern can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('MinutePacer (fake clock)', () => {
  let clock: FakeClock;
  let mode: PacingMode;
  let limit: number;
  let maxWait: number;
  /** Admissions per window, as the ledger would count them. */
  let counts: Map<number, number>;
  let admitted: number[];
  const pacers: MinutePacer[] = [];

  const make = (over: Partial<PacerOptions> = {}): MinutePacer => {
    const p = new MinutePacer({
      clock,
      mode: () => mode,
      limit: () => limit,
      used: (ws) => counts.get(ws) ?? 0,
      admit: (t) => {
        admitted.push(t);
        counts.set(win(t), (counts.get(win(t)) ?? 0) + 1);
      },
      maxQueue: 100,
      maxWaitMs: () => maxWait,
      ...over,
    });
    pacers.push(p);
    return p;
  };

  /** Starts an acquire and keeps its answer (and when it came) without awaiting it. */
  const start = (p: MinutePacer, signal?: AbortSignal): { result?: Admission; at?: number; done: Promise<void> } => {
    const r: { result?: Admission; at?: number; done: Promise<void> } = { done: Promise.resolve() };
    r.done = p.acquire(signal).then((a) => {
      r.result = a;
      r.at = clock.now();
    });
    return r;
  };

  /** Still waiting (a function, so that TypeScript does not narrow `result` for the rest of the test). */
  const unanswered = (r: { result?: Admission }): boolean => r.result === undefined;

  beforeEach(() => {
    clock = new FakeClock(T0 + 10_000);
    mode = 'queue';
    limit = 20;
    maxWait = 90_000;
    counts = new Map();
    admitted = [];
  });

  afterEach(() => {
    for (const p of pacers.splice(0)) p.dispose();
  });

  it('admits at once while the window has room, calling admit() before acquire() returns', async () => {
    const p = make();
    const pending = p.acquire();
    assert.deepEqual(admitted, [T0 + 10_000], 'admit ran synchronously');
    assert.deepEqual(await pending, { ok: true, waitedMs: 0 });
    for (let i = 0; i < 19; i++) void p.acquire();
    assert.equal(counts.get(T0), 20);
    assert.equal(p.waiting, 0);
  });

  it('queue: the 21st waits for the next whole minute, then is admitted the moment it opens', async () => {
    const p = make();
    for (let i = 0; i < 20; i++) await p.acquire();
    const r = start(p);
    await settle();
    assert.equal(p.waiting, 1);
    assert.equal(unanswered(r), true);
    await clock.advanceToAsync(T0 + MINUTE - 1);
    assert.equal(unanswered(r), true);
    await clock.advanceToAsync(T0 + MINUTE);
    assert.deepEqual(r.result, { ok: true, waitedMs: 50_000 });
    assert.deepEqual(admitted.slice(20), [T0 + MINUTE]);
    assert.equal(p.waiting, 0);
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  it('queue: counts already in the ledger (other windows, a restart) fill the window too', async () => {
    counts.set(T0, 18);
    const p = make();
    const rs = [start(p), start(p), start(p)];
    await settle();
    assert.deepEqual(
      rs.map((r) => r.result?.ok),
      [true, true, undefined],
    );
    await clock.advanceToAsync(T0 + MINUTE);
    assert.equal(rs[2].result?.ok, true);
  });

  it('queue: releases waiters FIFO up to the room of each window; the rest keep waiting', async () => {
    limit = 3;
    maxWait = 5 * MINUTE;
    const p = make();
    const rs = Array.from({ length: 10 }, () => start(p));
    await settle();
    assert.deepEqual(admitted, [T0 + 10_000, T0 + 10_000, T0 + 10_000]);
    assert.equal(p.waiting, 7);
    await clock.advanceToAsync(T0 + MINUTE);
    assert.equal(p.waiting, 4);
    await clock.advanceToAsync(T0 + 3 * MINUTE);
    assert.equal(p.waiting, 0);
    const when = rs.map((r) => r.at);
    assert.deepEqual(
      when,
      [0, 0, 0, 1, 1, 1, 2, 2, 2, 3].map((m) => (m === 0 ? T0 + 10_000 : T0 + m * MINUTE)),
    );
    assert.ok(rs.every((r) => r.result?.ok));
    assert.deepEqual(
      rs.map((r) => (r.result?.ok ? r.result.waitedMs : -1)),
      [0, 0, 0, 50_000, 50_000, 50_000, 110_000, 110_000, 110_000, 170_000],
    );
  });

  it('queue: a waiter times out at exactly maxWait, with the time the window reopens', async () => {
    limit = 1;
    maxWait = 70_000;
    const p = make();
    await p.acquire(); // 12:00:10
    const a = start(p); // admitted at 12:01:00
    const b = start(p); // would be 12:02:00 = 110 s: too late
    await clock.advanceAsync(70_000);
    assert.deepEqual(a.result, { ok: true, waitedMs: 50_000 });
    assert.deepEqual(b.result, { ok: false, reason: 'timeout', resetsAt: T0 + 2 * MINUTE });
    assert.equal(b.at, T0 + 80_000);
    assert.equal(p.waiting, 0);
  });

  it('queue: a deadline that falls on the window opening is admitted, not timed out', async () => {
    limit = 1;
    maxWait = 50_000;
    const p = make();
    await p.acquire();
    const r = start(p);
    await clock.advanceAsync(50_000);
    assert.deepEqual(r.result, { ok: true, waitedMs: 50_000 });
  });

  it('queue: answers "timeout" at once when no window with room can open within maxWait', async () => {
    limit = 1;
    maxWait = 20_000; // 50 s to the next window
    const p = make();
    await p.acquire();
    assert.deepEqual(await p.acquire(), { ok: false, reason: 'timeout', resetsAt: T0 + MINUTE });
    maxWait = 0;
    assert.deepEqual(await p.acquire(), { ok: false, reason: 'timeout', resetsAt: T0 + MINUTE });
    assert.equal(p.waiting, 0);
    assert.equal(clock.pending, 0);
  });

  it('queue-full: the bounded queue refuses the next one with the reopening time', async () => {
    limit = 1;
    const p = make({ maxQueue: 2 });
    await p.acquire();
    start(p);
    start(p);
    await settle();
    assert.deepEqual(await p.acquire(), { ok: false, reason: 'queue-full', resetsAt: T0 + MINUTE });
    assert.equal(p.waiting, 2);
  });

  it('abort: a client that gives up leaves the queue and frees its place', async () => {
    limit = 1;
    maxWait = 5 * MINUTE;
    const p = make({ maxQueue: 2 });
    await p.acquire();
    const ac = new AbortController();
    const a = start(p, ac.signal);
    const b = start(p);
    await settle();
    assert.equal(p.waiting, 2);
    ac.abort();
    await settle();
    assert.deepEqual(a.result, { ok: false, reason: 'aborted', resetsAt: T0 + MINUTE });
    assert.equal(p.waiting, 1);
    const c = start(p); // the freed place
    await settle();
    assert.equal(p.waiting, 2);
    await clock.advanceToAsync(T0 + MINUTE);
    assert.equal(b.result?.ok, true, 'the one behind the aborted waiter moved up');
    assert.equal(unanswered(c), true);
    await clock.advanceToAsync(T0 + 2 * MINUTE);
    assert.equal(c.result?.ok, true);
    assert.equal(admitted.length, 3, 'the aborted request was never admitted');
  });

  it('abort: an already aborted signal is answered at once and never admitted', async () => {
    const p = make();
    const ac = new AbortController();
    ac.abort();
    assert.equal((await p.acquire(ac.signal)).ok, false);
    assert.equal(admitted.length, 0);
  });

  it('abort after admission changes nothing (the listener is gone)', async () => {
    limit = 1;
    const p = make();
    await p.acquire();
    const ac = new AbortController();
    const r = start(p, ac.signal);
    await clock.advanceToAsync(T0 + MINUTE);
    ac.abort();
    await settle();
    assert.equal(r.result?.ok, true);
    assert.equal(p.waiting, 0);
  });

  it("reject: answers 'full' at once with the next window's start, and admits nothing", async () => {
    mode = 'reject';
    limit = 2;
    const p = make();
    assert.equal((await p.acquire()).ok, true);
    assert.equal((await p.acquire()).ok, true);
    assert.deepEqual(await p.acquire(), { ok: false, reason: 'full', resetsAt: T0 + MINUTE });
    assert.equal(p.waiting, 0);
    assert.equal(admitted.length, 2);
    clock.advance(50_000);
    assert.equal((await p.acquire()).ok, true);
  });

  it('off: always admits at once and still reports every admission', async () => {
    mode = 'off';
    limit = 2;
    const p = make();
    for (let i = 0; i < 50; i++) assert.deepEqual(await p.acquire(), { ok: true, waitedMs: 0 });
    assert.equal(counts.get(T0), 50);
    p.blockUntil(T0 + 10 * MINUTE);
    assert.equal((await p.acquire()).ok, true);
  });

  it("switching to 'off' releases whoever waits at the next acquire", async () => {
    limit = 1;
    const p = make();
    await p.acquire();
    const a = start(p);
    const b = start(p);
    await settle();
    mode = 'off';
    const c = await p.acquire();
    await settle();
    assert.equal(c.ok, true);
    assert.equal(a.result?.ok, true);
    assert.equal(b.result?.ok, true);
    assert.deepEqual(admitted.length, 4);
  });

  it('blockUntil: an upstream per-minute 429 holds admissions until its reset, even with room', async () => {
    const p = make();
    await p.acquire();
    p.blockUntil(T0 + MINUTE);
    const r = start(p);
    await settle();
    assert.equal(p.waiting, 1);
    mode = 'reject';
    assert.deepEqual(await p.acquire(), { ok: false, reason: 'full', resetsAt: T0 + MINUTE });
    mode = 'queue';
    await clock.advanceToAsync(T0 + MINUTE);
    assert.deepEqual(r.result, { ok: true, waitedMs: 50_000 });
  });

  it('blockUntil: a reset in the middle of a later window releases waiters at that instant', async () => {
    const p = make();
    p.blockUntil(T0 + 90_000);
    const r = start(p);
    await clock.advanceToAsync(T0 + MINUTE);
    assert.equal(unanswered(r), true, 'the new window is still blocked');
    await clock.advanceToAsync(T0 + 90_000);
    assert.deepEqual(r.result, { ok: true, waitedMs: 80_000 });
    assert.deepEqual(admitted, [T0 + 90_000]);
  });

  it('blockUntil: a reset in the past or earlier than the current block changes nothing', async () => {
    const p = make();
    p.blockUntil(T0 + 2 * MINUTE);
    p.blockUntil(T0 + MINUTE);
    p.blockUntil(T0);
    p.blockUntil(NaN);
    maxWait = 5 * MINUTE;
    const r = start(p);
    await clock.advanceToAsync(T0 + MINUTE);
    assert.equal(unanswered(r), true);
    await clock.advanceToAsync(T0 + 2 * MINUTE);
    assert.equal(r.result?.ok, true);
  });

  it('blockUntil: waiters whose maxWait ends before the reset time out on their deadline', async () => {
    maxWait = 30_000;
    const p = make();
    const r = start(p);
    await settle();
    assert.equal(r.result?.ok, true);
    p.blockUntil(T0 + 5 * MINUTE);
    assert.deepEqual(await p.acquire(), { ok: false, reason: 'timeout', resetsAt: T0 + 5 * MINUTE });
  });

  it('a limit that changes between windows applies from the next window', async () => {
    maxWait = 5 * MINUTE;
    const p = make();
    const rs = Array.from({ length: 30 }, () => start(p));
    await settle();
    assert.equal(counts.get(T0), 20);
    limit = 4; // learned from a 429, say
    await clock.advanceToAsync(T0 + MINUTE);
    assert.equal(counts.get(T0 + MINUTE), 4);
    limit = 16;
    await clock.advanceToAsync(T0 + 2 * MINUTE);
    assert.equal(counts.get(T0 + 2 * MINUTE), 6);
    assert.ok(rs.every((r) => r.result?.ok));
  });

  it('a limit raised mid-window admits waiters at the next acquire', async () => {
    limit = 1;
    const p = make();
    await p.acquire();
    const a = start(p);
    await settle();
    limit = 3;
    const b = await p.acquire();
    await settle();
    assert.equal(a.result?.ok, true, 'the waiter first');
    assert.equal(b.ok, true);
    assert.equal(counts.get(T0), 3);
  });

  it('never admits more than the limit even when used() does not see its admissions', async () => {
    const p = make({ used: () => 0 });
    const rs = Array.from({ length: 25 }, () => start(p));
    await settle();
    assert.equal(admitted.length, 20);
    await clock.advanceToAsync(T0 + MINUTE);
    assert.equal(admitted.length, 25);
    assert.ok(rs.every((r) => r.result?.ok));
  });

  it('a caller that records after awaiting acquire() (not in admit) still never exceeds the limit, earlier counts included', async () => {
    counts.set(T0, 15); // e.g. from before a restart
    maxWait = 5 * MINUTE;
    const p = make({ admit: () => undefined });
    const record = (a: Admission): void => {
      if (!a.ok) return;
      const w = win(clock.now());
      counts.set(w, (counts.get(w) ?? 0) + 1);
      admitted.push(clock.now());
    };
    // A burst decided in one turn: none of the records has happened when the next decision is made.
    const all = Array.from({ length: 40 }, () => p.acquire().then(record));
    await settle();
    assert.equal(counts.get(T0), 20);
    await clock.advanceToAsync(T0 + MINUTE);
    assert.equal(counts.get(T0 + MINUTE), 20, 'a whole burst of waiters released in one turn');
    await clock.advanceToAsync(T0 + 2 * MINUTE);
    assert.equal(counts.get(T0 + 2 * MINUTE), 15);
    await Promise.all(all);
  });

  it('an admit() that throws is logged; the request is admitted anyway and the timer keeps running', async () => {
    const log = new MemoryLogger();
    limit = 1;
    const p = make({
      log,
      admit: (t) => {
        counts.set(win(t), (counts.get(win(t)) ?? 0) + 1);
        throw new Error('disk full');
      },
    });
    assert.equal((await p.acquire()).ok, true);
    const r = start(p);
    await clock.advanceToAsync(T0 + MINUTE);
    assert.equal(r.result?.ok, true);
    assert.equal(log.at('error').length, 2);
  });

  it('option callbacks that throw inside timers and abort listeners are logged, never thrown; waiters still get answers', async () => {
    const log = new MemoryLogger();
    limit = 1;
    maxWait = 5 * MINUTE;
    let broken = false;
    const p = make({
      log,
      used: (ws) => {
        if (broken) throw new Error('ledger gone');
        return counts.get(ws) ?? 0;
      },
    });
    await p.acquire();
    const ac = new AbortController();
    const a = start(p, ac.signal);
    const b = start(p);
    await settle();
    broken = true;
    ac.abort(); // an abort listener that would throw would crash the process
    await clock.advanceAsync(5 * MINUTE); // so would a timer
    assert.deepEqual(a.result, { ok: false, reason: 'aborted', resetsAt: T0 + MINUTE });
    assert.equal(b.result?.ok, false);
    assert.ok(log.at('error').some((m) => m.includes('ledger gone')));
    await assert.rejects(p.acquire(), /ledger gone/, 'acquire() reports it as a rejection, not a synchronous throw');
  });

  it("dispose: waiters get 'aborted', timers are cancelled, later calls are refused", async () => {
    limit = 1;
    const p = make();
    await p.acquire();
    const rs = [start(p), start(p)];
    await settle();
    assert.ok(clock.pending > 0);
    p.dispose();
    await settle();
    assert.deepEqual(
      rs.map((r) => r.result),
      [
        { ok: false, reason: 'aborted', resetsAt: T0 + MINUTE },
        { ok: false, reason: 'aborted', resetsAt: T0 + MINUTE },
      ],
    );
    assert.equal(clock.pending, 0);
    assert.equal(p.waiting, 0);
    assert.equal((await p.acquire()).ok, false);
    await clock.advanceAsync(5 * MINUTE);
    assert.equal(admitted.length, 1);
    p.dispose(); // twice is fine
  });

  it('with a real Ledger as its counter: the ledger sees exactly the admissions, per window', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-pacer-'));
    const ledger = Ledger.open(dir, { now: () => clock.now() });
    try {
      limit = 5;
      maxWait = 3 * MINUTE;
      const p = make({ used: (ws) => ledger.minuteCount(ws), admit: (t) => ledger.record('x/y:free', t) });
      const rs = Array.from({ length: 12 }, () => start(p));
      await clock.advanceToAsync(T0 + 3 * MINUTE);
      assert.ok(rs.every((r) => r.result?.ok));
      assert.deepEqual(
        [0, 1, 2].map((m) => ledger.minuteCount(T0 + m * MINUTE)),
        [5, 5, 2],
      );
    } finally {
      ledger.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('property: random arrivals (seeded)', () => {
    interface Req {
      id: number;
      arrival: number;
      abortAt?: number;
      result?: Admission;
      settledAt?: number;
    }

    for (const seed of [1, 2, 3, 4, 5, 42, 1234, 99_991]) {
      it(`seed ${seed}: never over the limit, FIFO, answered within maxWait, nobody starved while room was free`, async () => {
        const rnd = prng(seed);
        limit = 5 + Math.floor(rnd() * 16);
        maxWait = [0, 15_000, 45_000, 90_000, 150_000][Math.floor(rnd() * 5)];
        const maxQueue = 10 + Math.floor(rnd() * 60);
        const limits = new Map<number, number>(); // the limit each window was judged by
        const p = make({
          maxQueue,
          limit: () => {
            const ws = win(clock.now());
            if (!limits.has(ws)) limits.set(ws, limit);
            return limits.get(ws) as number;
          },
        });

        // A few hundred requests over several minutes, in bursts and trickles.
        const reqs: Req[] = [];
        let t = clock.now() + Math.floor(rnd() * MINUTE);
        const n = 200 + Math.floor(rnd() * 200);
        for (let i = 0; i < n; i++) {
          t += rnd() < 0.3 ? 0 : Math.floor(rnd() * (rnd() < 0.8 ? 800 : 15_000));
          // Some arrive exactly as a window opens: their timers fire before the pacer's own wake-up.
          if (rnd() < 0.05) t = win(t) + MINUTE;
          reqs.push({ id: i, arrival: t, abortAt: rnd() < 0.1 ? t + Math.floor(rnd() * 60_000) : undefined });
        }
        const order: number[] = [];
        for (const r of reqs) {
          clock.setTimer(r.arrival - clock.now(), () => {
            const ac = new AbortController();
            if (r.abortAt !== undefined) clock.setTimer(r.abortAt - r.arrival, () => ac.abort());
            void p.acquire(ac.signal).then((a) => {
              r.result = a;
              r.settledAt = clock.now();
              if (a.ok) order.push(r.id);
            });
          });
        }
        // Every 7 s, sometimes, a random limit for the windows not judged yet.
        for (let k = 1; k < 60; k++)
          clock.setTimer(k * 7_000, () => (limit = rnd() < 0.2 ? 3 + Math.floor(rnd() * 20) : limit));
        // In half the seeds, upstream per-minute 429s now and then block until a random time up to 90 s ahead.
        const blocks: Array<{ from: number; until: number; admittedBefore: number }> = [];
        if (rnd() < 0.5) {
          for (let k = 1; k < 20; k++) {
            clock.setTimer(k * 23_000, () => {
              if (rnd() >= 0.3) return;
              const until = clock.now() + Math.floor(rnd() * 90_000);
              blocks.push({ from: clock.now(), until, admittedBefore: admitted.length });
              p.blockUntil(until);
            });
          }
        }
        const blockedDuring = (from: number, to: number): boolean => blocks.some((b) => b.from <= to && b.until > from);
        await clock.advanceToAsync(reqs[reqs.length - 1].arrival + maxWait + 2 * MINUTE);

        // 1. Every request got an answer, and nobody is left waiting.
        assert.ok(
          reqs.every((r) => r.result),
          'unanswered requests',
        );
        assert.equal(p.waiting, 0);

        // 2. No window admitted more than its limit, and nothing was admitted during a block.
        const perWindow = new Map<number, number>();
        for (const a of admitted) perWindow.set(win(a), (perWindow.get(win(a)) ?? 0) + 1);
        // (An admission at the instant a block starts is fine if it came first: order by the admission's index.)
        admitted.forEach((a, i) =>
          assert.ok(!blocks.some((b) => i >= b.admittedBefore && a < b.until), `admitted at ${a} during a block`),
        );
        for (const [ws, c] of perWindow)
          assert.ok(c <= (limits.get(ws) as number), `window ${new Date(ws).toISOString()}: ${c} > ${limits.get(ws)}`);

        // 3. Answered within maxWait, and admitted only while it was still waiting.
        for (const r of reqs) {
          const waited = (r.settledAt as number) - r.arrival;
          assert.ok(waited >= 0 && waited <= maxWait, `#${r.id} answered after ${waited} ms`);
          if (r.result?.ok) assert.equal(r.result.waitedMs, waited);
          if (r.result?.ok === false && r.result.reason === 'aborted') assert.equal(r.settledAt, r.abortAt);
          if (r.result?.ok === false && r.result.reason === 'timeout' && waited > 0) assert.equal(waited, maxWait);
          if (r.result?.ok === false && r.result.reason === 'timeout' && waited === 0)
            assert.ok(
              r.result.resetsAt > r.arrival + maxWait,
              `#${r.id}: refused at once though the window reopens in time`,
            );
        }

        // 4. FIFO: answers to admitted requests come in arrival order (arrival order = id order) ...
        const okIds = reqs.filter((r) => r.result?.ok).map((r) => r.id);
        assert.deepEqual(order, okIds, 'admitted out of order');
        // ... and no one is admitted while someone who arrived earlier is still waiting (answered later).
        for (const b of reqs) {
          if (!b.result?.ok) continue;
          for (const a of reqs.slice(0, b.id)) {
            assert.ok(
              (a.settledAt as number) <= (b.settledAt as number),
              `#${b.id} admitted at ${b.settledAt} while #${a.id} waited until ${a.settledAt}`,
            );
          }
        }

        // 5. Nobody timed out after waiting while a window it waited through still had room at the end.
        for (const r of reqs) {
          if (r.result?.ok !== false || r.result.reason !== 'timeout' || r.settledAt === r.arrival) continue;
          for (let ws = win(r.arrival) + MINUTE; ws <= (r.settledAt as number); ws += MINUTE) {
            if (blockedDuring(ws, Math.min(ws + MINUTE, r.settledAt as number))) continue;
            assert.equal(
              perWindow.get(ws) ?? 0,
              limits.get(ws),
              `#${r.id} timed out though window ${new Date(ws).toISOString()} had room`,
            );
          }
        }

        // Sanity: the pattern exercised waiting, admission after waiting, and timeouts or rejections.
        const reasons = new Set(
          reqs.map((r) => (r.result?.ok ? (r.result.waitedMs > 0 ? 'waited' : 'at once') : r.result?.reason)),
        );
        assert.ok(reasons.has('at once'), [...reasons].join());
        if (maxWait >= 60_000) assert.ok(reasons.has('waited'), [...reasons].join());
      });
    }
  });
});
