// The fake clock the poller tests rely on: due order, each timer at its own time, cancel, async settling.
import * as assert from 'node:assert/strict';
import { FakeClock } from '../fixtures/fakeClock';

describe('FakeClock', () => {
  it('fires due timers in time order (ties in the order set), each seeing its own due time', () => {
    const c = new FakeClock(1_000);
    const log: string[] = [];
    c.setTimer(300, () => log.push(`b@${c.now()}`));
    c.setTimer(100, () => log.push(`a@${c.now()}`));
    c.setTimer(300, () => log.push(`c@${c.now()}`));
    c.setTimer(-5, () => log.push(`now@${c.now()}`));
    c.advance(299);
    assert.deepEqual(log, ['now@1000', 'a@1100']);
    c.advance(1);
    assert.deepEqual(log, ['now@1000', 'a@1100', 'b@1300', 'c@1300']);
    assert.equal(c.now(), 1_300);
    assert.equal(c.pending, 0);
  });

  it('fires timers set by a timer within the same advance, and not cancelled ones', () => {
    const c = new FakeClock(0);
    const log: number[] = [];
    const tick = () => {
      log.push(c.now());
      c.setTimer(10, tick);
    };
    c.setTimer(10, tick);
    const cancelled = c.setTimer(15, () => log.push(-1));
    cancelled.cancel();
    cancelled.cancel();
    c.advance(35);
    assert.deepEqual(log, [10, 20, 30]);
    assert.equal(c.nextDueAt(), 40);
  });

  it('advanceAsync lets promise chains started by a timer finish before the next timer fires', async () => {
    const c = new FakeClock(0);
    const log: string[] = [];
    c.setTimer(10, () => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => {
          log.push(`settled@${c.now()}`);
          c.setTimer(5, () => log.push(`next@${c.now()}`));
        });
    });
    c.setTimer(12, () => log.push(`other@${c.now()}`));
    await c.advanceAsync(20);
    assert.deepEqual(log, ['settled@10', 'other@12', 'next@15']);
    assert.equal(c.now(), 20);
  });

  it('runNextAsync jumps to the next timer; refuses to go back in time', async () => {
    const c = new FakeClock(0);
    assert.equal(await c.runNextAsync(), false);
    c.setTimer(500, () => undefined);
    assert.equal(await c.runNextAsync(), true);
    assert.equal(c.now(), 500);
    assert.throws(() => c.advanceTo(499));
    await assert.rejects(c.advanceToAsync(1));
  });
});
