// OpenRouter's streamed chat answer (SSE of chat.completion.chunk, openrouter-api.md §7) as events the chat
// provider can hand on: text as it comes, each tool call once its arguments are complete JSON (they arrive
// in fragments, several calls interleaved by `index`), an error sent inside the stream, and the end.
// Bytes may be split anywhere, even inside a UTF-8 character or a `data:` line.
import { findErrorEnvelope } from '../rateLimit';

export type StreamEvent =
  | { kind: 'text'; text: string }
  | { kind: 'toolCall'; callId: string; name: string; input: unknown }
  /** An error object inside the stream (e.g. a 429 after the answer began), with the event it came in. */
  | { kind: 'error'; code: number | string | undefined; message: string; body: unknown }
  | { kind: 'done' };

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

/** Longest SSE line kept while waiting for its end (a runaway line is an error, not unbounded memory). */
const MAX_LINE = 4 * 1024 * 1024;
/** Arguments of one tool call, at most. */
const MAX_ARGS = 4 * 1024 * 1024;

export class ChatStreamError extends Error {}

export class ChatStreamParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private data: string[] = [];
  private readonly calls = new Map<number, PendingCall>();
  private finished = false;
  /** The model said why it stopped (a finish_reason): the answer is whole even if [DONE] never comes. */
  private stopped = false;
  /** Chunks that were not JSON (skipped; a provider's keep-alive or garbage). */
  malformed = 0;

  /** The events in this piece of the body. Throws ChatStreamError on input it cannot accept. */
  push(chunk: Uint8Array): StreamEvent[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const out: StreamEvent[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line, out);
    }
    if (this.buffer.length > MAX_LINE) throw new ChatStreamError('The answer contained a line longer than 4 MiB.');
    return out;
  }

  /** The body ended: what is left, or a ChatStreamError when the answer was cut off before its end. */
  end(): StreamEvent[] {
    const out: StreamEvent[] = [];
    this.buffer += this.decoder.decode();
    if (this.buffer) this.line(this.buffer, out);
    this.buffer = '';
    this.dispatch(out);
    if (!this.finished) {
      if (!this.stopped) throw new ChatStreamError('The answer was cut off before its end.');
      this.flushCalls(out);
      this.finished = true;
      out.push({ kind: 'done' });
    }
    return out;
  }

  private line(line: string, out: StreamEvent[]): void {
    if (line === '') return this.dispatch(out);
    if (line.startsWith(':')) return; // a comment: ": OPENROUTER PROCESSING"
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') return; // event:, id:, retry: carry nothing we need
    this.data.push(line.slice(colon + 1).replace(/^ /, ''));
  }

  /** One SSE event: the data lines so far. */
  private dispatch(out: StreamEvent[]): void {
    if (this.data.length === 0) return;
    const data = this.data.join('\n');
    this.data = [];
    if (this.finished) return;
    if (data.trim() === '[DONE]') {
      this.flushCalls(out);
      this.finished = true;
      out.push({ kind: 'done' });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.malformed++;
      return;
    }
    this.chunk(json, out);
  }

  private chunk(json: unknown, out: StreamEvent[]): void {
    const envelope = findErrorEnvelope(json);
    if (envelope) {
      this.flushCalls(out);
      this.finished = true;
      out.push({ kind: 'error', code: envelope.code, message: envelope.message, body: json });
      return;
    }
    const choice = (json as { choices?: unknown[] })?.choices?.[0] as
      { delta?: Record<string, unknown>; finish_reason?: unknown } | undefined;
    if (!choice || typeof choice !== 'object') return;
    const delta = choice.delta;
    if (delta && typeof delta === 'object') {
      if (typeof delta.content === 'string' && delta.content !== '') out.push({ kind: 'text', text: delta.content });
      if (Array.isArray(delta.tool_calls)) for (const tc of delta.tool_calls) this.toolFragment(tc);
    }
    if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') {
      // The calls are complete once the model says why it stopped; [DONE] may follow with usage.
      this.stopped = true;
      this.flushCalls(out);
      if (choice.finish_reason === 'error') {
        this.finished = true;
        out.push({ kind: 'error', code: undefined, message: 'The model stopped with an error.', body: json });
      }
    }
  }

  private toolFragment(tc: unknown): void {
    if (!tc || typeof tc !== 'object') return;
    const f = tc as { index?: unknown; id?: unknown; function?: { name?: unknown; arguments?: unknown } };
    const index = typeof f.index === 'number' ? f.index : this.calls.size;
    let call = this.calls.get(index);
    if (!call) this.calls.set(index, (call = { id: '', name: '', args: '' }));
    if (typeof f.id === 'string' && f.id) call.id = f.id;
    if (typeof f.function?.name === 'string') call.name += f.function.name;
    if (typeof f.function?.arguments === 'string') call.args += f.function.arguments;
    if (call.args.length > MAX_ARGS) throw new ChatStreamError('A tool call sent more than 4 MiB of arguments.');
  }

  private flushCalls(out: StreamEvent[]): void {
    const calls = [...this.calls.entries()].sort((a, b) => a[0] - b[0]);
    this.calls.clear();
    for (const [index, c] of calls) {
      if (!c.name) throw new ChatStreamError('The model sent a tool call without a name.');
      let input: unknown = {};
      if (c.args.trim() !== '') {
        try {
          input = JSON.parse(c.args);
        } catch {
          throw new ChatStreamError(`The model sent arguments for the tool "${c.name}" that are not complete JSON.`);
        }
      }
      out.push({ kind: 'toolCall', callId: c.id || `call_${index}`, name: c.name, input });
    }
  }
}
