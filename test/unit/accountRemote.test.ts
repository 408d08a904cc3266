// A reader's side of GET /quota: the host's JSON checked field by field, and combined with the reader's own
// settings and its own (newer) reading of OpenRouter's count, which must not be called exact when the two
// disagree beyond what the proxy's own recent requests explain.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { combineRemote, parseQuotaWire } from '../../src/core/account/remote';
import { toWire } from '../../src/core/account/view';
import { DEFAULT_SETTINGS } from '../../src/core/quota';
import { MINUTE } from '../../src/shared/time';
import { MemoryMeter, modelAt } from './accountSupport';
import { observation } from './helpers';

const T0 = Date.UTC(2026, 9, 1, 12, 0, 10);

/** A host that forwarded `proxied` requests this minute and read OpenRouter's count `used` just before. */
function hostWire(proxied: number, used: number) {
  const clock = { t: T0 };
  const model = modelAt(clock);
  const meter = new MemoryMeter();
  model.attachMeter(meter);
  model.observe(observation(T0 - 5_000, { startedAt: T0 - 5_500 }, { used: used - proxied, limit: 50 }));
  for (let i = 0; i < proxied; i++) meter.record(T0 - 4_000 + i);
  return toWire(model.view(T0));
}

/** A reader (no meter of its own) that read OpenRouter's count `used` at `at`. */
function reader(used: number, at = T0 + 1_000, settings = DEFAULT_SETTINGS) {
  const clock = { t: at };
  const model = modelAt(clock, settings);
  model.observe(observation(at, { startedAt: at - 300 }, { used, limit: 50 }));
  return { model, clock };
}

describe("account model: reading another process's proxy", () => {
  it("round-trips the host's view through the wire", () => {
    const wire = hostWire(3, 10);
    const r = parseQuotaWire(JSON.parse(JSON.stringify(wire)))!;
    assert.deepEqual([r.day.used, r.day.proxied, r.day.outside, r.minute.used, r.minute.known], [10, 3, 7, 3, 'exact']);
  });

  it("a newer count that the proxy's own requests explain keeps the minute exact", () => {
    const { model, clock } = reader(10); // 7 earlier + the 3 proxied, now visible
    model.attachRemote(parseQuotaWire(hostWire(3, 10)), clock.t); // its count (7) was read before the 3
    const v = model.view(clock.t);
    assert.equal(v.minute.known, 'exact', JSON.stringify(v.minute));
    assert.deepEqual([v.day.used, v.day.outside], [10, 7]);
  });

  it("a newer count that grew beyond them: traffic elsewhere, the minute an estimate, the day OpenRouter's", () => {
    const { model, clock } = reader(18);
    model.attachRemote(parseQuotaWire(hostWire(3, 10)), clock.t);
    const v = model.view(clock.t);
    assert.equal(v.minute.known, 'estimate');
    assert.ok(v.minute.used! >= 3 && v.minute.outside! > 0, JSON.stringify(v.minute));
    assert.deepEqual([v.day.used, v.day.proxied, v.day.outside], [18, 3, 15]);
    assert.equal(toWire(v).minute.exact, false);
  });

  it("the reader's own limits and thresholds apply to the host's counts", () => {
    const mine = { ...DEFAULT_SETTINGS, perMinute: 4, perDay: 12, warning: 0.5, critical: 0.7 };
    const { model, clock } = reader(10, T0 + 1_000, mine);
    model.attachRemote(parseQuotaWire(hostWire(3, 10)), clock.t);
    const v = model.view(clock.t);
    assert.deepEqual([v.minute.limit, v.minute.limitSource, v.minute.level], [4, 'setting', 'critical']);
    assert.deepEqual([v.day.limit, v.day.limitSource, v.day.level], [12, 'setting', 'critical']);
  });

  it("a copy older than a few seconds, or from another minute, is not this minute's count", () => {
    const { model, clock } = reader(10);
    model.attachRemote(parseQuotaWire(hostWire(3, 10)), clock.t);
    clock.t += 16_000;
    assert.equal(model.view(clock.t).minute.proxied, null, "stale: the reader's own view");
    const fresh = reader(10, T0 + MINUTE);
    fresh.model.attachRemote(parseQuotaWire(hostWire(3, 10)), fresh.clock.t);
    assert.deepEqual(
      [fresh.model.view(fresh.clock.t).minute.used, fresh.model.view(fresh.clock.t).minute.known],
      [null, 'unknown'],
    );
  });

  it('whatever the port answers, parsing never throws and never yields a number that is not a count', () => {
    const wire = hostWire(2, 9) as unknown as Record<string, unknown>;
    fc.assert(
      fc.property(
        fc.anything(),
        fc.constantFrom('day', 'minute', 'queue', 'models', 'lastRateLimit'),
        fc.anything(),
        (junk, field, value) => {
          for (const input of [junk, { ...wire, [field]: value }]) {
            const r = parseQuotaWire(input);
            if (!r) continue;
            for (const n of [r.day.used, r.day.limit, r.day.outside, r.minute.used, r.minute.outside, r.waiting])
              assert.ok(n === null || (Number.isSafeInteger(n) && n >= 0));
            combineRemote(r, reader(5).model.view(T0), DEFAULT_SETTINGS, T0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
