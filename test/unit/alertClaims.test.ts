// The one-window rule (src/core/alertClaims.ts) on a real temporary directory: exclusive claims, the
// cross-window cooldown, the shared mute, cleanup after two days; two simulated windows (two AlertClaims and
// two decision memories on one directory, fed the same snapshots) that together show each alert exactly
// once; and two real processes racing for the same claims.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AlertClaims, CLAIM_MAX_AGE_MS, muteFileName } from '../../src/core/alertClaims';
import { type Alert, type AlertMemory, type AlertSettings, decide, emptyMemory } from '../../src/core/alerts';
import type { RateLimitEvent } from '../../src/core/account/view';
import { buildSnapshot, DEFAULT_SETTINGS, type QuotaSnapshot } from '../../src/core/quota';
import { meteredView } from './accountSupport';
import { DAY, HOUR, MINUTE, nextUtcMidnight } from '../../src/shared/time';
import { MemoryLogger, observation } from './helpers';

const T0 = Date.UTC(2026, 9, 1, 12, 0, 0);
const ALL: AlertSettings = { level: 'all', timeZone: 'UTC' };

interface Moment {
  used: number;
  waiting?: number;
  balance?: number;
  rateLimit?: RateLimitEvent;
  auth?: number;
}

function snap(now: number, m: Moment): QuotaSnapshot {
  const over =
    m.balance !== undefined
      ? { balance: { kind: 'known' as const, credits: { totalCredits: 20, totalUsage: 20 - m.balance } } }
      : {};
  const error =
    m.auth !== undefined
      ? { reason: 'auth' as const, message: 'OpenRouter rejected the API key (401)', at: m.auth }
      : undefined;
  const obs = observation(now - 5_000, over, { used: m.used, limit: 50 });
  const view = meteredView(obs, now, {
    minuteUsed: m.waiting ? 20 : 3,
    waiting: m.waiting,
    lastRateLimit: m.rateLimit,
  });
  return buildSnapshot(obs, error, DEFAULT_SETTINGS, now, view);
}

/** A VS Code window as the adapter runs it: decide with its own memory, claim in the shared dir, show if won. */
class SimWindow {
  memory: AlertMemory = emptyMemory();
  decided: Alert[] = [];
  readonly shown: { at: number; alert: Alert }[] = [];
  constructor(readonly claims: AlertClaims) {}
  feed(s: QuotaSnapshot, now = s.at): void {
    const d = decide(s, this.memory, { ...ALL, mutedUntil: this.claims.mutedUntil(now) }, now);
    // What the adapter persists goes through JSON.
    this.memory = JSON.parse(JSON.stringify(d.memory)) as AlertMemory;
    this.decided.push(...d.show);
    for (const alert of d.show) if (this.claims.tryClaim(alert.claim, now)) this.shown.push({ at: now, alert });
  }
}

describe('AlertClaims (real files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-alerts-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates its directory; a claim is won once, by one instance, and records when', () => {
    const sub = path.join(dir, 'alerts');
    const a = new AlertClaims(sub);
    const b = new AlertClaims(sub);
    assert.ok(fs.statSync(sub).isDirectory());
    assert.equal(a.isClaimed('daily-2026-10-01-warning'), false);
    assert.equal(a.claim('daily-2026-10-01-warning', T0), true);
    assert.equal(a.claim('daily-2026-10-01-warning', T0), false);
    assert.equal(b.claim('daily-2026-10-01-warning', T0 + 1), false);
    assert.equal(b.isClaimed('daily-2026-10-01-warning'), true);
    assert.equal(
      (JSON.parse(fs.readFileSync(path.join(sub, 'daily-2026-10-01-warning'), 'utf8')) as { at: number }).at,
      T0,
    );
  });

  it('refuses names that are not plain file names', () => {
    const c = new AlertClaims(dir);
    for (const bad of ['', '../x', 'a/b', '.hidden', 'a\\b', 'x'.repeat(200)])
      assert.throws(() => c.claim(bad, T0), /invalid claim name/);
  });

  it('does not claim an alert that a higher one already superseded', () => {
    const c = new AlertClaims(dir);
    assert.equal(c.tryClaim({ key: 'daily-d-critical', supersededBy: ['daily-d-reached'] }, T0), true);
    assert.equal(
      c.tryClaim({ key: 'daily-d-warning', supersededBy: ['daily-d-critical', 'daily-d-reached'] }, T0),
      false,
    );
    assert.equal(c.isClaimed('daily-d-warning'), false);
  });

  it('a group with everyMs is claimed at most once per period, across a bucket boundary too', () => {
    const a = new AlertClaims(dir);
    const b = new AlertClaims(dir);
    const every = 10 * MINUTE;
    const start = Math.floor(T0 / every) * every + 9 * MINUTE; // 1 min before a bucket boundary
    assert.equal(a.tryClaim({ key: 'minute', everyMs: every }, start), true);
    assert.equal(b.tryClaim({ key: 'minute', everyMs: every }, start + 30_000), false);
    assert.equal(
      b.tryClaim({ key: 'minute', everyMs: every }, start + 2 * MINUTE),
      false,
      'next bucket, but only 2 min later',
    );
    assert.equal(b.tryClaim({ key: 'minute', everyMs: every }, start + every - 1), false);
    assert.equal(b.tryClaim({ key: 'minute', everyMs: every }, start + every), true);
    assert.equal(a.tryClaim({ key: 'minute', everyMs: every }, start + every + 1), false);
    // Another group is independent.
    assert.equal(a.tryClaim({ key: 'upstream-streak', everyMs: every }, start + every), true);
  });

  it('mute for today holds in every instance until 00:00 UTC', () => {
    const a = new AlertClaims(dir);
    const b = new AlertClaims(dir);
    assert.equal(b.mutedUntil(T0), undefined);
    a.mute(T0);
    a.mute(T0 + 1); // twice is fine
    assert.equal(b.mutedUntil(T0 + HOUR), nextUtcMidnight(T0));
    assert.ok(fs.existsSync(path.join(dir, muteFileName(T0))));
    assert.equal(b.mutedUntil(nextUtcMidnight(T0)), undefined);
  });

  it('removes claims and mutes older than two days, keeps newer ones and files that are not its own', () => {
    const c = new AlertClaims(dir);
    c.claim('daily-2026-09-28-warning', T0 - 3 * DAY);
    c.claim('key-rejected-1', T0 - CLAIM_MAX_AGE_MS - 1);
    c.mute(T0 - 3 * DAY);
    c.claim('daily-2026-09-30-warning', T0 - DAY);
    c.claim('minute@1', T0 - CLAIM_MAX_AGE_MS);
    fs.writeFileSync(path.join(dir, '.not-ours'), '');
    // A claim without a readable time (cut short by a crash) is dated by its mtime.
    fs.writeFileSync(path.join(dir, 'empty'), '');
    fs.utimesSync(path.join(dir, 'empty'), new Date(T0 - 3 * DAY), new Date(T0 - 3 * DAY));
    fs.writeFileSync(path.join(dir, 'fresh-empty'), '');
    fs.utimesSync(path.join(dir, 'fresh-empty'), new Date(T0 - MINUTE), new Date(T0 - MINUTE));
    assert.equal(c.cleanup(T0), 4);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['.not-ours', 'daily-2026-09-30-warning', 'fresh-empty', 'minute@1']);
    assert.equal(c.cleanup(T0), 0);
  });

  it('recreates a directory that was deleted under it', () => {
    const sub = path.join(dir, 'alerts');
    const c = new AlertClaims(sub);
    fs.rmSync(sub, { recursive: true });
    assert.equal(c.claim('x', T0), true);
    assert.equal(c.claim('x', T0), false);
  });

  it('fails open (claims succeed, one warning) when the directory cannot hold files', () => {
    const log = new MemoryLogger();
    const sub = path.join(dir, 'alerts');
    const c = new AlertClaims(sub, log);
    // A file where the directory should be: every claim fails with ENOTDIR (not EEXIST).
    fs.rmSync(sub, { recursive: true });
    fs.writeFileSync(sub, '');
    assert.equal(c.claim('x', T0), true);
    assert.equal(c.claim('x', T0), true);
    assert.equal(log.at('warn').length, 1);
    assert.match(log.at('warn')[0], /cannot record notification claims/);
  });

  describe('two windows on one directory', () => {
    /** Six hours of a busy day, a snapshot every 30 s, fed to both windows (alternating who goes first). */
    function busyDay(): { t: number; m: Moment }[] {
      const out: { t: number; m: Moment }[] = [];
      let lastPerMinute: number | undefined;
      let lastUpstream: number | undefined;
      for (let i = 0; i < 6 * 120; i++) {
        const t = T0 + i * 30_000;
        const min = Math.floor(i / 2);
        const used = Math.min(55, 30 + Math.floor(min / 12));
        // The queue fills in the first half of every 7th minute; a per-minute 429 every 5 minutes.
        const waiting = min % 7 === 0 && i % 2 === 0 ? 3 : 0;
        if (min % 5 === 0 && i % 2 === 1) lastPerMinute = t - 1_000;
        // Upstream 429s every 3 minutes between 2:00 and 3:00, then quiet.
        if (min >= 120 && min < 180 && min % 3 === 0 && i % 2 === 0) lastUpstream = t - 500;
        const rateLimit =
          lastUpstream !== undefined && (lastPerMinute === undefined || lastUpstream > lastPerMinute)
            ? { kind: 'upstream' as const, at: lastUpstream, message: 'upstream' }
            : lastPerMinute !== undefined
              ? { kind: 'per-minute' as const, at: lastPerMinute, message: 'per-minute' }
              : undefined;
        out.push({
          t,
          m: {
            used,
            waiting,
            rateLimit,
            balance: min >= 200 ? -0.5 : 2,
            auth: min >= 300 ? T0 + 300 * MINUTE : undefined,
          },
        });
      }
      return out;
    }

    it('show each alert exactly once in total, and minute alerts at most every 10 minutes', () => {
      const a = new SimWindow(new AlertClaims(dir));
      const b = new SimWindow(new AlertClaims(dir));
      for (const [i, { t, m }] of busyDay().entries()) {
        const s = snap(t, m);
        const [first, second] = i % 2 ? [a, b] : [b, a];
        first.feed(s);
        second.feed(s, t + 5);
      }
      const shown = [...a.shown, ...b.shown].sort((x, y) => x.at - y.at);
      // Both windows decided the same alerts; the claims let each through once.
      assert.deepEqual(
        a.decided.map((x) => x.message),
        b.decided.map((x) => x.message),
      );
      assert.equal(shown.length, a.decided.length);
      const kinds = shown.map((x) => x.alert.kind);
      const count = (k: string) => kinds.filter((x) => x === k).length;
      assert.equal(count('daily-warning'), 1);
      assert.equal(count('daily-critical'), 1);
      assert.equal(count('daily-reached'), 1);
      assert.equal(count('negative-balance'), 1);
      assert.equal(count('key-rejected'), 1);
      assert.equal(count('upstream-streak'), 1);
      assert.ok(count('minute') >= 20 && count('minute') <= 36, `minute alerts: ${count('minute')}`);
      const minuteTimes = shown.filter((x) => x.alert.kind === 'minute').map((x) => x.at);
      for (let i = 1; i < minuteTimes.length; i++)
        assert.ok(minuteTimes[i] - minuteTimes[i - 1] >= 10 * MINUTE, `minute alerts ${i - 1} and ${i} too close`);
      // Each claim key was shown once (daily, balance, key).
      const keys = shown.filter((x) => !x.alert.claim.everyMs).map((x) => x.alert.claim.key);
      assert.equal(new Set(keys).size, keys.length);
      // Both windows showed some: the one that comes first wins, whichever it is.
      assert.ok(a.shown.length > 0 && b.shown.length > 0);
    });

    it('a window that sees an older, lower count after another showed a higher level shows nothing', () => {
      const a = new SimWindow(new AlertClaims(dir));
      const b = new SimWindow(new AlertClaims(dir));
      a.feed(snap(T0, { used: 49 })); // critical, shown by A
      b.feed(snap(T0 + 1_000, { used: 40 })); // B's stale snapshot: warning, but critical is claimed
      b.feed(snap(T0 + 2_000, { used: 49 }));
      assert.deepEqual(
        a.shown.map((x) => x.alert.kind),
        ['daily-critical'],
      );
      assert.deepEqual(b.shown, []);
    });

    it('a window that opens later (fresh memory) does not repeat what another showed', () => {
      const a = new SimWindow(new AlertClaims(dir));
      a.feed(snap(T0, { used: 41, balance: -1, auth: T0 - MINUTE }));
      assert.equal(a.shown.length, 3);
      const late = new SimWindow(new AlertClaims(dir));
      late.feed(snap(T0 + HOUR, { used: 42, balance: -1, auth: T0 - MINUTE }));
      assert.equal(late.decided.length, 3);
      assert.deepEqual(late.shown, []);
    });

    it('mute for today in one window silences the other, except a rejected key', () => {
      const a = new SimWindow(new AlertClaims(dir));
      const b = new SimWindow(new AlertClaims(dir));
      a.claims.mute(T0);
      b.feed(snap(T0 + MINUTE, { used: 49, waiting: 2, balance: -1, auth: T0 }));
      a.feed(snap(T0 + MINUTE, { used: 49, waiting: 2, balance: -1, auth: T0 }));
      assert.deepEqual(
        [...a.shown, ...b.shown].map((x) => x.alert.kind),
        ['key-rejected'],
      );
      // The next UTC day, both are free to tell again.
      const tomorrow = nextUtcMidnight(T0) + MINUTE;
      b.feed(snap(tomorrow, { used: 45 }));
      a.feed(snap(tomorrow, { used: 45 }));
      assert.deepEqual(
        [...a.shown, ...b.shown].map((x) => x.alert.kind),
        ['key-rejected', 'daily-warning'],
      );
    });
  });

  describe('two processes racing for the same claims', function () {
    this.timeout(30_000);
    const modulePath = path.join(__dirname, '..', '..', 'src', 'core', 'alertClaims.js');
    const CHILD = `
      const fs = require('node:fs');
      const [mod, dir, go, n] = process.argv.slice(1);
      const { AlertClaims } = require(mod);
      const claims = new AlertClaims(dir);
      process.stdout.write('ready\\n');
      while (!fs.existsSync(go)) {}
      const won = [];
      for (let i = 0; i < Number(n); i++) if (claims.claim('race-' + i, Date.now())) won.push(i);
      process.stdout.write(JSON.stringify(won) + '\\n');
    `;

    function racer(claimDir: string, go: string, n: number, onReady: () => void): Promise<number[]> {
      return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, ['-e', CHILD, modulePath, claimDir, go, String(n)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        let ready = false;
        p.stdout.setEncoding('utf8');
        p.stdout.on('data', (c: string) => {
          out += c;
          if (!ready && out.includes('ready\n')) {
            ready = true;
            onReady();
          }
        });
        p.stderr.on('data', (c: Buffer) => (err += c.toString()));
        p.on('error', reject);
        p.on('close', (code) => {
          const last = out.trim().split('\n').pop() ?? '';
          if (code !== 0) reject(new Error(`racer exited ${code}: ${err}`));
          else resolve(JSON.parse(last) as number[]);
        });
      });
    }

    it('exactly one process wins each claim', async () => {
      const n = 500;
      const claimDir = path.join(dir, 'alerts');
      const go = path.join(dir, 'go');
      let ready = 0;
      const start = () => {
        if (++ready === 2) fs.writeFileSync(go, '');
      };
      const [x, y] = await Promise.all([racer(claimDir, go, n, start), racer(claimDir, go, n, start)]);
      const both = x.filter((i) => y.includes(i));
      assert.deepEqual(both, [], 'a claim won by both processes');
      assert.equal(x.length + y.length, n, 'every claim won by one of them');
      assert.equal(fs.readdirSync(claimDir).length, n);
    });
  });
});
