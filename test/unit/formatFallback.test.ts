// The fallback on screen: the sentences (quotaText.ts), the status bar while the paid fallback serves
// requests, the tooltip's list of today's fallbacks and the paid budget line, and Show Quota's part, from
// snapshots whose account view carries a FallbackStatus (as the proxy sets it, or a reader reads it).
import * as assert from 'node:assert/strict';
import type { FallbackEvent, FallbackStatus, PaidFallbackStatus } from '../../src/core/fallback/types';
import { renderStatusBar, renderSummary, renderTooltip } from '../../src/core/format';
import { buildSnapshot, DEFAULT_SETTINGS, type QuotaSnapshot } from '../../src/core/quota';
import {
  FALLBACK_REASON_LABEL,
  fallbackEventText,
  paidFallbackFigure,
  paidFallbackSpentText,
  paidFallbackStartedText,
  paidFallbackText,
} from '../../src/core/quotaText';
import { MINUTE } from '../../src/shared/time';
import { meteredView } from './accountSupport';
import { observation } from './helpers';

/** 2026-10-01 18:48:00 UTC (20:48 in Berlin). */
const NOW = Date.UTC(2026, 9, 1, 18, 48, 0);
const BERLIN = { timeZone: 'Europe/Berlin' };

const paid = (o: Partial<PaidFallbackStatus> = {}): PaidFallbackStatus => ({
  model: 'openai/gpt-4.1-mini',
  budgetUsd: 1,
  spentUsd: 0.12,
  requests: 3,
  active: true,
  exhausted: false,
  ...o,
});
const event = (minutesAgo: number, o: Partial<FallbackEvent> = {}): FallbackEvent => ({
  at: NOW - minutesAgo * MINUTE,
  from: 'deepseek/deepseek-r1:free',
  to: 'qwen/qwen3-32b:free',
  reason: 'upstream-rate-limited',
  paid: false,
  status: 200,
  ...o,
});

/** 50/50 today (so the paid fallback may be active), through the account view as the proxy would set it. */
function snap(fallback: FallbackStatus | undefined, used = 50): QuotaSnapshot {
  const obs = observation(NOW - 5_000, {}, { used, limit: 50 });
  const v = meteredView(obs, NOW, { minuteUsed: 0 });
  const view = fallback ? { ...v, meter: { ...v.meter!, fallback } } : v;
  return buildSnapshot(obs, undefined, DEFAULT_SETTINGS, NOW, view);
}

describe('fallback sentences (quotaText)', () => {
  it('an event: "HH:MM from → to (reason)", the paid one marked', () => {
    assert.equal(
      fallbackEventText(event(0), 'UTC'),
      '18:48 deepseek/deepseek-r1:free → qwen/qwen3-32b:free (rate-limited upstream)',
    );
    assert.equal(
      fallbackEventText(event(0, { reason: 'day-spent', paid: true, to: 'openai/gpt-4.1-mini' }), 'Europe/Berlin'),
      "20:48 deepseek/deepseek-r1:free → openai/gpt-4.1-mini (today's free requests used up, paid)",
    );
    assert.deepEqual(Object.keys(FALLBACK_REASON_LABEL).sort(), [
      'capacity',
      'day-spent',
      'ended',
      'upstream-rate-limited',
    ]);
  });

  it('the paid fallback: figure, state, started and spent', () => {
    assert.equal(paidFallbackFigure(paid()), 'paid fallback $0.12 of $1.00');
    assert.equal(
      paidFallbackText(paid()),
      'Paid fallback: $0.12 of $1.00 spent today on openai/gpt-4.1-mini (3 requests); active: free-model requests go to it until the budget is spent',
    );
    assert.match(paidFallbackText(paid({ active: false, requests: 1 })), /\(1 request\); standing by/);
    assert.match(
      paidFallbackText(paid({ exhausted: true, active: false })),
      /budget spent: free-model requests get 429 until 00:00 UTC$/,
    );
    assert.equal(
      paidFallbackStartedText(paid()),
      'Paid fallback started: free-model requests go to openai/gpt-4.1-mini until $1.00 is spent today.',
    );
    assert.equal(
      paidFallbackSpentText(paid({ budgetUsd: 2.5 })),
      'Paid fallback budget spent ($2.50): free-model requests get 429 until 00:00 UTC.',
    );
  });
});

describe('fallback in the status bar, tooltip and Show Quota', () => {
  it("the snapshot carries the view's FallbackStatus; none: no key at all", () => {
    const f: FallbackStatus = { enabled: true, recent: [event(1)], paid: null };
    assert.deepEqual(snap(f).fallback, f);
    assert.ok(!('fallback' in snap(undefined)));
  });

  it('while the paid fallback is active the status bar says what it spent, short', () => {
    const v = renderStatusBar(snap({ enabled: false, recent: [], paid: paid() }));
    assert.equal(v.text, '$(pulse) 50/50 · 0/20 · paid fallback $0.12 of $1.00');
    assert.match(v.accessibilityLabel, /, paid fallback \$0\.12 of \$1\.00$/);
    // Standing by or spent: the usual text (the tooltip tells the rest).
    for (const p of [paid({ active: false }), paid({ active: false, exhausted: true, spentUsd: 1 })])
      assert.equal(renderStatusBar(snap({ enabled: false, recent: [], paid: p })).text, '$(pulse) 50/50 · 0/20');
  });

  it("the tooltip: the paid budget line when configured, exhausted said so; today's latest 5 fallbacks, newest first", () => {
    const recent = [
      event(1, { reason: 'day-spent', paid: true, to: 'openai/gpt-4.1-mini' }),
      event(2, { reason: 'capacity' }),
      event(3, { reason: 'ended', status: 404 }),
      event(4),
      event(5),
      event(6, { from: 'sixth/model:free' }),
    ];
    const md = renderTooltip(snap({ enabled: true, recent, paid: paid({ exhausted: true, active: false }) }), BERLIN);
    assert.ok(
      md.includes(
        'Paid fallback: $0\\.12 of $1\\.00 spent today on openai/gpt\\-4\\.1\\-mini \\(3 requests\\); budget spent: free\\-model requests get 429 until 00:00 UTC',
      ),
      md,
    );
    const heading = md.indexOf('**Fallbacks today**');
    assert.ok(heading > 0, md);
    const items = md
      .slice(heading)
      .split('\n')
      .filter((l) => l.startsWith('- '));
    assert.equal(items.length, 5);
    assert.match(
      items[0],
      /^- 20:47 deepseek\/deepseek\\-r1:free → openai\/gpt\\-4\\\.1\\-mini \\\(today's free requests used up, paid\\\)$/,
    );
    assert.match(items[1], /\\\(at capacity\\\)$/);
    assert.match(items[2], /\\\(free variant ended\\\)$/);
    assert.ok(!md.includes('sixth'), 'only the latest five');
  });

  it('no fallbacks today and no paid fallback: no heading, no budget line', () => {
    const yesterday = event(24 * 60);
    for (const f of [
      undefined,
      { enabled: true, recent: [], paid: null },
      { enabled: true, recent: [yesterday], paid: null },
    ]) {
      const md = renderTooltip(snap(f), BERLIN);
      assert.ok(!md.includes('Fallbacks today'), md);
      assert.ok(!md.includes('Paid fallback'), md);
    }
  });

  it('model ids from the host cannot inject markdown or commands', () => {
    const md = renderTooltip(
      snap({
        enabled: true,
        recent: [event(1, { to: '[x](command:workbench.action.quit)' })],
        paid: paid({ model: '**bold**' }),
      }),
      BERLIN,
    );
    assert.ok(!md.includes('](command:workbench'), md);
    assert.ok(!md.includes('on **bold**'), md);
  });

  it('Show Quota names the paid fallback and its state', () => {
    assert.match(
      renderSummary(snap({ enabled: false, recent: [], paid: paid() })),
      / · paid fallback \$0\.12 of \$1\.00 \(active\)$/,
    );
    assert.match(
      renderSummary(snap({ enabled: false, recent: [], paid: paid({ exhausted: true, active: false }) })),
      /paid fallback \$0\.12 of \$1\.00 \(spent\)$/,
    );
    assert.ok(!renderSummary(snap(undefined)).includes('fallback'));
  });
});
