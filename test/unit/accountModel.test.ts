// The account model on a fake clock: OpenRouter's count (polled, late by up to its cache age) against what
// the meter forwarded. Proxy-only traffic stays exact, traffic elsewhere makes the minute an estimate that
// is never below the exact part, a lagging count that catches up is not traffic elsewhere, and the day's
// figure never falls below OpenRouter's count or the meter's.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import type { AccountModel } from '../../src/core/account/model';
import { Ledger } from '../../src/core/proxy/ledger';
import { DEFAULT_SETTINGS, type Observation, type QuotaSettings } from '../../src/core/quota';
import { DAY, MINUTE } from '../../src/shared/time';
import { MemoryMeter, modelAt } from './accountSupport';
import { observation } from './helpers';

const T0 = Date.UTC(2026, 9, 1, 12, 0, 0);
const SECOND = 1000;

/** A day of traffic: what the meter forwarded, what went to OpenRouter directly, and polls of its count. */
class World {
  readonly clock = { t: T0 };
  readonly meter = new MemoryMeter();
  readonly model: AccountModel;
  /** Every free request OpenRouter counted (through the proxy or not), by time. */
  private readonly counted: number[] = [];
  private last?: Observation;

  constructor(
    readonly settings: QuotaSettings = DEFAULT_SETTINGS,
    metered = true,
  ) {
    this.model = modelAt(this.clock, settings);
    if (metered) this.model.attachMeter(this.meter);
  }

  get now(): number {
    return this.clock.t;
  }

  advance(ms: number): this {
    this.clock.t += ms;
    return this;
  }

  /** n requests through the proxy, one per `gapMs`. */
  proxied(n: number, gapMs = 100): this {
    for (let i = 0; i < n; i++) {
      this.meter.record(this.now);
      this.counted.push(this.now);
      this.advance(gapMs);
    }
    return this;
  }

  /** n requests straight to OpenRouter, one per `gapMs`. */
  direct(n: number, gapMs = 100): this {
    for (let i = 0; i < n; i++) {
      this.counted.push(this.now);
      this.advance(gapMs);
    }
    return this;
  }

  /** OpenRouter's count today as it was `lagMs` before now. */
  serverCount(lagMs = 0): number {
    const day = Math.floor(this.now / DAY) * DAY;
    return this.counted.filter((t) => t >= day && t <= this.now - lagMs).length;
  }

  /** A poll: sent now, answered `tookMs` later with the count as it was `lagMs` before it was sent. */
  poll(lagMs = 0, tookMs = 0, used = this.serverCount(lagMs)): Observation {
    const startedAt = this.now;
    this.advance(tookMs);
    const prev = this.last?.key.freeDaily
      ? { used: this.last.key.freeDaily.used, at: this.last.fetchedAt, startedAt: this.last.startedAt }
      : undefined;
    const obs = observation(this.now, { startedAt, previous: prev }, { used, limit: 50 });
    this.last = obs;
    this.model.observe(obs);
    // Nothing else happens in the very millisecond the answer arrived (a request then could be either side of it).
    this.advance(1);
    return obs;
  }

  get view() {
    return this.model.view(this.now);
  }
}

describe('account model', () => {
  it("proxy-only traffic stays exact, also while OpenRouter's count lags up to its cache age and catches up", () => {
    const w = new World();
    w.poll();
    for (let i = 0; i < 6; i++) {
      w.proxied(5, 2 * SECOND).advance(MINUTE - 10 * SECOND);
      w.poll(i % 2 ? 60 * SECOND : 0, 500);
      const v = w.view;
      assert.equal(v.minute.known, 'exact', `poll ${i}: ${JSON.stringify(v.minute)}`);
      assert.equal(v.minute.outside, 0);
      assert.equal(v.day.outside, 0);
      assert.equal(v.day.used, w.meter.countUntil(w.now));
      assert.equal(v.day.known, 'exact');
    }
  });

  it("direct-only traffic: the minute is an estimate (~) from the growth of OpenRouter's count; the day is OpenRouter's", () => {
    const w = new World();
    w.poll();
    w.advance(28 * SECOND)
      .direct(16, 2 * SECOND)
      .poll(); // 16 in one minute
    const v = w.view;
    assert.equal(v.minute.known, 'estimate');
    assert.equal(v.minute.proxied, 0);
    assert.equal(v.minute.outside, 16);
    assert.equal(v.minute.used, 16);
    assert.equal(v.minute.level, 'warning');
    assert.equal(v.day.used, 16);
    assert.equal(v.day.outside, 16);
    assert.equal(v.day.proxied, 0);
    assert.equal(w.model.wantsFastPolls(w.now), true, 'near the minute limit with traffic elsewhere: poll sooner');
  });

  it("mixed: this minute is the proxy's exact count plus the outside rate, never more than fills the window", () => {
    const w = new World();
    w.clock.t = T0 - 50 * SECOND;
    w.poll();
    // One minute between the polls: 12 elsewhere, then 3 through the proxy in the window of the second poll.
    w.advance(5 * SECOND)
      .direct(12, SECOND)
      .advance(35 * SECOND)
      .proxied(3, SECOND)
      .advance(5 * SECOND)
      .poll();
    let v = w.view;
    assert.deepEqual([v.minute.known, v.minute.proxied, v.minute.outside, v.minute.used], ['estimate', 3, 12, 15]);
    assert.deepEqual([v.day.used, v.day.proxied, v.day.outside], [15, 3, 12]);
    // A much faster rate elsewhere fills the window, no more.
    w.advance(5 * SECOND)
      .direct(40, 500)
      .poll();
    v = w.view;
    assert.equal(v.minute.used, 20);
    assert.equal(v.minute.level, 'limit');
    assert.ok(v.minute.used! >= v.minute.proxied!);
  });

  it('exact again after two poll intervals with only proxied traffic', () => {
    const w = new World();
    w.poll();
    w.advance(20 * SECOND)
      .direct(10)
      .poll();
    assert.equal(w.view.minute.known, 'estimate');
    w.advance(MINUTE).proxied(2).poll();
    assert.equal(w.view.minute.known, 'estimate', 'the burst is still in the last two intervals');
    w.advance(MINUTE).proxied(2).poll();
    assert.equal(w.view.minute.known, 'exact');
    assert.equal(w.view.day.outside, 10, "today's outside count stays");
  });

  it('a count that jumps is traffic elsewhere; a lower count is OpenRouter correcting itself, and wins', () => {
    const w = new World();
    w.proxied(4).poll();
    w.advance(MINUTE).poll(0, 0, 30);
    assert.equal(w.view.day.outside, 26);
    assert.equal(w.view.day.used, 30);
    w.advance(MINUTE).poll(0, 0, 20);
    const v = w.view;
    assert.equal(v.day.outside, 16);
    assert.equal(v.day.used, 20, "OpenRouter's count");
    w.advance(MINUTE).poll(0, 0, 2);
    assert.deepEqual([w.view.day.used, w.view.day.outside], [4, 0], 'never below what the meter sent');
  });

  it('a poll answered while the proxy sends is not traffic elsewhere (the count may or may not include those)', () => {
    const w = new World();
    w.poll();
    w.advance(5 * SECOND).direct(7);
    // The count is read at the start of a slow poll; three proxied requests go out before it returns.
    const startedAt = w.now;
    const used = w.serverCount();
    w.proxied(3, SECOND);
    w.clock.t = startedAt;
    w.poll(0, 3 * SECOND + 1, used);
    assert.equal(w.view.minute.known, 'estimate', 'the 7 went elsewhere');
    w.advance(MINUTE).poll(); // now the count includes the 3 proxied ones: that growth is not elsewhere
    w.advance(MINUTE).poll();
    assert.equal(w.view.minute.known, 'exact', 'two intervals without traffic elsewhere');
    assert.deepEqual([w.view.day.used, w.view.day.proxied, w.view.day.outside], [10, 3, 7]);
  });

  it("a UTC day rollover starts from zero: yesterday's count says nothing about today", () => {
    const w = new World();
    w.clock.t = Date.UTC(2026, 9, 1, 23, 59, 0);
    w.poll();
    w.advance(10 * SECOND)
      .direct(5)
      .proxied(2)
      .poll();
    assert.equal(w.view.day.outside, 5);
    w.clock.t = Date.UTC(2026, 9, 2, 0, 0, 30);
    const v = w.view;
    assert.equal(v.day.server, undefined);
    assert.equal(v.day.outside, null, 'no count of today yet');
    assert.equal(v.day.used, 0, "only the meter's count, and it is a new day");
    assert.equal(v.day.known, 'estimate');
    assert.equal(v.minute.known, 'estimate');
    w.proxied(1).poll();
    assert.deepEqual([w.view.day.used, w.view.day.outside, w.view.day.known], [1, 0, 'exact']);
  });

  it("without a meter: the day is OpenRouter's count, the minute the growth between two polls (or unknown)", () => {
    const w = new World(DEFAULT_SETTINGS, false);
    w.poll();
    assert.deepEqual([w.view.minute.used, w.view.minute.known], [null, 'unknown']);
    w.advance(MINUTE).direct(6).poll();
    const v = w.view;
    assert.deepEqual([v.day.used, v.day.known, v.day.proxied, v.day.outside], [6, 'exact', null, null]);
    assert.deepEqual([v.minute.used, v.minute.known], [6, 'estimate']);
  });

  it("a restart reloads the ledger and recovers today's outside count from the last shared poll", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-model-'));
    try {
      const clock = { t: T0 };
      const first = Ledger.open(dir, { now: () => clock.t });
      for (let i = 0; i < 4; i++) first.record('m:free', (clock.t += 1000));
      first.close();
      clock.t += MINUTE;
      // The shared store kept the last poll (9 counted: 4 through the proxy, 5 elsewhere) and the one before.
      const last = observation(
        clock.t,
        { startedAt: clock.t, previous: { used: 2, at: T0 - MINUTE } },
        { used: 9, limit: 50 },
      );
      const model = modelAt(clock);
      const again = Ledger.open(dir, { now: () => clock.t });
      model.attachMeter(again);
      model.observe(last);
      const v = model.view(clock.t);
      assert.deepEqual([v.day.used, v.day.proxied, v.day.outside], [9, 4, 5]);
      again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a per-minute 429 fills the window until its end (an absurd reset is not believed); a per-day one the day', () => {
    const w = new World();
    w.proxied(2).poll();
    const until = w.model.learn(
      { kind: 'per-minute', limit: 16, resetsAt: w.now + 10 * 365 * DAY, message: 'x' },
      w.now,
    );
    assert.ok(until! <= Math.floor(w.now / MINUTE) * MINUTE + MINUTE + 2 * SECOND, 'no longer than this window');
    let v = w.view;
    assert.deepEqual(
      [v.minute.used, v.minute.limit, v.minute.limitSource, v.minute.known, v.minute.outside],
      [16, 16, 'learned', 'estimate', 14],
    );
    w.model.learn({ kind: 'per-day', limit: 50, resetsAt: w.now + 5 * 365 * DAY, message: 'x' }, w.now);
    v = w.view;
    assert.deepEqual([v.day.used, v.day.level], [50, 'limit']);
    assert.equal(w.model.dayExhausted(w.now), Math.floor(w.now / DAY) * DAY + DAY, 'until 00:00 UTC, not five years');
  });

  describe('properties (fast-check)', () => {
    type Step =
      | { kind: 'proxied' | 'direct'; n: number }
      | { kind: 'wait'; ms: number }
      | { kind: 'poll'; lag: number; took: number };
    const step = (maxLag: number): fc.Arbitrary<Step> =>
      fc.oneof(
        fc.record({ kind: fc.constant('proxied' as const), n: fc.integer({ min: 1, max: 8 }) }),
        fc.record({ kind: fc.constant('direct' as const), n: fc.integer({ min: 1, max: 8 }) }),
        fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 90 * SECOND }) }),
        fc.record({
          kind: fc.constant('poll' as const),
          lag: fc.integer({ min: 0, max: maxLag }),
          took: fc.integer({ min: 0, max: 2 * SECOND }),
        }),
      );
    /** Runs the steps, checking after each; `directs` counts the direct requests of each UTC day so far, `polls` what it was at each poll. */
    const run = (
      w: World,
      steps: Step[],
      check: (w: World, polls: Array<{ day: number; directs: number }>) => void,
    ) => {
      const polls: Array<{ day: number; directs: number }> = [];
      let day = Math.floor(w.now / DAY);
      let directs = 0;
      for (const s of steps) {
        if (s.kind === 'proxied') w.proxied(s.n, 200);
        else if (s.kind === 'direct') {
          w.direct(s.n, 200);
          directs += s.n;
        } else if (s.kind === 'wait') w.advance(s.ms);
        else if (s.kind === 'poll') {
          w.poll(s.lag, s.took);
          polls.push({ day: Math.floor(w.now / DAY), directs });
        }
        if (Math.floor(w.now / DAY) !== day) {
          day = Math.floor(w.now / DAY);
          directs = 0;
        }
        check(w, polls);
      }
    };

    it('the minute is never below its exact part, never exact with traffic elsewhere, the day never below what is known', () => {
      fc.assert(
        fc.property(fc.array(step(60 * SECOND), { maxLength: 60 }), (steps) => {
          run(new World(), steps, (w) => {
            const { day, minute } = w.view;
            assert.ok(minute.used! >= minute.proxied!, JSON.stringify(minute));
            if (minute.known === 'exact') assert.equal(minute.outside, 0);
            if (minute.known === 'estimate' && minute.outside !== null)
              assert.ok(minute.used === minute.proxied! + minute.outside);
            assert.ok(day.used! >= w.meter.countUntil(w.now));
            if (day.server) assert.ok(day.used! >= day.server.used, JSON.stringify(day));
          });
        }),
        { numRuns: 300 },
      );
    });

    it('with only proxied traffic, a count late by up to the cache age never turns into traffic elsewhere', () => {
      fc.assert(
        fc.property(
          fc.array(
            step(60 * SECOND).filter((s) => s.kind !== 'direct'),
            { maxLength: 60 },
          ),
          (steps) => {
            run(new World(), steps, (w) => {
              const { day, minute } = w.view;
              assert.notEqual(minute.known === 'estimate' && day.server !== undefined, true, JSON.stringify(minute));
              assert.equal(day.outside ?? 0, 0);
            });
          },
        ),
        { numRuns: 300 },
      );
    });

    it('with fresh counts, traffic elsewhere between the last two polls always makes the minute an estimate', () => {
      const fresh = { ...DEFAULT_SETTINGS, serverLagSeconds: 0 };
      fc.assert(
        fc.property(
          fc.array(
            step(0).map((s) => (s.kind === 'poll' ? { ...s, took: 0 } : s)),
            { maxLength: 60 },
          ),
          (steps) => {
            run(new World(fresh), steps, (world, polls) => {
              // Direct requests after the third-last poll and before the last one, all on today: seen in the last two intervals.
              if (polls.length < 3) return;
              const [from, , to] = polls.slice(-3);
              const today = Math.floor(world.now / DAY);
              if (from.day === today && to.day === today && to.directs > from.directs)
                assert.equal(world.view.minute.known, 'estimate');
            });
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
