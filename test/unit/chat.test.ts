// The chat models' core: VS Code-shaped messages to an OpenAI-style request, the streamed answer back as
// text and tool calls (split at every byte, several calls, malformed chunks, errors mid-stream, a stream cut
// off), and one request end to end through the real proxy to the fake OpenRouter: counted once, attributed,
// tool calls round-tripped, a per-day limit answered with a sentence that says when it resets.
import * as assert from 'node:assert/strict';
import { Agent } from 'undici';
import { type ChatTarget, CHAT_CLIENT_NAME, streamChat } from '../../src/core/chat/client';
import { chatErrorText, chatFailureOf } from '../../src/core/chat/errorText';
import { chatModelsOf, quotaDetail } from '../../src/core/chat/models';
import { type ChatMessage, toOpenAIRequest } from '../../src/core/chat/request';
import { ChatStreamError, ChatStreamParser, type StreamEvent } from '../../src/core/chat/stream';
import { AbortedError, RateLimitError } from '../../src/core/errors';
import { parseModels } from '../../src/core/responses';
import { buildSnapshot, DEFAULT_SETTINGS } from '../../src/core/quota';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';
import * as B from '../fixtures/openRouterBodies';
import { isolateProxyEnv, observation } from './helpers';
import { FREE, type Harness, startHarness, TOKEN } from './proxyHarness';

const sse = (...events: unknown[]) =>
  events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`).join('');
const chunk = (delta: unknown, finish: string | null = null) => ({
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

function parseAll(text: string, split: (buf: Buffer) => Buffer[] = (b) => [b]): StreamEvent[] {
  const p = new ChatStreamParser();
  const out: StreamEvent[] = [];
  for (const piece of split(Buffer.from(text, 'utf8'))) out.push(...p.push(piece));
  out.push(...p.end());
  return out;
}
const byteByByte = (b: Buffer) => [...b].map((x) => Buffer.from([x]));

describe('chat: request conversion', () => {
  it('system, user text and images, assistant tool calls, tool results as their own messages', () => {
    const messages: ChatMessage[] = [
      { role: 'system', parts: [{ kind: 'text', text: 'Be brief.' }] },
      {
        role: 'user',
        parts: [
          { kind: 'text', text: 'What is in ' },
          { kind: 'text', text: 'this picture?' },
          { kind: 'image', mime: 'image/png', data: new Uint8Array([1, 2, 3]) },
        ],
      },
      {
        role: 'assistant',
        parts: [
          { kind: 'toolCall', callId: 'c1', name: 'lookup', input: { q: 'x' } },
          { kind: 'toolCall', callId: 'c2', name: 'size', input: {} },
        ],
      },
      {
        role: 'user',
        parts: [
          { kind: 'toolResult', callId: 'c1', content: 'a cat' },
          { kind: 'toolResult', callId: 'c2', content: '3 px' },
          { kind: 'text', text: 'And?' },
        ],
      },
    ];
    const body = toOpenAIRequest({
      model: FREE,
      messages,
      tools: [
        {
          name: 'lookup',
          description: 'Looks up',
          inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
        },
        { name: 'size', description: 'Size' },
      ],
      modelOptions: { temperature: 0.2, model: 'evil', stream: false },
    });
    assert.equal(body.model, FREE);
    assert.equal(body.stream, true);
    assert.equal(body.temperature, 0.2);
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in ' },
          { type: 'text', text: 'this picture?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AQID' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
          { id: 'c2', type: 'function', function: { name: 'size', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
      { role: 'tool', tool_call_id: 'c2', content: '3 px' },
      { role: 'user', content: 'And?' },
    ]);
    assert.deepEqual(
      (body.tools as Array<{ function: { name: string; parameters: unknown } }>).map((t) => [
        t.function.name,
        t.function.parameters,
      ]),
      [
        ['lookup', { type: 'object', properties: { q: { type: 'string' } } }],
        ['size', { type: 'object', properties: {} }],
      ],
    );
    assert.equal(body.tool_choice, undefined, 'auto: left to the model');
  });

  it('required tool mode: the only tool by name, else "required"', () => {
    const one = toOpenAIRequest({
      model: FREE,
      messages: [],
      tools: [{ name: 'a', description: '' }],
      toolMode: 'required',
    });
    assert.deepEqual(one.tool_choice, { type: 'function', function: { name: 'a' } });
    const two = toOpenAIRequest({
      model: FREE,
      messages: [],
      tools: [
        { name: 'a', description: '' },
        { name: 'b', description: '' },
      ],
      toolMode: 'required',
    });
    assert.equal(two.tool_choice, 'required');
    assert.equal(toOpenAIRequest({ model: FREE, messages: [] }).tools, undefined);
  });
});

describe('chat: the streamed answer', () => {
  const text = sse(
    chunk({ role: 'assistant', content: 'Hé' }),
    chunk({ content: 'llo ✓' }),
    ': OPENROUTER PROCESSING',
    chunk({}, 'stop'),
    '[DONE]',
  ).replace('data: : OPENROUTER PROCESSING', ': OPENROUTER PROCESSING');

  it('text as it comes, whole characters even split at every byte, then done', () => {
    for (const split of [(b: Buffer) => [b], byteByByte]) {
      const evs = parseAll(text, split);
      assert.equal(
        evs
          .filter((e) => e.kind === 'text')
          .map((e) => (e as { text: string }).text)
          .join(''),
        'Héllo ✓',
      );
      assert.deepEqual(evs.at(-1), { kind: 'done' });
    }
  });

  const twoCalls = sse(
    chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'read', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'wri', arguments: '{"pa' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] }),
    chunk({ tool_calls: [{ index: 1, function: { name: 'te', arguments: 'th":"b.txt","text":"ü"}' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '"a.txt"}' } }] }),
    chunk({}, 'tool_calls'),
    '[DONE]',
  );

  it('tool calls: fragments buffered until the JSON is whole, two calls interleaved, each once, split at every byte', () => {
    for (const split of [(b: Buffer) => [b], byteByByte]) {
      const calls = parseAll(twoCalls, split).filter((e) => e.kind === 'toolCall');
      assert.deepEqual(calls, [
        { kind: 'toolCall', callId: 'call_a', name: 'read', input: { path: 'a.txt' } },
        { kind: 'toolCall', callId: 'call_b', name: 'write', input: { path: 'b.txt', text: 'ü' } },
      ]);
    }
  });

  it('malformed chunks are skipped; other SSE fields and CRLF line ends are fine', () => {
    const p = new ChatStreamParser();
    const evs = [
      ...p.push(
        Buffer.from(
          'event: x\r\ndata: {not json\r\n\r\nid: 3\r\ndata: ' +
            JSON.stringify(chunk({ content: 'ok' })) +
            '\r\n\r\ndata: [DONE]\r\n\r\n',
        ),
      ),
      ...p.end(),
    ];
    assert.deepEqual(evs, [{ kind: 'text', text: 'ok' }, { kind: 'done' }]);
    assert.equal(p.malformed, 1);
  });

  it('an error inside the stream (a 429 after the answer began) ends it as an error event', () => {
    const ev = {
      error: {
        code: 429,
        message: 'Rate limit exceeded: free-models-per-min. ',
        metadata: { headers: { 'X-RateLimit-Reset': '1765680060000' } },
      },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
    };
    const evs = parseAll(sse(chunk({ content: 'part' }), ev) + 'data: [DONE]\n\n');
    assert.deepEqual(
      evs.map((e) => e.kind),
      ['text', 'error'],
    );
    assert.equal((evs[1] as { code: unknown }).code, 429);
  });

  it('a stream cut off, or tool arguments that never become JSON, are errors with a sentence', () => {
    assert.throws(
      () => parseAll(sse(chunk({ content: 'half' }))),
      (e: Error) => e instanceof ChatStreamError && /cut off/.test(e.message),
    );
    assert.throws(
      () =>
        parseAll(
          sse(
            chunk({ tool_calls: [{ index: 0, id: 'x', function: { name: 'f', arguments: '{"a":' } }] }),
            chunk({}, 'tool_calls'),
            '[DONE]',
          ),
        ),
      /not complete JSON/,
    );
    // A model that said why it stopped but sent no [DONE] is whole.
    assert.deepEqual(
      parseAll(sse(chunk({ content: 'a' }), chunk({}, 'stop'))).map((e) => e.kind),
      ['text', 'done'],
    );
  });
});

describe('chat: models and sentences', () => {
  it('free models from /models with limits, tools and images; paid ids added on request', () => {
    const models = parseModels(B.MODELS);
    const free = models.filter((m) => m.free);
    const s = buildSnapshot(
      observation(Date.UTC(2026, 9, 1, 12), {}, { used: 12, limit: 50 }),
      undefined,
      DEFAULT_SETTINGS,
      Date.UTC(2026, 9, 1, 12),
    );
    const list = chatModelsOf(
      free,
      ['openai/gpt-4.1', ' ', 'unknown/model'],
      (id) => models.find((m) => m.id === id),
      s,
    );
    const llama = list.find((m) => m.id === FREE)!;
    assert.deepEqual(
      [llama.name, llama.family, llama.toolCalling, llama.imageInput, llama.maxOutputTokens, llama.maxInputTokens],
      ['Meta: Llama 3.3 70B Instruct (free)', 'llama-3.3-70b-instruct', true, false, 8192, 131072 - 8192],
    );
    assert.equal(llama.detail, 'free · 12/50 today · —/20 this minute');
    assert.equal(list.find((m) => m.id === 'openrouter/free')?.imageInput, true);
    assert.deepEqual(
      list.filter((m) => !m.free).map((m) => [m.id, m.detail]),
      [
        ['openai/gpt-4.1', 'paid: costs credits, no free quota'],
        ['unknown/model', 'paid: costs credits, no free quota'],
      ],
    );
    assert.equal(quotaDetail(undefined), 'free');
  });

  it('a per-day limit says the figures, when it resets, and what unlocks more', () => {
    const now = Date.UTC(2026, 9, 1, 20, 48);
    const s = buildSnapshot(observation(now, {}, { used: 50, limit: 50 }), undefined, DEFAULT_SETTINGS, now);
    const e = new RateLimitError('Rate limit exceeded: free-models-per-day.', 'per-day', Date.UTC(2026, 9, 2), 50);
    assert.equal(
      chatErrorText(e, FREE, s, now),
      'Free-model limit reached: 50/50 today; resets at 00:00 UTC, in 3 h 12 min. Buying 10 credits (once) raises it to 1000 a day.',
    );
    assert.equal(chatFailureOf(e), 'blocked');
    assert.match(
      chatErrorText(new RateLimitError('x', 'per-minute', now + 35_000, 20), FREE, s, now),
      /^Free-model limit for this minute reached \(20 a minute\); the window resets in 35 s\./,
    );
    assert.match(
      chatErrorText(new RateLimitError('x', 'upstream', undefined, undefined), FREE, s, now),
      /rate-limited right now \(its own limit, not your quota\)/,
    );
  });
});

describe('chat: through the proxy to the fake OpenRouter', () => {
  isolateProxyEnv();
  let h: Harness;
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());
  after(() => dispatcher.close());

  const target = (): ChatTarget => ({ baseUrl: `http://127.0.0.1:${h.port}/api/v1`, credential: TOKEN, via: 'proxy' });
  const run = async (body: Record<string, unknown>, signal = new AbortController().signal) => {
    const out: StreamEvent[] = [];
    for await (const ev of streamChat(target(), body, { dispatcher, signal, now: Date.now })) out.push(ev);
    return out;
  };

  it('streams the text back, counted once by the proxy and attributed to "VS Code chat / LM API"', async () => {
    const evs = await run(
      toOpenAIRequest({ model: FREE, messages: [{ role: 'user', parts: [{ kind: 'text', text: 'hi' }] }] }),
    );
    assert.equal(
      evs
        .filter((e) => e.kind === 'text')
        .map((e) => (e as { text: string }).text)
        .join(''),
      'Hello from the fake',
    );
    assert.equal(h.ledger.countSince(0), 1);
    assert.deepEqual(h.ledger.dayClients(Date.now()), { [CHAT_CLIENT_NAME]: 1 });
    assert.equal(
      h.fake.chats.at(-1)?.headers.authorization,
      `Bearer ${TEST_KEY}`,
      'the proxy swapped the local token for the key',
    );
    assert.equal(h.fake.chats.at(-1)?.headers['x-title'], CHAT_CLIENT_NAME);
  });

  it('a tool-call round trip: the call with whole arguments, then the answer that uses the result', async () => {
    const tools = [{ name: 'search', description: 'Searches', inputSchema: { type: 'object' } }];
    const ask: ChatMessage = { role: 'user', parts: [{ kind: 'text', text: 'find cats' }] };
    const first = await run(toOpenAIRequest({ model: FREE, messages: [ask], tools }));
    const call = first.find((e) => e.kind === 'toolCall') as Extract<StreamEvent, { kind: 'toolCall' }>;
    assert.deepEqual(call, {
      kind: 'toolCall',
      callId: 'call_fake_1',
      name: 'search',
      input: { query: 'find cats', limit: 3 },
    });
    const second = await run(
      toOpenAIRequest({
        model: FREE,
        tools,
        messages: [
          ask,
          { role: 'assistant', parts: [{ kind: 'toolCall', callId: call.callId, name: call.name, input: call.input }] },
          { role: 'user', parts: [{ kind: 'toolResult', callId: call.callId, content: '3 cats' }] },
        ],
      }),
    );
    assert.equal(
      second
        .filter((e) => e.kind === 'text')
        .map((e) => (e as { text: string }).text)
        .join(''),
      'The tool said: 3 cats',
    );
    assert.equal(h.ledger.countSince(0), 2, 'each request counted once');
  });

  it('at the daily limit the proxy answers itself: a per-day error, and OpenRouter sees nothing', async () => {
    h.observe(50, 50);
    const before = h.fake.chats.length;
    await assert.rejects(
      run(toOpenAIRequest({ model: FREE, messages: [] })),
      (e: unknown) => RateLimitError.is(e) && e.kind === 'per-day' && e.resetsAt! > Date.now(),
    );
    assert.equal(h.fake.chats.length, before);
  });

  it('cancelling mid-stream aborts the upstream request (the fake sees the disconnect)', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    h.fake.onChat = ({ req, res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse(chunk({ content: 'first' })));
      req.socket.on('close', () => upstreamClosed());
      return true; // never ends by itself
    };
    const abort = new AbortController();
    const it = streamChat(target(), toOpenAIRequest({ model: FREE, messages: [] }), {
      dispatcher,
      signal: abort.signal,
      now: Date.now,
    });
    assert.deepEqual((await it.next()).value, { kind: 'text', text: 'first' });
    abort.abort();
    await assert.rejects(it.next(), (e: unknown) => AbortedError.is(e));
    await closed;
  });
});
