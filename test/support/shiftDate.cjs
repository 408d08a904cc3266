// Preload (node --require, or NODE_OPTIONS=--require for child processes too) that moves the JS clock far
// from today: Date.now() and `new Date()` read the real time plus ORQ_DATE_SHIFT_DAYS days (default 1000).
// `npm run test:unit:shifted` runs the unit suite under it, so a test that mixes a fixed fake date with the
// real date somewhere (a component left on the system clock) fails on every day, not only after the day it
// was written. Timers, performance.now() and file times are not moved: only what reads the date is.
'use strict';
const days = Number(process.env.ORQ_DATE_SHIFT_DAYS ?? 1000);
if (Number.isFinite(days) && days !== 0 && !globalThis.__orqDateShifted) {
  const shift = Math.round(days * 86_400_000);
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + shift);
      else super(...args);
    }
    static now() {
      return realNow() + shift;
    }
  }
  // Date() called as a function returns a string of the current time.
  const DateProxy = new Proxy(ShiftedDate, {
    apply: () => new ShiftedDate().toString(),
  });
  globalThis.Date = DateProxy;
  globalThis.__orqDateShifted = shift;
}
