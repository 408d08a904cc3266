// BodyBudget on a fake clock: room taken and given back, a FIFO queue of bounded length and wait, cancels,
// and idle() meaning "nothing held and no body open".
import * as assert from 'node:assert/strict';
import { BodyBudget } from '../../src/core/proxy/bodyBudget';
import { ClientGone } from '../../src/core/proxy/relay';
import { FakeClock } from '../fixtures/fakeClock';

describe('BodyBudget', () => {
  it('takes while there is room, then queues in order; release lets the first waiter in, never past capacity', async () => {
    const clock = new FakeClock();
    const b = new BodyBudget({ bytes: 100, clock, maxWaitMs: 1000 });
    assert.ok(b.tryTake(60));
    assert.ok(!b.tryTake(50));
    const order: string[] = [];
    const big = b.take(80).then((ok) => order.push(`big ${ok}`));
    const small = b.take(10).then((ok) => order.push(`small ${ok}`));
    assert.ok(!b.tryTake(10), 'no jumping the queue');
    b.release(60);
    await Promise.all([big, small]);
    assert.deepEqual(order, ['big true', 'small true']);
    assert.equal(b.held, 90);
    assert.ok(b.highWater <= b.capacity);
  });

  it('gives up after maxWaitMs, when the queue is full, when cancelled, or for more than it can ever hold', async () => {
    const clock = new FakeClock();
    const b = new BodyBudget({ bytes: 100, clock, maxWaitMs: 2000, maxWaiters: 2 });
    assert.ok(b.tryTake(100));
    const timedOut = b.take(10);
    const gone = new ClientGone();
    const cancelled = b.take(10, gone);
    assert.equal(await b.take(10), false, 'queue full');
    assert.equal(await b.take(101), false, 'more than the capacity');
    gone.fire();
    assert.equal(await cancelled, false);
    clock.advance(2000);
    assert.equal(await timedOut, false);
    assert.equal(b.retryAfterSeconds, 2);
    b.release(100);
    assert.equal(b.held, 0);
  });

  it('is idle once nothing is held and every body reader has closed', async () => {
    const b = new BodyBudget({ bytes: 100 });
    b.openReader();
    assert.ok(b.tryTake(5));
    let idle = false;
    const done = b.idle().then(() => (idle = true));
    b.release(5);
    await Promise.resolve();
    assert.equal(idle, false, 'a reader is still open');
    b.closeReader();
    await done;
    assert.equal(idle, true);
  });
});
