// The words on screen: status bar text, tooltip markdown (and what it must never let a server inject),
// the accessibility label and the one-line summary, all from snapshots built by buildSnapshot.
import * as assert from 'node:assert/strict';
import { escapeMarkdown, renderStatusBar, renderSummary, renderTooltip } from '../../src/core/format';
import { usd } from '../../src/shared/money';
import {
  buildSnapshot,
  DEFAULT_SETTINGS,
  noKeySnapshot,
  type Observation,
  type QuotaSnapshot,
  type SnapshotError,
} from '../../src/core/quota';
import { CommandId } from '../../src/shared/commandIds';
import { MemoryMeter, modelAt } from './accountSupport';
import { keyInfo, observation } from './helpers';

/** 2026-10-01 18:48:00 UTC; the reset is at 00:00 UTC = 02:00 in Berlin (CEST), 20:00 in New York (EDT). */
const NOW = Date.UTC(2026, 9, 1, 18, 48, 0);
const BERLIN = { timeZone: 'Europe/Berlin' };
const known = (totalCredits: number, totalUsage: number): Observation['balance'] => ({
  kind: 'known',
  credits: { totalCredits, totalUsage },
});

/** 12/50 today, 3 more than a minute ago. */
const typicalObs = (over: Partial<Observation> = {}) =>
  observation(NOW, { previous: { used: 9, at: NOW - 60_000 }, ...over });
const snap = (obs: Observation | undefined, error?: SnapshotError, at = NOW) =>
  buildSnapshot(obs, error, DEFAULT_SETTINGS, at);

/** Every `[..](command:x)` link in markdown: only our own commands may appear. */
function commandLinks(md: string): string[] {
  return [...md.matchAll(/\]\(command:([^)\s]+)\)/g)].map((m) => m[1]);
}
const OUR_COMMANDS = new Set<string>(Object.values(CommandId));

describe('renderStatusBar', () => {
  it('shows today and this minute exactly like "$(pulse) 12/50 · ~3/20"', () => {
    const v = renderStatusBar(snap(typicalObs()), BERLIN);
    assert.equal(v.text, '$(pulse) 12/50 · ~3/20');
    assert.equal(v.severity, 'normal');
    assert.equal(v.command, CommandId.showQuota);
    assert.equal(v.accessibilityLabel, 'OpenRouter free requests: 12 of 50 today, about 3 of 20 this minute');
  });

  it('shows — for what is unknown, never a made-up 0', () => {
    assert.equal(renderStatusBar(snap(observation(NOW))).text, '$(pulse) 12/50 · —/20');
    assert.equal(renderStatusBar(snap(observation(NOW, {}, null))).text, '$(pulse) —/50 · —/20');
    const unknownTier = observation(NOW, { key: keyInfo({ isFreeTier: false, freeDaily: null }) }, null);
    const v = renderStatusBar(snap(unknownTier));
    assert.equal(v.text, '$(pulse) —/50|1000 · —/20');
    assert.equal(v.accessibilityLabel, 'OpenRouter free requests: unknown of unknown today, unknown of 20 this minute');
    assert.ok(!/\b0\//.test(v.text));
  });

  it('a real zero is shown as 0', () => {
    assert.equal(
      renderStatusBar(snap(observation(NOW, { previous: { used: 0, at: NOW - 60_000 } }, { used: 0, limit: 1000 })))
        .text,
      '$(pulse) 0/1000 · ~0/20',
    );
  });

  it('takes its colour from the snapshot severity', () => {
    assert.equal(renderStatusBar(snap(observation(NOW, {}, { used: 41, limit: 50 }))).severity, 'warning');
    assert.equal(renderStatusBar(snap(observation(NOW, {}, { used: 50, limit: 50 }))).severity, 'critical');
  });

  it('no key: "$(key) OpenRouter", and a click sets the key', () => {
    const v = renderStatusBar(noKeySnapshot(NOW));
    assert.equal(v.text, '$(key) OpenRouter');
    assert.equal(v.command, CommandId.setApiKey);
    assert.equal(v.command, 'openrouterQuota.setApiKey');
    assert.deepEqual(commandLinks(v.tooltip), [CommandId.setApiKey]);
  });

  it('loading has its own text', () => {
    assert.equal(renderStatusBar(snap(undefined)).text, '$(loading~spin) OpenRouter');
  });

  it('a rejected key: "key rejected", critical, a click sets the key, with or without earlier numbers', () => {
    const err: SnapshotError = { reason: 'auth', message: 'OpenRouter did not accept the API key (401).', at: NOW };
    for (const obs of [undefined, typicalObs()]) {
      const v = renderStatusBar(snap(obs, err));
      assert.equal(v.text, '$(error) OpenRouter: key rejected');
      assert.equal(v.severity, 'critical');
      assert.equal(v.command, CommandId.setApiKey);
      assert.equal(v.accessibilityLabel, 'OpenRouter Quota: API key rejected');
      assert.ok(commandLinks(v.tooltip).includes(CommandId.setApiKey));
    }
  });

  it('another error: the last numbers with a disconnect icon, or a warning when there are none', () => {
    const err: SnapshotError = {
      reason: 'network',
      message: 'Cannot reach OpenRouter: ECONNREFUSED',
      at: NOW + 30_000,
      retryAt: NOW + 45_000,
    };
    const withData = renderStatusBar(snap(typicalObs(), err, NOW + 30_000));
    assert.equal(withData.text, '$(debug-disconnect) 12/50 · ~3/20');
    assert.match(withData.accessibilityLabel, /out of date$/);
    assert.equal(withData.command, CommandId.showQuota);
    const bare = renderStatusBar(snap(undefined, err, NOW + 30_000));
    assert.equal(bare.text, '$(warning) OpenRouter');
    assert.equal(bare.command, CommandId.showQuota);
    assert.equal(bare.severity, 'normal');
  });
});

describe('renderTooltip', () => {
  it('has used, limit and remaining, and the reset in UTC and in local time', () => {
    const md = renderTooltip(snap(typicalObs()), BERLIN);
    assert.ok(md.includes('Today: **12 / 50** free requests used, **38 left** (official, from OpenRouter)'), md);
    assert.ok(md.includes('Daily quota resets in 5 h 12 min, at 00:00 UTC (02:00 local)'), md);
    assert.ok(
      md.includes("This minute: ~3 / 20 (estimate from the growth of today's count); window resets in 1 min"),
      md,
    );
    assert.ok(
      renderTooltip(snap(typicalObs()), { timeZone: 'America/New_York' }).includes('at 00:00 UTC (20:00 local)'),
    );
    assert.ok(renderTooltip(snap(typicalObs()), { timeZone: 'Asia/Kolkata' }).includes('at 00:00 UTC (05:30 local)'));
  });

  it('says the count is unknown rather than inventing one', () => {
    const md = renderTooltip(
      snap(observation(NOW, { key: keyInfo({ isFreeTier: false, freeDaily: null }) }, null)),
      BERLIN,
    );
    assert.ok(md.includes('Today: count unknown: OpenRouter did not report it (limit 50 or 1000)'), md);
    assert.ok(
      md.includes('This minute: — / 20 (unknown until two polls a minute apart; the local proxy counts it exactly)'),
      md,
    );
  });

  it('explains the tier, and offers to add credits only below the funded tier', () => {
    const base = renderTooltip(snap(typicalObs()));
    assert.match(base, /Tier: OpenRouter allows this account 50 free requests a day/);
    assert.ok(base.includes(`[Add Credits](command:${CommandId.addCredits})`), base);
    const funded = renderTooltip(snap(observation(NOW, {}, { used: 3, limit: 1000 })));
    assert.match(funded, /Tier: OpenRouter allows this account 1000 free requests a day/);
    assert.ok(!funded.includes('[Add Credits]'));
  });

  it('names where a minute limit came from', () => {
    assert.match(
      renderTooltip(snap(typicalObs({ learnedPerMinute: 16 }))),
      /~3 \/ 16 \(.*, limit learned from a 429\)/,
    );
    assert.match(
      renderTooltip(buildSnapshot(typicalObs(), undefined, { ...DEFAULT_SETTINGS, perMinute: 10 }, NOW)),
      /~3 \/ 10 \(.*, limit from settings\)/,
    );
  });

  it("keeps the key's spending cap and the account balance apart", () => {
    const obs = typicalObs({
      key: keyInfo({ limit: 100, limitRemaining: 74.5, limitReset: 'monthly' }),
      balance: known(100.5, 25.75),
    });
    const lines = renderTooltip(snap(obs)).split('\n\n');
    const key = lines.find((l) => l.startsWith('Key: '));
    const balance = lines.find((l) => l.startsWith('Balance: '));
    assert.equal(key, 'Key: $74.50 left of a $100.00 cap (resets monthly) · sk\\-or\\-v1\\-0e6\\.\\.\\.1c96');
    assert.equal(balance, 'Balance: $74.75');
    assert.ok(renderTooltip(snap(typicalObs())).includes('Key: this key has no spending cap of its own'));
    const capOnly = renderTooltip(
      snap(typicalObs({ key: keyInfo({ limit: 5, limitRemaining: null, limitReset: null }) })),
    );
    assert.ok(capOnly.includes('Key: cap of $5.00 ·'), capOnly);
  });

  it('balance: "unavailable" for the 403 of an ordinary key, a failed call, and a warning when negative', () => {
    assert.ok(
      renderTooltip(snap(typicalObs())).includes(
        'Balance: unavailable (OpenRouter shows the balance only to a management key)',
      ),
    );
    assert.ok(
      renderTooltip(snap(typicalObs({ balance: { kind: 'unavailable', reason: 'error', message: 'x' } }))).includes(
        'Balance: unavailable (the /credits call failed: x)',
      ),
    );
    assert.match(
      renderTooltip(snap(typicalObs({ balance: known(5, 6) }))),
      /Balance: -\$1\.00: negative, OpenRouter refuses requests \(402\), even to free models/,
    );
  });

  it('shows the error, when the next try is, and how old the numbers are', () => {
    const err: SnapshotError = {
      reason: 'server',
      message: 'OpenRouter answered with an error (503): busy',
      at: NOW + 180_000,
      retryAt: NOW + 195_000,
    };
    const md = renderTooltip(snap(typicalObs(), err, NOW + 180_000));
    assert.ok(md.includes('$(warning) OpenRouter answered with an error \\(503\\): busy Next try in 15 s.'), md);
    assert.ok(md.includes('Updated 3 min ago (out of date)'), md);
    assert.ok(renderTooltip(snap(typicalObs())).includes('Updated just now'));
    assert.deepEqual(
      commandLinks(md).sort(),
      [
        CommandId.addCredits,
        CommandId.freeModels,
        CommandId.openDashboard,
        CommandId.refresh,
        CommandId.showLog,
        CommandId.showQuota,
      ].sort(),
    );
  });

  it('neutralises markdown and command links sent by a server (error message, key label)', () => {
    const evil = '[x](command:evil) <img src=x> **bold** `code`';
    const err: SnapshotError = { reason: 'server', message: evil, at: NOW };
    const obs = typicalObs({ key: keyInfo({ label: '[label](command:workbench.action.terminal.new)' }) });
    for (const s of [snap(obs, err), snap(undefined, err)]) {
      const md = renderTooltip(s, BERLIN);
      assert.ok(md.includes('\\[x\\]\\(command:evil\\)'), md);
      for (const cmd of commandLinks(md)) assert.ok(OUR_COMMANDS.has(cmd), `foreign command link: ${cmd}`);
      assert.ok(!/(^|[^\\])<img/.test(md), md);
      assert.ok(!md.includes('**bold**'), md);
    }
  });
});

describe('requests that bypass the proxy', () => {
  /** OpenRouter's count grew by 15 in the last minute; 3 of those went through the proxy. */
  function bypassed(): QuotaSnapshot {
    const clock = { t: NOW };
    const model = modelAt(clock);
    const meter = new MemoryMeter();
    model.attachMeter(meter);
    for (let i = 0; i < 3; i++) meter.record(NOW); // in this minute window, before the poll
    const obs = observation(
      NOW,
      { startedAt: NOW, previous: { used: 10, at: NOW - 60_000, startedAt: NOW - 60_000 } },
      { used: 25, limit: 50 },
    );
    model.observe(obs);
    return buildSnapshot(obs, undefined, DEFAULT_SETTINGS, NOW, model.view(NOW));
  }

  it('status bar: the minute marked ~, the exact part plus the estimate of the rest', () => {
    const v = renderStatusBar(bypassed(), BERLIN);
    assert.equal(v.text, '$(pulse) 25/50 · ~15/20');
    assert.equal(v.accessibilityLabel, 'OpenRouter free requests: 25 of 50 today, about 15 of 20 this minute');
  });

  it('tooltip: which part is exact, which estimated, and the remedy in one line with its command', () => {
    const md = renderTooltip(bypassed(), BERLIN);
    assert.match(
      md,
      /This minute: ~15 \/ 20 \(3 through the proxy \(exact\) \+ ~12 elsewhere \(estimated from OpenRouter's count, up to a minute late\)\); window resets in 1 min/,
    );
    assert.match(
      md,
      /route that tool through the proxy \(\[Copy Proxy Settings\]\(command:openrouterQuota\.copyProxySettings\)\)/,
    );
    assert.match(
      md,
      /Today: \*\*25 \/ 50\*\* free requests used, \*\*25 left\*\* \(OpenRouter's count: 3 through the local proxy, 22 elsewhere\)/,
    );
    assert.ok(commandLinks(md).every((c) => OUR_COMMANDS.has(c)));
  });

  it('Show Quota: the split and the way out, in one line', () => {
    assert.equal(
      renderSummary(bypassed()),
      'Free today 25/50 (25 left, resets in 5 h 12 min) · this minute ~15/20 (3 through the proxy, ~12 elsewhere: estimate) · no key cap · balance unavailable · requests elsewhere are not held at the limit: route that tool through the proxy',
    );
  });
});

describe('escapeMarkdown and usd', () => {
  it('escapes every markdown metacharacter', () => {
    assert.equal(escapeMarkdown('[x](command:evil)'), '\\[x\\]\\(command:evil\\)');
    assert.equal(
      escapeMarkdown('a_b*c`d#e+f-g.h!i|j<k>l~m{n}o\\p'),
      'a\\_b\\*c\\`d\\#e\\+f\\-g\\.h\\!i\\|j\\<k\\>l\\~m\\{n\\}o\\\\p',
    );
    assert.equal(escapeMarkdown('plain words 12'), 'plain words 12');
  });

  it('formats dollars: cents, small amounts with four places, negatives', () => {
    assert.equal(usd(74.75), '$74.75');
    assert.equal(usd(0), '$0.00');
    assert.equal(usd(0.0042), '$0.0042');
    assert.equal(usd(-1.5), '-$1.50');
    assert.equal(usd(-0.004), '-$0.0040');
  });
});

describe('renderSummary', () => {
  it('reads like "Free today 12/50 (38 left, resets in 5 h 12 min) · this minute ~3/20 (estimate) · …"', () => {
    assert.equal(
      renderSummary(snap(typicalObs())),
      'Free today 12/50 (38 left, resets in 5 h 12 min) · this minute ~3/20 (estimate) · no key cap · balance unavailable',
    );
  });

  it('includes the key cap and the balance, separately', () => {
    const obs = typicalObs({
      key: keyInfo({ limit: 100, limitRemaining: 74.5, limitReset: 'monthly' }),
      balance: known(100.5, 25.75),
    });
    assert.equal(
      renderSummary(snap(obs)),
      'Free today 12/50 (38 left, resets in 5 h 12 min) · this minute ~3/20 (estimate) · key cap $74.50 left · balance $74.75',
    );
  });

  it('says what is unknown', () => {
    const obs = observation(NOW, { key: keyInfo({ isFreeTier: false, freeDaily: null }) }, null);
    assert.equal(
      renderSummary(snap(obs)),
      'Free today ?/50 or 1000 (count not reported, resets in 5 h 12 min) · this minute ?/20 (unknown) · no key cap · balance unavailable',
    );
  });

  it('adds the failure and the age of stale data', () => {
    const err: SnapshotError = { reason: 'network', message: 'Cannot reach OpenRouter: ECONNRESET', at: NOW + 180_000 };
    assert.equal(
      renderSummary(snap(observation(NOW), err, NOW + 180_000)),
      'Free today 12/50 (38 left, resets in 5 h 9 min) · this minute ?/20 (unknown) · no key cap · balance unavailable · last refresh failed: Cannot reach OpenRouter: ECONNRESET · data from 3 min ago',
    );
    assert.equal(renderSummary(snap(undefined, err)), 'last refresh failed: Cannot reach OpenRouter: ECONNRESET');
  });

  it('no key and loading', () => {
    assert.equal(renderSummary(noKeySnapshot(NOW)), 'OpenRouter: no API key set.');
    assert.equal(renderSummary(snap(undefined)), 'OpenRouter: reading your quota…');
  });

  it('is plain text for every state (no markdown links)', () => {
    const states: QuotaSnapshot[] = [
      noKeySnapshot(NOW),
      snap(undefined),
      snap(typicalObs()),
      snap(undefined, { reason: 'auth', message: 'bad key', at: NOW }),
    ];
    for (const s of states) assert.deepEqual(commandLinks(renderSummary(s)), []);
  });
});
