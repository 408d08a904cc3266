// The request ledger on real files in a temp dir: counts per minute/day/model across window and UTC-midnight
// boundaries, reopening, compaction and retention, corrupt files, and a child process killed with SIGKILL in
// the middle of a burst that must not lose any record whose record() had returned.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import nodeFs from 'node:fs'; // the module object itself, to make fdatasync fail for a moment
import * as os from 'node:os';
import * as path from 'node:path';
import { LEDGER_COMPACT, LEDGER_LOG, Ledger, type LedgerOptions } from '../../src/core/proxy/ledger';
import { DAY, HOUR, MINUTE } from '../../src/shared/time';
import { MemoryLogger } from './helpers';

const T0 = Date.UTC(2026, 9, 1, 12, 0, 0);
const MIDNIGHT = Date.UTC(2026, 9, 2);
const FREE = 'meta-llama/llama-3.3-70b-instruct:free';
const OTHER = 'deepseek/deepseek-chat-v3-0324:free';

describe('Ledger (real files)', () => {
  let dir: string;
  let now: number;
  let log: MemoryLogger;
  const open: Ledger[] = [];

  const openLedger = (over: Partial<LedgerOptions> = {}): Ledger => {
    const l = Ledger.open(dir, { now: () => now, log, ...over });
    open.push(l);
    return l;
  };
  const reopen = (l: Ledger, over: Partial<LedgerOptions> = {}): Ledger => {
    l.close();
    return openLedger(over);
  };
  const logLines = (): string[] =>
    fs
      .readFileSync(path.join(dir, LEDGER_LOG), 'utf8')
      .split('\n')
      .filter((s) => s && !s.startsWith('#'));
  const total = (l: Ledger): number => l.countSince(0);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-ledger-'));
    now = T0;
    log = new MemoryLogger();
  });

  afterEach(() => {
    for (const l of open.splice(0)) l.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('counting', () => {
    it('counts per fixed minute window, edges included', () => {
      const l = openLedger();
      const w = T0 + 5 * MINUTE;
      l.record(FREE, w - 1);
      l.record(FREE, w);
      l.record(FREE, w + 30_000);
      l.record(OTHER, w + MINUTE - 1);
      l.record(FREE, w + MINUTE);
      assert.equal(l.minuteCount(w - MINUTE), 1);
      assert.equal(l.minuteCount(w), 3);
      assert.equal(l.minuteCount(w + MINUTE), 1);
      assert.equal(l.minuteCount(w + 2 * MINUTE), 0);
      assert.equal(l.countSince(w), 4);
      assert.equal(l.countSince(w + 1), 3);
      assert.equal(l.countSince(w + MINUTE), 1);
      assert.equal(l.countSince(w + MINUTE + 1), 0);
    });

    it('splits days at 00:00 UTC, per model', () => {
      now = MIDNIGHT + 30_000;
      const l = openLedger();
      l.record(FREE, MIDNIGHT - 1);
      l.record(OTHER, MIDNIGHT - 1);
      l.record(FREE, MIDNIGHT - 20_000);
      l.record(FREE, MIDNIGHT);
      l.record(OTHER, MIDNIGHT + 10_000);
      l.record(OTHER, MIDNIGHT + 20_000);
      assert.equal(l.dayCount(MIDNIGHT - DAY), 3);
      assert.equal(l.dayCount(MIDNIGHT), 3);
      assert.deepEqual(l.dayModels(MIDNIGHT - DAY), { [FREE]: 2, [OTHER]: 1 });
      assert.deepEqual(l.dayModels(MIDNIGHT), { [FREE]: 1, [OTHER]: 2 });
      assert.deepEqual(l.dayModels(MIDNIGHT + DAY), {});
      assert.equal(l.minuteCount(MIDNIGHT - MINUTE), 3);
      assert.equal(l.minuteCount(MIDNIGHT), 3);
      assert.deepEqual(l.daily(now, 3), [
        { dayStart: MIDNIGHT - 2 * DAY, count: 0 },
        { dayStart: MIDNIGHT - DAY, count: 3 },
        { dayStart: MIDNIGHT, count: 3 },
      ]);
      assert.deepEqual(l.hourly(now, 2), [
        { hourStart: MIDNIGHT - HOUR, count: 3 },
        { hourStart: MIDNIGHT, count: 3 },
      ]);
    });

    it('accepts records out of time order', () => {
      const l = openLedger();
      for (const dt of [5000, 1000, 3000, 1000, 60_000, 0]) l.record(FREE, T0 + dt);
      assert.equal(l.minuteCount(T0), 5);
      assert.equal(l.countSince(T0 + 1000), 5);
      assert.equal(l.countSince(T0 + 1001), 3);
      const again = reopen(l);
      assert.equal(again.countSince(T0 + 1001), 3);
      assert.equal(again.minuteCount(T0 + MINUTE), 1);
    });

    it('keeps model ids exactly, however odd (newlines, quotes, unicode), and cuts very long ones', () => {
      const l = openLedger();
      const odd = ['a\nb:free', '"quoted" :free', 'ünïcødé/模型:free', ''];
      for (const m of odd) l.record(m, T0);
      l.record('x'.repeat(1000), T0);
      const again = reopen(l);
      const models = again.dayModels(T0 - (T0 % DAY));
      for (const m of odd) assert.equal(models[m], 1, JSON.stringify(m));
      assert.equal(models['x'.repeat(256)], 1);
      assert.equal(logLines().length, 10, 'one dictionary line per model, one line per record');
      assert.equal(log.at('warn').length, 0);
    });

    it('one short line per record; the model name is written once per log', () => {
      const l = openLedger();
      for (let i = 0; i < 100; i++) l.record(FREE, T0 + i);
      const lines = logLines();
      assert.equal(lines.length, 101);
      assert.ok(
        lines.slice(1).every((s) => /^\d{13} 0$/.test(s)),
        lines[1],
      );
    });

    it('hourly() and daily() give zeros for empty slots, oldest first, ending now', () => {
      const l = openLedger();
      l.record(FREE, T0 - 3 * HOUR + 5);
      l.record(FREE, T0 + 10);
      l.record(FREE, T0 + 20);
      const h = l.hourly(T0 + 30 * MINUTE, 4);
      assert.deepEqual(
        h.map((x) => x.count),
        [1, 0, 0, 2],
      );
      assert.deepEqual(
        h.map((x) => x.hourStart),
        [T0 - 3 * HOUR, T0 - 2 * HOUR, T0 - HOUR, T0],
      );
      assert.deepEqual(l.hourly(T0, 0), []);
      assert.equal(l.daily(T0, 30).length, 30);
      assert.equal(l.daily(T0, 30).at(-1)?.count, 3);
    });
  });

  describe('persistence', () => {
    it('reopening keeps every count (minute, day, model, hour)', () => {
      now = MIDNIGHT + 5 * MINUTE;
      const l = openLedger();
      for (let i = 0; i < 50; i++) l.record(i % 3 ? FREE : OTHER, MIDNIGHT - 25 * MINUTE + i * MINUTE);
      const before = {
        m: l.minuteCount(MIDNIGHT),
        d0: l.dayModels(MIDNIGHT - DAY),
        d1: l.dayModels(MIDNIGHT),
        h: l.hourly(now, 48),
        s: l.countSince(MIDNIGHT - 3 * MINUTE),
      };
      const again = reopen(l);
      assert.deepEqual(
        {
          m: again.minuteCount(MIDNIGHT),
          d0: again.dayModels(MIDNIGHT - DAY),
          d1: again.dayModels(MIDNIGHT),
          h: again.hourly(now, 48),
          s: again.countSince(MIDNIGHT - 3 * MINUTE),
        },
        before,
      );
      assert.equal(again.dayCount(MIDNIGHT - DAY) + again.dayCount(MIDNIGHT), 50);
      assert.equal(log.at('warn').length, 0);
    });

    it('creates the directory; an unusable one is a clear error', () => {
      const nested = path.join(dir, 'a', 'b');
      Ledger.open(nested, { now: () => now }).close();
      assert.ok(fs.existsSync(path.join(nested, LEDGER_LOG)));
      const file = path.join(dir, 'not-a-dir');
      fs.writeFileSync(file, 'x');
      assert.throws(
        () => Ledger.open(file, { now: () => now }),
        (e: Error) => e.message.includes(file) && /ledger/.test(e.message),
      );
    });

    it('a failing disk: record() never throws, counts in memory, and rewrites everything once the disk works', () => {
      const l = openLedger();
      l.record(FREE, T0);
      const real = nodeFs.writeSync;
      (nodeFs as { writeSync: unknown }).writeSync = () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      };
      try {
        for (let i = 1; i <= 5; i++) l.record(FREE, T0 + i);
        now += 1000;
        l.record(OTHER, T0 + 6);
      } finally {
        (nodeFs as { writeSync: unknown }).writeSync = real;
      }
      assert.equal(l.minuteCount(T0), 7);
      assert.equal(log.at('error').length, 1, 'one error for the whole outage');
      now += 4000; // the retry comes 5 s after the last failure
      l.record(OTHER, T0 + 7);
      assert.ok(log.at('info').some((m) => m.includes('writing again')));
      const again = reopen(l);
      assert.equal(again.minuteCount(T0), 8);
      assert.deepEqual(again.dayModels(T0 - (T0 % DAY)), { [FREE]: 6, [OTHER]: 2 });
      assert.equal(log.at('warn').length, 0, 'the rewritten log has no half lines or duplicates');
    });

    it('record() after close() counts in memory and warns once, without throwing', () => {
      const l = openLedger();
      l.close();
      l.record(FREE, T0);
      l.record(FREE, T0);
      assert.equal(l.minuteCount(T0), 2);
      assert.equal(log.at('warn').length, 1);
    });
  });

  describe('who sent it, and take-backs', () => {
    it('counts per client beside per model, across a reopen and a compaction into history', () => {
      const l = openLedger();
      l.record(FREE, T0, 'VS Code chat / LM API');
      l.record(FREE, T0 + 1, 'Cline');
      l.record(OTHER, T0 + 2, 'Cline');
      l.record(OTHER, T0 + 3);
      const day = T0 - (T0 % DAY);
      assert.deepEqual(l.dayModels(day), { [FREE]: 2, [OTHER]: 2 });
      assert.deepEqual(l.dayClients(day), { 'VS Code chat / LM API': 1, Cline: 2 });
      assert.ok(
        logLines().some((line) => line === `@0 ${JSON.stringify([FREE, 'VS Code chat / LM API'])}`),
        logLines().join('|'),
      );
      assert.deepEqual(reopen(l).dayClients(day), { 'VS Code chat / LM API': 1, Cline: 2 });
      // Three days later the exact records are folded into ledger.json, clients too.
      now = T0 + 3 * DAY;
      const later = openLedger();
      later.close();
      const compact = JSON.parse(fs.readFileSync(path.join(dir, LEDGER_COMPACT), 'utf8')) as {
        v: number;
        clients: Record<string, Record<string, number>>;
      };
      assert.equal(compact.v, 2);
      assert.deepEqual(Object.values(compact.clients), [{ 'VS Code chat / LM API': 1, Cline: 2 }]);
      assert.deepEqual(openLedger().dayClients(day), { 'VS Code chat / LM API': 1, Cline: 2 });
    });

    it('reads a v1 ledger (model-only dictionary lines and ledger.json without clients)', () => {
      fs.writeFileSync(
        path.join(dir, LEDGER_COMPACT),
        JSON.stringify({
          v: 1,
          foldedThrough: T0 - (T0 % DAY) - DAY,
          hours: { [T0 - (T0 % DAY) - 3 * DAY]: { [FREE]: 4 } },
        }),
      );
      fs.writeFileSync(
        path.join(dir, LEDGER_LOG),
        ['# v1', `@0 ${JSON.stringify(FREE)}`, `${T0 - 5} 0`, `${T0 - 4} 0`].join('\n') + '\n',
      );
      const l = openLedger();
      assert.equal(l.dayCount(T0), 2);
      assert.equal(l.dayCount(T0 - 3 * DAY), 4);
      assert.deepEqual(l.dayClients(T0), {});
      assert.equal(log.at('warn').length, 0);
    });

    it('a take-back cancels exactly one attempt of that time and entry, also when read back', () => {
      const l = openLedger();
      const a = l.record(FREE, T0, 'Cline');
      l.record(FREE, T0, 'Cline');
      const c = l.record(FREE, T0 + 10, 'aider');
      assert.equal(l.takeBack(a), true);
      assert.equal(l.takeBack(c), true);
      assert.equal(l.takeBack(c), false, 'already taken back');
      assert.equal(l.minuteCount(T0), 1);
      assert.deepEqual(l.dayClients(T0), { Cline: 1 });
      assert.ok(logLines().some((line) => line.startsWith('-')));
      const again = reopen(l);
      assert.equal(again.countSince(0), 1);
      assert.deepEqual(again.dayClients(T0), { Cline: 1 });
      assert.equal(again.countUntil(T0 + 100), 1);
    });
  });

  describe('compaction and retention', () => {
    const today = T0 - (T0 % DAY);

    /**
     * A ledger that lived through `days` days ending today at 12:00, with a clock moving along: 4 records a
     * day at 01:17, 07:17, 13:17 (OTHER) and 19:17 UTC. Leaves `now` at T0.
     */
    const history = (days: number, over: Partial<LedgerOptions> = {}): Ledger => {
      now = today - (days - 1) * DAY;
      const l = openLedger(over);
      for (let d = days - 1; d >= 0; d--) {
        for (const h of [1, 7, 13, 19]) {
          const t = today - d * DAY + h * HOUR + 17 * MINUTE;
          if (t > T0) continue;
          now = t;
          l.record(h === 13 ? OTHER : FREE, t);
        }
      }
      now = T0;
      return l;
    };
    const recordLines = (): number => logLines().filter((s) => !s.startsWith('@')).length;

    it('on open: keeps totals and hourly history, drops what is older than 30 days, keeps the log to two days', () => {
      const past = history(40, { retentionDays: 100 });
      assert.equal(total(past), 39 * 4 + 2);
      const hoursBefore = past.hourly(T0, 30 * 24);
      past.close();

      const l = openLedger();
      assert.equal(l.dayCount(today), 2);
      assert.equal(l.dayCount(today - 30 * DAY), 4, 'the 30th day back is kept');
      assert.equal(l.dayCount(today - 31 * DAY), 0, 'the 31st is dropped');
      assert.equal(total(l), 30 * 4 + 2);
      assert.deepEqual(l.hourly(T0, 30 * 24), hoursBefore, 'hour buckets are the same');
      assert.deepEqual(l.dayModels(today - 10 * DAY), { [FREE]: 3, [OTHER]: 1 });
      assert.equal(l.minuteCount(today + 7 * HOUR + 17 * MINUTE), 1, 'today is exact');
      assert.equal(l.minuteCount(today - DAY + 19 * HOUR + 17 * MINUTE), 1, 'yesterday is exact');
      assert.equal(l.countSince(today - DAY + 19 * HOUR + 17 * MINUTE + 1), 2);
      assert.equal(recordLines(), 6, 'the log holds only yesterday and today');
      const compact = JSON.parse(fs.readFileSync(path.join(dir, LEDGER_COMPACT), 'utf8')) as {
        foldedThrough: number;
        hours: Record<string, unknown>;
      };
      assert.equal(compact.foldedThrough, today - DAY);
      assert.equal(Object.keys(compact.hours).length, 29 * 4);

      const again = reopen(l);
      assert.deepEqual(again.hourly(T0, 31 * 24), l.hourly(T0, 31 * 24));
      assert.deepEqual(again.daily(T0, 40), l.daily(T0, 40));
      assert.equal(log.at('warn').length, 0);
    });

    it('while running: the first record of a new UTC day folds the day before yesterday', () => {
      const l = history(3);
      assert.equal(total(l), 10);
      assert.equal(recordLines(), 6, 'folded at the last rollover');
      const days = l.daily(T0, 5);
      now = T0 + DAY;
      l.record(FREE, now);
      assert.equal(recordLines(), 3, 'yesterday (the old today) plus the new record');
      assert.deepEqual(l.daily(T0, 5), days);
      assert.equal(l.dayCount(today + DAY), 1);
      const again = reopen(l);
      assert.deepEqual(again.daily(now, 6), l.daily(now, 6));
      assert.deepEqual(again.hourly(now, 96), l.hourly(now, 96));
    });

    it('also when the log passes its size, keeping every count', () => {
      const l = openLedger({ compactAfterLines: 50 });
      const compactions = (): number => log.at('debug').filter((m) => m.includes('compacted')).length;
      const before = compactions();
      for (let i = 0; i < 200; i++) l.record(i % 2 ? FREE : OTHER, T0 + i * 100);
      // 50 lines, then each time the log has doubled: at 50, 100 and 200 lines.
      assert.equal(compactions() - before, 3);
      assert.equal(total(l), 200);
      assert.equal(reopen(l).minuteCount(T0), 200);
    });

    it('a crash between writing ledger.json and rewriting the log counts nothing twice', () => {
      const old = today - 3 * DAY + 5 * HOUR;
      fs.writeFileSync(
        path.join(dir, LEDGER_COMPACT),
        JSON.stringify({ v: 1, foldedThrough: today - DAY, hours: { [old]: { [FREE]: 3 } } }),
      );
      const lines = [
        '# test',
        `@0 ${JSON.stringify(FREE)}`,
        `${old + 1} 0`,
        `${old + 2} 0`,
        `${old + 3} 0`,
        `${T0 - 5} 0`,
        `${T0 - 4} 0`,
      ];
      fs.writeFileSync(path.join(dir, LEDGER_LOG), lines.join('\n') + '\n');
      const l = openLedger();
      assert.equal(l.dayCount(today - 3 * DAY), 3);
      assert.equal(l.dayCount(today), 2);
      assert.equal(total(l), 5);
      assert.equal(log.at('warn').length, 0);
    });

    it('a clock that jumped back past the folded history still counts the record', () => {
      const l = openLedger();
      l.record(FREE, T0 - 10 * DAY);
      assert.equal(total(l), 1);
      assert.equal(reopen(l).countSince(0), 1);
    });

    it('countSince before the exact days counts whole hours', () => {
      now = today - 5 * DAY;
      const l = openLedger({ retentionDays: 100 });
      l.record(FREE, now + 10 * MINUTE);
      l.record(FREE, now + 50 * MINUTE);
      l.record(FREE, now + 2 * HOUR);
      now = T0;
      const again = reopen(l, { retentionDays: 100 });
      assert.equal(again.countSince(today - 5 * DAY + 30 * MINUTE), 3, 'the hour containing t counts whole');
      assert.equal(again.countSince(today - 5 * DAY + HOUR), 1);
    });
  });

  describe('damaged files', () => {
    it('an unreadable ledger.json is set aside with a warning; the ledger works from what it can read', () => {
      const l = openLedger();
      l.record(FREE, T0);
      l.close();
      const compact = path.join(dir, LEDGER_COMPACT);
      fs.writeFileSync(compact, '{"v":1,"foldedThrough":');
      const again = openLedger();
      assert.equal(again.minuteCount(T0), 1, 'the exact records in the log still count');
      const aside = fs.readdirSync(dir).filter((f) => f.startsWith(`${LEDGER_COMPACT}.corrupt-`));
      assert.equal(aside.length, 1);
      assert.equal(fs.readFileSync(path.join(dir, aside[0]), 'utf8'), '{"v":1,"foldedThrough":', 'kept as it was');
      assert.equal(log.at('warn').length, 1);
      assert.match(log.at('warn')[0], /unreadable.*moved/);
      again.record(FREE, T0 + 1);
      assert.equal(reopen(again).minuteCount(T0), 2);
      assert.equal(log.at('warn').length, 1, 'the rewritten file reads fine');
    });

    for (const [what, body] of [
      ['valid JSON of the wrong shape', '{"v":1,"foldedThrough":0,"hours":{"12":{"m":1}}}'],
      ['a negative count', `{"v":1,"foldedThrough":${T0 - (T0 % DAY)},"hours":{"${T0 - 3 * DAY}":{"m":-4}}}`],
      ['an unknown version', '{"v":7}'],
      ['binary garbage', '\u0000\u0001\u00ff'],
    ]) {
      it(`ledger.json with ${what} is set aside`, () => {
        fs.writeFileSync(path.join(dir, LEDGER_COMPACT), body);
        const l = openLedger();
        l.record(FREE, T0);
        assert.equal(l.minuteCount(T0), 1);
        assert.equal(log.at('warn').length, 1);
        assert.equal(fs.readdirSync(dir).filter((f) => f.includes('.corrupt-')).length, 1);
      });
    }

    it('garbage lines are skipped with one warning; a half-written last line is dropped quietly', () => {
      const lines = [
        '# header',
        `@0 ${JSON.stringify(FREE)}`,
        `${T0} 0`,
        'garbage',
        `${T0 + 1} 7`, // an id never defined
        '@1 not-json',
        `${T0 + 2} 0`,
        '\u0000\u0000\u0000',
        `${T0 + 3} 0 extra`,
        `${T0 + 4} 0`,
      ];
      fs.writeFileSync(path.join(dir, LEDGER_LOG), lines.join('\n') + '\n' + `${T0 + 5} `);
      const l = openLedger();
      assert.equal(l.minuteCount(T0), 3);
      assert.equal(log.at('warn').length, 1);
      assert.match(log.at('warn')[0], /skipped 5 unreadable line\(s\).*line 4/);
      l.record(FREE, T0 + 6);
      const again = reopen(l);
      assert.equal(again.minuteCount(T0), 4);
      assert.equal(log.at('warn').length, 1, 'the rewritten log is clean');
    });

    it('a half-written line (with a new model) at the end does not swallow the next record', () => {
      const lines = ['# header', `@0 ${JSON.stringify(FREE)}`, `${T0} 0`];
      fs.writeFileSync(path.join(dir, LEDGER_LOG), lines.join('\n') + '\n' + '@1 "deepseek/dee');
      // Even if compaction on open fails, the tail is cut before anything is appended.
      const l = openLedger();
      l.record(OTHER, T0 + 1);
      assert.deepEqual(reopen(l).dayModels(T0 - (T0 % DAY)), { [FREE]: 1, [OTHER]: 1 });
      assert.equal(log.at('warn').length, 0);
    });

    it('files left by a compaction killed before its renames are ignored and removed', () => {
      const l = openLedger();
      l.record(FREE, T0);
      l.close();
      fs.writeFileSync(path.join(dir, `${LEDGER_COMPACT}.tmp`), '{"v":1,"foldedTh');
      fs.writeFileSync(path.join(dir, `${LEDGER_LOG}.tmp`), `# header\n@0 "x"\n${T0} 0\n${T0}`);
      const again = openLedger();
      assert.deepEqual(again.dayModels(T0 - (T0 % DAY)), { [FREE]: 1 });
      assert.deepEqual(fs.readdirSync(dir).sort(), [LEDGER_COMPACT, LEDGER_LOG].sort());
      assert.equal(log.at('warn').length, 0);
    });

    it('an empty or header-only log is fine', () => {
      fs.writeFileSync(path.join(dir, LEDGER_LOG), '');
      assert.equal(total(openLedger()), 0);
    });
  });

  describe('crash safety (a child process killed with SIGKILL mid-burst)', function () {
    this.timeout(60_000);
    const child = path.join(__dirname, '..', 'fixtures', 'ledgerChild.js');

    /**
     * Runs the child until it has reported at least `atLeast` records, kills it, returns the last number it
     * printed. The kill follows the data event after `jitterMs`: killed at once, the signal nearly always lands
     * in the next record's fdatasync; a few ms later it can land anywhere in the loop, compactions included.
     */
    const burstAndKill = (
      childDir: string,
      mode: string,
      atLeast: number,
      jitterMs = 0,
    ): Promise<{ last: number; signal: NodeJS.Signals | null }> =>
      new Promise((resolve, reject) => {
        const p = spawn(process.execPath, [child, childDir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
        let last = 0;
        let rest = '';
        let stderr = '';
        let killed = false;
        p.stdout.setEncoding('utf8');
        p.stdout.on('data', (chunk: string) => {
          const lines = (rest + chunk).split('\n');
          rest = lines.pop() ?? '';
          for (const s of lines) if (/^\d+$/.test(s)) last = Math.max(last, Number(s));
          if (!killed && last >= atLeast) {
            killed = true;
            if (jitterMs) setTimeout(() => p.kill('SIGKILL'), jitterMs);
            else p.kill('SIGKILL');
          }
        });
        p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        p.on('error', reject);
        // 'close': the process is gone and everything it printed has been read.
        p.on('close', (_code, signal) =>
          killed ? resolve({ last, signal }) : reject(new Error(`child ended before the kill: ${stderr}`)),
        );
      });

    it('keeps every record whose record() returned, over repeated kills into the same ledger', async () => {
      let reported = 0;
      for (let run = 0; run < 4; run++) {
        const { last, signal } = await burstAndKill(dir, 'plain', 200 + run * 97, run);
        assert.equal(signal, 'SIGKILL');
        assert.ok(last >= 200);
        reported += last;
        const l = Ledger.open(dir, { now: Date.now, log }); // the child records on the real clock
        const counted = l.countSince(0);
        l.close();
        // Each run may have finished one more record() than it managed to print.
        assert.ok(counted >= reported, `run ${run}: ${counted} counted < ${reported} reported`);
        assert.ok(counted <= reported + run + 1, `run ${run}: ${counted} counted, only ${reported} reported`);
        reported = counted;
      }
      assert.equal(log.at('warn').length, 0, log.at('warn').join('\n'));
    });

    it('keeps every record when the kill lands during compactions (synthetic days, tiny size threshold)', async () => {
      for (let run = 0; run < 4; run++) {
        const runDir = path.join(dir, `c${run}`);
        const { last, signal } = await burstAndKill(runDir, 'compacting', 150 + run * 211, 1 + run * 1.5);
        assert.equal(signal, 'SIGKILL');
        const l = Ledger.open(runDir, { now: Date.now, log, retentionDays: 200 });
        const counted = l.countSince(0);
        const byDay = l.daily(Date.now(), 101).reduce((s, d) => s + d.count, 0);
        l.close();
        assert.ok(counted === last || counted === last + 1, `run ${run}: ${counted} counted, ${last} reported`);
        assert.equal(byDay, counted);
      }
      assert.equal(log.at('warn').length, 0, log.at('warn').join('\n'));
    });
  });
});
