// The free models a user picks from (issue 13): the health rows a reader window gets from GET /quota/history,
// checked row by row; the order they are listed in; the dashboard's Free models and Fallbacks today cards;
// the pick's detail line; and the webview's model-action messages, which carry ids.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { fallbacksCard, freeModelsCard, MAX_MODEL_ROWS, topFallbackIds } from '../../src/core/dashboard/freeModelsCard';
import type { ProxyView } from '../../src/core/dashboard/input';
import { buildDashboardView } from '../../src/core/dashboard/view';
import type { FallbackStatus, ModelHealthRow } from '../../src/core/fallback/types';
import {
  catalogHealthRows,
  freeModelRows,
  healthiestFirst,
  MAX_HEALTH_ROWS,
  parseHealthRows,
} from '../../src/core/freeModels';
import type { ProxyHistory } from '../../src/core/proxy/controlRoutes';
import { buildSnapshot, DEFAULT_SETTINGS, noKeySnapshot } from '../../src/core/quota';
import { FREE_MODELS_TEXT, modelHealthDetail } from '../../src/core/quotaText';
import type { ModelInfo } from '../../src/core/responses';
import { isWebviewMessage } from '../../src/shared/protocol';
import { plainText } from '../../src/shared/text';
import { HOUR, MINUTE } from '../../src/shared/time';
import { observation } from './helpers';

const NOW = Date.UTC(2026, 9, 1, 12, 0, 30);
const PROXY: ProxyView = { url: 'http://127.0.0.1:18789/api/v1', role: 'host', pacing: 'queue' };

function row(id: string, over: Partial<ModelHealthRow> = {}): ModelHealthRow {
  return {
    id,
    name: id,
    requests: 0,
    successes: 0,
    upstream429: 0,
    capacity: 0,
    ended: 0,
    medianTtftMs: null,
    contextLength: null,
    tools: false,
    imageInput: false,
    score: 0.5,
    lastTroubleAt: null,
    ...over,
  };
}

const tried = (id: string, requests: number, successes: number, score: number, over: Partial<ModelHealthRow> = {}) =>
  row(id, { requests, successes, score, ...over });

const model = (id: string, over: Partial<ModelInfo> = {}): ModelInfo => ({
  id,
  name: `Name of ${id}`,
  free: true,
  contextLength: 131072,
  maxOutputTokens: null,
  tools: true,
  imageInput: false,
  pricePrompt: 0,
  priceCompletion: 0,
  ...over,
});

describe('free models (issue 13)', () => {
  describe('parseHealthRows (what a reader window keeps of GET /quota/history)', () => {
    it('keeps well-formed rows as they are, through JSON', () => {
      const rows = [
        tried('a/b:free', 14, 12, 0.82, {
          name: 'A: B (free)',
          upstream429: 2,
          medianTtftMs: 850,
          contextLength: 128000,
          tools: true,
          lastTroubleAt: NOW - MINUTE,
        }),
        row('c/d:free', { imageInput: true }),
      ];
      const history: ProxyHistory = { hourly: [], daily: [], models: {}, clients: {}, events: [], health: rows };
      const wire = JSON.parse(JSON.stringify(history)) as { health: unknown };
      assert.deepEqual(parseHealthRows(wire.health), rows);
    });

    it('drops rows without an id, repeated ids and ids with spaces; unknown fields read as unknown', () => {
      const rows = parseHealthRows([
        null,
        'x',
        { name: 'no id' },
        { id: '' },
        { id: 'has space' },
        { id: 'ok:free', requests: 5, successes: 9, score: 7, medianTtftMs: -1, contextLength: 'big', tools: 'yes' },
        { id: 'ok:free', requests: 1 },
        { id: 'neg:free', requests: -3, upstream429: 1.5, score: Number.NaN, name: 42 },
      ]);
      assert.deepEqual(
        rows.map((r) => r.id),
        ['ok:free', 'neg:free'],
      );
      const [ok, neg] = rows;
      assert.equal(ok.successes, 5, 'never more successes than requests');
      assert.equal(ok.score, 1);
      assert.equal(ok.medianTtftMs, null);
      assert.equal(ok.contextLength, null);
      assert.equal(ok.tools, false);
      assert.equal(neg.requests, 0);
      assert.equal(neg.upstream429, 0);
      assert.equal(neg.score, 0.5);
      assert.equal(neg.name, 'neg:free');
    });

    it('is bounded: at most MAX_HEALTH_ROWS rows, ids of at most 200 characters, names cut to 200', () => {
      const many = Array.from({ length: 1000 }, (_, i) => ({ id: `m${i}:free`, requests: 1, successes: 1 }));
      assert.equal(parseHealthRows(many).length, MAX_HEALTH_ROWS);
      assert.deepEqual(parseHealthRows([{ id: 'x'.repeat(201) }, { id: 'é:free' }]), []);
      assert.equal(parseHealthRows([{ id: 'x'.repeat(200), name: 'n'.repeat(5000) }])[0].name.length, 200);
      for (const v of [undefined, null, {}, 'rows', 3]) assert.deepEqual(parseHealthRows(v), []);
    });

    it('never throws and returns only rows of the right shape, whatever the host answers', () => {
      fc.assert(
        fc.property(fc.anything(), fc.array(fc.dictionary(fc.string(), fc.anything())), (a, b) => {
          for (const v of [a, b]) {
            for (const r of parseHealthRows(v)) {
              assert.equal(typeof r.id, 'string');
              assert.ok(r.successes <= r.requests && r.score >= 0 && r.score <= 1);
            }
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('order', () => {
    it('lists the models tried this hour by score, then the untried ones', () => {
      const rows = [row('untried-1'), tried('bad', 4, 1, 0.2), row('untried-2'), tried('good', 10, 10, 0.95)];
      assert.deepEqual(
        healthiestFirst(rows).map((r) => r.id),
        ['good', 'bad', 'untried-1', 'untried-2'],
      );
    });

    it("falls back to the catalog's free models, untried, when the meter has no rows", () => {
      const catalog = [model('x:free'), model('y:free', { imageInput: true, contextLength: null })];
      const fromCatalog = freeModelRows([], catalog);
      assert.equal(fromCatalog.source, 'catalog');
      assert.deepEqual(fromCatalog.rows, catalogHealthRows(catalog));
      assert.deepEqual(
        fromCatalog.rows.map((r) => [r.name, r.score, r.requests, r.tools, r.imageInput, r.contextLength]),
        [
          ['Name of x:free', 0.5, 0, true, false, 131072],
          ['Name of y:free', 0.5, 0, true, true, null],
        ],
      );
      assert.equal(freeModelRows([tried('m', 1, 1, 1)], catalog).source, 'meter');
      assert.equal(freeModelRows(undefined, []).rows.length, 0);
    });
  });

  describe('words', () => {
    it("the pick's detail: ok, trouble, TTFT, context, badges", () => {
      const r = tried('a:free', 14, 12, 0.8, {
        upstream429: 2,
        capacity: 1,
        medianTtftMs: 850,
        contextLength: 128000,
        tools: true,
      });
      assert.equal(modelHealthDetail(r), 'ok 12/14 · 2 upstream 429s · 1 at capacity · TTFT 850 ms · 128k ctx · tools');
      assert.equal(
        modelHealthDetail(row('b:free', { contextLength: 1_048_576, imageInput: true })),
        'not tried this hour · 1M ctx · images',
      );
      assert.equal(modelHealthDetail(tried('c', 1, 1, 1, { medianTtftMs: 1234 })), 'ok 1/1 · TTFT 1.2 s');
    });
  });

  describe('the Free models card', () => {
    const rows = [
      tried('good:free', 12, 11, 0.9, {
        name: 'Good',
        medianTtftMs: 850,
        contextLength: 128000,
        tools: true,
        imageInput: true,
      }),
      tried('fair:free', 10, 7, 0.6, { upstream429: 2, ended: 1 }),
      tried('poor:free', 6, 1, 0.1, { capacity: 5 }),
      row('untried:free'),
    ];

    it('lists the rows in the order given, with their words and buttons', () => {
      const card = freeModelsCard({ rows, source: 'meter' }, PROXY);
      assert.equal(card.id, 'free-models');
      assert.equal(card.title, FREE_MODELS_TEXT.title);
      const r = card.models!.rows;
      assert.deepEqual(
        r.map((x) => [x.id, x.health, x.healthLabel]),
        [
          ['good:free', 'good', 'Healthy'],
          ['fair:free', 'fair', 'Some trouble'],
          ['poor:free', 'poor', 'Struggling'],
          ['untried:free', 'untried', 'Untried'],
        ],
      );
      assert.equal(r[0].name, 'Good');
      assert.equal(r[0].requests, '11 of 12 ok (92%)');
      assert.equal(r[0].trouble, undefined);
      assert.equal(r[0].detail, 'TTFT 850 ms · 128k context');
      assert.deepEqual(r[0].badges, ['tools', 'images']);
      assert.equal(r[1].trouble, '2 upstream 429s · 1 ended');
      assert.equal(r[2].trouble, '5 at capacity');
      assert.equal(r[3].requests, 'Not tried this hour');
      assert.equal(r[3].detail, 'TTFT —');
      assert.deepEqual(
        r[0].actions.map((b) => [b.action, b.ids, b.label]),
        [
          ['copyModelId', ['good:free'], 'Copy Id'],
          ['addFallbackModel', ['good:free'], 'Use as Fallback'],
        ],
      );
      assert.ok(r[0].actions.every((b) => b.ariaLabel?.includes('good:free')));
      assert.equal(card.note, FREE_MODELS_TEXT.meterNote);
      assert.deepEqual(card.lines, []);
    });

    it('"Set Top 3" skips the models that struggled this hour', () => {
      const card = freeModelsCard({ rows, source: 'meter' }, PROXY);
      assert.deepEqual(card.modelActions, [
        {
          action: 'setFallbackModels',
          ids: ['good:free', 'fair:free', 'untried:free'],
          label: 'Set Top 3 as Fallback List',
          primary: true,
        },
      ]);
      assert.deepEqual(topFallbackIds([tried('p', 3, 0, 0)]), []);
      assert.equal(
        freeModelsCard({ rows: [row('one')], source: 'meter' }, PROXY).modelActions![0].label,
        'Set the Top One as Fallback List',
      );
    });

    it('is bounded: MAX_MODEL_ROWS rows and a line for the rest', () => {
      const many = Array.from({ length: 37 }, (_, i) => tried(`m${i}:free`, 2, 2, 1 - i / 100));
      const card = freeModelsCard({ rows: many, source: 'meter' }, PROXY);
      assert.equal(card.models!.rows.length, MAX_MODEL_ROWS);
      assert.equal(card.note, FREE_MODELS_TEXT.more(37 - MAX_MODEL_ROWS));
      assert.match(plainText(card.note!, { now: NOW }), /^27 more free models/);
    });

    it('empty states: untried this hour, catalog only, nothing known', () => {
      const untried = freeModelsCard({ rows: [row('a'), row('b')], source: 'meter' }, PROXY);
      assert.deepEqual(untried.lines, [{ text: FREE_MODELS_TEXT.untried, tone: 'muted' }]);
      assert.equal(untried.models!.rows.length, 2);
      const catalog = freeModelsCard({ rows: catalogHealthRows([model('x:free')]), source: 'catalog' }, undefined);
      assert.deepEqual(catalog.lines, [{ text: FREE_MODELS_TEXT.catalogOnly, tone: 'muted' }]);
      assert.equal(catalog.note, undefined);
      const proxyNoHealth = freeModelsCard({ rows: catalogHealthRows([model('x:free')]), source: 'catalog' }, PROXY);
      assert.deepEqual(proxyNoHealth.lines, [{ text: FREE_MODELS_TEXT.untried, tone: 'muted' }]);
      for (const input of [undefined, { rows: [], source: 'catalog' as const }]) {
        const none = freeModelsCard(input, PROXY);
        assert.deepEqual(none.lines, [{ text: FREE_MODELS_TEXT.none, tone: 'muted' }]);
        assert.equal(none.models, undefined);
        assert.equal(none.modelActions, undefined);
      }
    });
  });

  describe('the Fallbacks today card', () => {
    const status: FallbackStatus = {
      enabled: true,
      recent: [
        {
          at: NOW - 2 * MINUTE,
          from: 'a:free',
          to: 'b:free',
          reason: 'upstream-rate-limited',
          paid: false,
          status: 200,
        },
        { at: NOW - HOUR, from: 'a:free', to: 'openai/gpt-4.1-mini', reason: 'day-spent', paid: true, status: 200 },
      ],
      paid: null,
    };

    it("lists today's fallbacks newest first: time, from → to, reason, paid", () => {
      const card = fallbacksCard(status, PROXY, NOW);
      assert.equal(card.title, 'Fallbacks today');
      const items = card.fallbacks!.items;
      assert.deepEqual(
        items.map((i) => [i.from, i.to, i.reason, i.badge]),
        [
          ['a:free', 'b:free', 'rate-limited upstream', undefined],
          ['a:free', 'openai/gpt-4.1-mini', "today's free requests used up", 'paid'],
        ],
      );
      assert.equal(plainText(items[0].when, { now: NOW, timeZone: 'UTC' }), '11:58 local · 2 min ago');
    });

    it('says when there were none, offers to turn the fallback on when it is off, and needs the proxy', () => {
      assert.deepEqual(fallbacksCard({ ...status, recent: [] }, PROXY, NOW).lines, [
        { text: FREE_MODELS_TEXT.fallbacksNone, tone: 'muted' },
      ]);
      const off = fallbacksCard(undefined, PROXY, NOW);
      assert.deepEqual(off.lines, [{ text: FREE_MODELS_TEXT.fallbacksOff, tone: 'muted' }]);
      assert.deepEqual(off.actions, [{ action: 'enableFallback' }]);
      const noProxy = fallbacksCard(undefined, undefined, NOW);
      assert.deepEqual(noProxy.actions, [{ action: 'openProxySettings' }]);
    });

    it('shows the paid fallback budget line when one is configured', () => {
      const paid = {
        model: 'openai/gpt-4.1-mini',
        budgetUsd: 1,
        spentUsd: 0.12,
        requests: 3,
        active: true,
        exhausted: false,
      };
      const card = fallbacksCard({ ...status, paid }, PROXY, NOW);
      assert.match(
        String(card.lines![0].text),
        /^Paid fallback: \$0\.12 of \$1\.00 spent today on openai\/gpt-4\.1-mini/,
      );
    });
  });

  it('the dashboard shows both cards once the quota is known, and neither without a key', () => {
    const snapshot = {
      ...buildSnapshot(observation(NOW - 10_000, {}, { used: 3, limit: 50 }), undefined, DEFAULT_SETTINGS, NOW),
      fallback: {
        enabled: true,
        recent: [
          { at: NOW - MINUTE, from: 'a:free', to: 'b:free', reason: 'capacity' as const, paid: false, status: 200 },
        ],
        paid: null,
      },
    };
    const ids = (v: ReturnType<typeof buildDashboardView>) => v.rows.flatMap((r) => r.cards.map((c) => c.id));
    const view = buildDashboardView({
      snapshot,
      events: [],
      now: NOW,
      proxy: PROXY,
      freeModels: { rows: [tried('a:free', 2, 2, 1)], source: 'meter' },
    });
    assert.ok(ids(view).includes('free-models') && ids(view).includes('fallbacks'), ids(view).join());
    const cards = view.rows.flatMap((r) => r.cards);
    assert.equal(cards.find((c) => c.id === 'fallbacks')!.fallbacks!.items[0].reason, 'at capacity');
    const none = buildDashboardView({ snapshot: noKeySnapshot(NOW), events: [], now: NOW });
    assert.ok(!ids(none).includes('free-models'));
  });

  describe('model-action messages from the webview', () => {
    it('accepts a known action with a few plausible ids', () => {
      assert.ok(isWebviewMessage({ type: 'modelAction', action: 'copyModelId', ids: ['a/b:free'] }));
      assert.ok(isWebviewMessage({ type: 'modelAction', action: 'setFallbackModels', ids: ['a:free', 'b', 'c'] }));
    });

    it('rejects unknown actions and ids that are missing, empty, too many, too long or not ids', () => {
      const bad: unknown[] = [
        { type: 'modelAction', action: 'copyModelId' },
        { type: 'modelAction', action: 'copyModelId', ids: [] },
        { type: 'modelAction', action: 'copyModelId', ids: 'a:free' },
        { type: 'modelAction', action: 'copyModelId', ids: ['has space'] },
        { type: 'modelAction', action: 'copyModelId', ids: ['line\nbreak'] },
        { type: 'modelAction', action: 'copyModelId', ids: ['x'.repeat(201)] },
        { type: 'modelAction', action: 'copyModelId', ids: [1] },
        { type: 'modelAction', action: 'copyModelId', ids: Array.from({ length: 11 }, (_, i) => `m${i}`) },
        { type: 'modelAction', action: 'refresh', ids: ['a'] },
        { type: 'modelAction', action: 'toString', ids: ['a'] },
        { type: 'action', action: 'copyModelId', ids: ['a'] },
        Object.assign(Object.create({ ids: ['a'] }) as object, { type: 'modelAction', action: 'copyModelId' }),
      ];
      for (const m of bad) assert.equal(isWebviewMessage(m), false, JSON.stringify(m));
    });
  });
});
