// Made-up model ids cannot grow the proxy's state (issue 12, finding 5: 100,000 distinct ids ending `:free`
// once made a 29 MB ledger, 1.2 GB RSS and 26 MB answers to GET /quota). A real Ledger on a temp dir and the
// real proxy host are fed 100,000 distinct ids; names stay bounded on disk, in memory and in the answers,
// and every attempt is still counted: the per-model counts always sum to the total.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { QuotaWire } from '../../src/core/account/view';
import { LEDGER_COMPACT, LEDGER_LOG, Ledger, OTHER_MODELS } from '../../src/core/proxy/ledger';
import { LOAD_SCALE, MAX_CLIENTS_SHOWN, MAX_MODELS_SHOWN, MAX_NAMES_PER_DAY } from '../../src/core/proxy/ledgerNames';
import type { ProxyHistory } from '../../src/core/proxy/server';
import { DAY, HOUR } from '../../src/shared/time';
import { FakeClock } from '../fixtures/fakeClock';
import { isolateProxyEnv } from './helpers';
import { call, chatBody, FREE, type Harness, startHarness } from './proxyHarness';

const N = 100_000;
const T0 = Date.UTC(2026, 9, 1, 0, 0, 0);
/** Ids the catalog knows in these tests. */
const KNOWN = ['meta-llama/llama-3.3-70b-instruct:free', 'openrouter/free', 'openrouter/owl-alpha'];
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
/** Dictionary lines of the log: one per entry (model and client) it names. */
const dictionaryLines = (dir: string) =>
  fs
    .readFileSync(path.join(dir, LEDGER_LOG), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('@')).length;

describe('bounded state: 100,000 distinct model ids', () => {
  let dir: string;
  let now: number;
  const open: Ledger[] = [];
  const openLedger = () => {
    const l = Ledger.open(dir, { now: () => now, knownModel: (id) => KNOWN.includes(id) });
    open.push(l);
    return l;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-bounded-'));
  });
  afterEach(() => {
    for (const l of open.splice(0)) l.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a real ledger over three UTC days: bounded names on disk and in memory, catalog models always named, exact totals', () => {
    now = T0;
    const l = openLedger();
    const perDay = new Map<number, number>();
    // Three days, a made-up id per attempt, every 1000th attempt a catalog model (after the flood filled the day).
    for (let i = 0; i < N; i++) {
      const t = T0 + Math.floor((i * 3 * DAY) / N);
      now = t;
      const model = i % 1000 === 999 ? KNOWN[i % 3] : `x/y-${i}:free`;
      l.record(model, t, `client-${i % 40}`);
      perDay.set(Math.floor(t / DAY), (perDay.get(Math.floor(t / DAY)) ?? 0) + 1);
    }
    const check = (ledger: Ledger, what: string) => {
      let total = 0;
      for (const [day, n] of perDay) {
        const models = ledger.dayModels(day * DAY);
        const clients = ledger.dayClients(day * DAY);
        // Yesterday and today are exact records; the day before is folded into hours, names and all.
        assert.ok(
          Object.keys(models).length <= MAX_MODELS_SHOWN + KNOWN.length + 1,
          `${what}: ${Object.keys(models).length} models shown`,
        );
        for (const k of KNOWN) assert.ok(models[k] > 0, `${what}: ${k} keeps its name on a full day`);
        assert.ok(models[OTHER_MODELS] > 0, `${what}: the rest is summed`);
        assert.ok(Object.keys(clients).length <= MAX_CLIENTS_SHOWN + 1, what);
        assert.equal(sum(models), n, `${what}: models sum to the day's total`);
        assert.equal(sum(clients), n, `${what}: clients sum to the day's total`);
        assert.equal(ledger.dayCount(day * DAY), n, what);
        total += n;
      }
      assert.equal(total, N);
      assert.equal(ledger.countSince(0), N, `${what}: every attempt counted`);
    };
    check(l, 'live');

    // On disk: one dictionary line per entry the exact records name (two days at most, bounded per day), and
    // a record line per attempt; the hours of the folded day hold no more names than a day may.
    const log = fs.statSync(path.join(dir, LEDGER_LOG)).size;
    const dict = dictionaryLines(dir);
    const maxEntriesPerDay = (MAX_NAMES_PER_DAY + KNOWN.length + 1) * 33; // names × clients (32 a day + other)
    assert.ok(dict <= 2 * maxEntriesPerDay, `${dict} dictionary lines`);
    const recordsKept = N - (perDay.get(T0 / DAY) ?? 0);
    assert.ok(log < recordsKept * 20 + dict * 120 + 4096, `ledger.log is ${log} bytes for ${recordsKept} records`);
    const compact = JSON.parse(fs.readFileSync(path.join(dir, LEDGER_COMPACT), 'utf8')) as {
      hours: Record<string, Record<string, number>>;
    };
    const names = new Set(Object.values(compact.hours).flatMap((h) => Object.keys(h)));
    assert.ok(names.size <= MAX_NAMES_PER_DAY + KNOWN.length + 1, `${names.size} names in ${LEDGER_COMPACT}`);
    assert.ok(
      fs.statSync(path.join(dir, LEDGER_COMPACT)).size < 24 * (MAX_NAMES_PER_DAY + 4) * 40 + 24 * 33 * 40 + 1024,
    );

    // Read back: the same counts and the same names.
    l.close();
    const again = openLedger();
    check(again, 'reopened');
    assert.deepEqual(again.dayModels(T0 + 2 * DAY), l.dayModels(T0 + 2 * DAY));
  });

  it('a ledger written before the bound (100,000 names in its dictionary) is cut to a bound when it is read', () => {
    now = T0 + 12 * HOUR;
    const lines = ['# openrouter-quota ledger v2\n'];
    for (let i = 0; i < N; i++) lines.push(`@${i} ${JSON.stringify(`x/y-${i}:free`)}\n${T0 + i} ${i}\n`);
    fs.writeFileSync(path.join(dir, LEDGER_LOG), lines.join(''));
    const l = openLedger();
    const models = l.dayModels(T0);
    assert.equal(sum(models), N);
    assert.equal(l.countSince(0), N);
    assert.ok(Object.keys(models).length <= MAX_MODELS_SHOWN + 1);
    // The open compacts: the rewritten log names no more than the loose bound of a read-back.
    assert.ok(
      dictionaryLines(dir) <= LOAD_SCALE * MAX_NAMES_PER_DAY + 1,
      `${dictionaryLines(dir)} dictionary lines after the open`,
    );
  });

  describe('through the proxy', () => {
    isolateProxyEnv();
    let h: Harness;
    let clock: FakeClock;
    beforeEach(async () => {
      clock = new FakeClock(Date.UTC(2026, 10, 29, 12, 0, 45));
      h = await startHarness({ clock, pacing: 'off' });
    });
    afterEach(() => h.close());

    it('free requests to 100 made-up ids: all counted, at most 32 shown by name beside the rest', async () => {
      for (let i = 0; i < 100; i++)
        assert.equal(
          (await call(h.port, '/api/v1/chat/completions', { body: chatBody(`made/up-${i}:free`) })).status,
          200,
        );
      const q = (await call(h.port, '/quota')).json() as unknown as QuotaWire;
      assert.equal(q.day.used, 100);
      assert.equal(sum(q.models), 100);
      assert.ok(Object.keys(q.models).length <= MAX_MODELS_SHOWN + 1, `${Object.keys(q.models).length} models`);
      assert.ok(q.models[OTHER_MODELS] >= 100 - MAX_MODELS_SHOWN);
    });

    it("the catalog's free models keep their names after more than 64 made-up ids filled the day (the host tells the ledger the catalog)", async () => {
      const OWL = 'openrouter/owl-alpha'; // free by its $0 price in the catalog, no `:free` suffix
      const flood = MAX_NAMES_PER_DAY + 6;
      for (let i = 0; i < flood; i++)
        assert.equal(
          (await call(h.port, '/api/v1/chat/completions', { body: chatBody(`made/up-${i}:free`) })).status,
          200,
        );
      for (const m of [FREE, OWL, FREE])
        assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(m) })).status, 200);
      // A name past the day's bound is counted as the rest, whatever it ends with.
      assert.equal(
        (await call(h.port, '/api/v1/chat/completions', { body: chatBody('made/up-late:free') })).status,
        200,
      );
      const q = (await call(h.port, '/quota')).json() as unknown as QuotaWire;
      const history = (await call(h.port, '/quota/history')).json() as unknown as ProxyHistory;
      for (const [what, models] of [
        ['/quota', q.models],
        ['/quota/history', history.models],
      ] as const) {
        assert.equal(models[FREE], 2, `${what}: ${FREE} by name`);
        assert.equal(models[OWL], 1, `${what}: ${OWL} by name`);
        assert.equal(models['made/up-late:free'], undefined, `${what}: a made-up id past the bound has no name`);
        assert.equal(sum(models), flood + 4, `${what}: every attempt counted`);
        assert.ok(Object.keys(models).length <= MAX_MODELS_SHOWN + 3, `${what}: ${Object.keys(models).length} names`);
      }
      assert.equal(q.day.used, flood + 4);
    });

    it('after 100,000 distinct ids, GET /quota is a few KB and cached, /quota/history bounded, totals exact', async () => {
      const started = performance.now();
      const t = clock.now();
      for (let i = 0; i < N; i++) h.ledger.record(`x/y-${i}:free`, t, `client-${i % 40}`);
      const recordMs = performance.now() - started;
      h.ledger.record(FREE, t, 'curl'); // a model of the catalog after the flood

      const r = await call(h.port, '/quota');
      assert.equal(r.status, 200);
      const q = r.json() as unknown as QuotaWire;
      assert.equal(q.day.used, N + 1);
      assert.equal(sum(q.models), N + 1, 'the models sum to the total');
      assert.equal(q.models[FREE], 1, 'the catalog model keeps its name');
      assert.equal(sum(q.clients), N + 1, 'the clients sum to the total');
      assert.ok(Object.keys(q.models).length <= MAX_MODELS_SHOWN + 2, `${Object.keys(q.models).length} model keys`); // + the catalog's + the rest
      assert.ok(Object.keys(q.clients).length <= MAX_CLIENTS_SHOWN + 1, `${Object.keys(q.clients).length} client keys`);
      assert.ok(r.body.length < 4096, `GET /quota is ${r.body.length} bytes`);

      const hist = await call(h.port, '/quota/history');
      const history = hist.json() as unknown as ProxyHistory;
      assert.equal(sum(history.models), N + 1);
      assert.ok(hist.body.length < 8192, `GET /quota/history is ${hist.body.length} bytes`);

      // Polls between changes answer the same text without working the view out again.
      const account = h.account;
      const view = account.view.bind(account);
      let views = 0;
      account.view = (now?: number) => {
        views++;
        return view(now);
      };
      const polls = await Promise.all([1, 2, 3].map(() => call(h.port, '/quota')));
      assert.ok(polls.every((p) => p.body.equals(r.body)));
      assert.equal(views, 0, 'served from the cache');
      h.ledger.record(FREE, clock.now(), 'curl');
      const changed = await call(h.port, '/quota');
      assert.equal(views, 1, 'a new count: worked out once');
      assert.equal((changed.json() as unknown as QuotaWire).day.used, N + 2);
      await clock.advanceAsync(60_000);
      views = 0;
      await call(h.port, '/quota');
      await call(h.port, '/quota');
      assert.equal(views, 1, 'a new minute: worked out once');

      const files = fs.readdirSync(h.dir).filter((f) => f.startsWith('ledger'));
      const sizes = Object.fromEntries(files.map((f) => [f, fs.statSync(path.join(h.dir, f)).size]));
      assert.ok(sizes[LEDGER_LOG] < (N + 2) * 20 + 64 * 1024, JSON.stringify(sizes));
      assert.ok(dictionaryLines(h.dir) <= (MAX_NAMES_PER_DAY + 2) * 33, `${dictionaryLines(h.dir)} dictionary lines`);
      assert.ok(recordMs < 5_000, `recording took ${Math.round(recordMs)} ms`);
      console.log(
        `      (100,000 ids: GET /quota ${r.body.length} B, /quota/history ${hist.body.length} B, ${Object.keys(q.models).length} model keys, ${JSON.stringify(sizes)}, ${dictionaryLines(h.dir)} dictionary lines, recorded in ${Math.round(recordMs)} ms)`,
      );
    });
  });
});
