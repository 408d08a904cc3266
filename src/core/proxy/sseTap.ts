// Watches a response go by without holding it back: finds OpenRouter's error events at the end of an SSE
// stream (a 429 after streaming began arrives as `data: {..."error":{...}}` with HTTP status 200), or an
// `error` inside a 200 JSON body. Chunks are inspected and forwarded unchanged by the caller.

import { StringDecoder } from 'node:string_decoder';

const MAX_LINE = 1 << 20; // a longer line is not an error event: stop buffering it
const MAX_JSON = 256 * 1024; // a non-streamed 200 with an error in it is small

export interface ResponseTap {
  push(chunk: Buffer): void;
  end(): void;
}

/** For text/event-stream: calls onError with each parsed `data:` JSON that carries an `error`. */
export function sseErrorTap(onError: (event: unknown) => void): ResponseTap {
  return sseMemberTap('error', onError);
}

/** For text/event-stream: calls onEvent with each parsed `data:` JSON object that has the member `name`. */
export function sseMemberTap(name: string, onEvent: (event: unknown) => void): ResponseTap {
  const marker = `"${name}"`;
  let pending = '';
  let skipping = false;
  const decoder = new StringDecoder('utf8'); // a character split across two chunks stays whole
  const line = (l: string) => {
    if (!l.startsWith('data:') || !l.includes(marker)) return;
    try {
      const v: unknown = JSON.parse(l.slice(5).trim());
      if (typeof v === 'object' && v !== null && name in v) onEvent(v);
    } catch {
      // not JSON ([DONE], a partial provider line): not ours to judge
    }
  };
  return {
    push(chunk) {
      const text = decoder.write(chunk);
      let start = 0;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
        if (!skipping) line((pending + text.slice(start, i)).replace(/\r$/, ''));
        pending = '';
        skipping = false;
        start = i + 1;
      }
      if (!skipping) pending += text.slice(start);
      if (pending.length > MAX_LINE) {
        pending = '';
        skipping = true;
      }
    },
    end() {
      pending += decoder.end();
      if (!skipping && pending) line(pending.replace(/\r$/, ''));
      pending = '';
    },
  };
}

/** For a 200 application/json answer: calls onBody with the parsed body if it is small and names `member`. */
export function jsonBodyTap(onBody: (body: unknown) => void, member = 'error', maxBytes = MAX_JSON): ResponseTap {
  const marker = `"${member}"`;
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    },
    end() {
      if (size > maxBytes) return;
      const body = Buffer.concat(chunks);
      // Nearly every answer is a plain success: parse only one that names the member looked for.
      if (body.indexOf(marker) === -1) return;
      try {
        onBody(JSON.parse(body.toString('utf8')));
      } catch {
        // not JSON: nothing to learn
      }
    },
  };
}
