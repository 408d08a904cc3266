// Content-Encoding of a request body, decoded only to find its model: the bytes forwarded stay as they came.
// A gzip-encoded free request was forwarded uncounted (issue 12, finding 3), so an encoding the proxy cannot
// read is refused (415) rather than let through, and the decoded size counts against the body cap, so a
// small bomb that inflates to gigabytes is refused (413) after at most maxBytes of output, streaming.
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};
/** More codings than this on one body is no real client's doing. */
const MAX_CODINGS = 3;

/** The codings to undo, in the order to undo them (the reverse of the header's), or the one that cannot be. */
export function codingsOf(header: string | string[] | undefined): { decode: string[] } | { unsupported: string } {
  const listed = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  for (const c of listed) if (!DECODERS[c]) return { unsupported: c };
  if (listed.length > MAX_CODINGS) return { unsupported: listed.join(', ') };
  return { decode: listed.reverse() };
}

export interface DecodeSink {
  /** Decoded bytes, in order (the chunk is the decoder's: read it now). */
  data(c: Buffer): void;
  /** All of it decoded. */
  end(): void;
  /** Not valid in its coding, or past maxBytes once decoded. */
  error(kind: 'corrupt' | 'too-large'): void;
  /** The decoder has room for more input again (after write() said false). */
  drain(): void;
}

/** A chain of decoders: raw bytes in, decoded bytes out to the sink, at most maxBytes of them. */
export class BodyDecoder {
  private readonly first: Transform;
  private readonly chain: Transform[];
  private out = 0;
  private failed = false;

  constructor(
    codings: string[],
    maxBytes: number,
    private readonly sink: DecodeSink,
  ) {
    this.chain = codings.map((c) => DECODERS[c]());
    this.first = this.chain[0];
    for (let i = 0; i < this.chain.length; i++) {
      const d = this.chain[i];
      d.on('error', () => this.fail('corrupt'));
      if (i + 1 < this.chain.length) d.pipe(this.chain[i + 1]);
    }
    const last = this.chain[this.chain.length - 1];
    last.on('data', (c: Buffer) => {
      if (this.failed) return;
      this.out += c.length;
      if (this.out > maxBytes) return this.fail('too-large');
      sink.data(c);
    });
    last.on('end', () => {
      if (!this.failed) sink.end();
    });
    this.first.on('drain', () => sink.drain());
  }

  /** False when the caller should stop reading until drain(). */
  write(c: Buffer): boolean {
    return this.failed || this.first.write(c);
  }

  end(): void {
    if (!this.failed) this.first.end();
  }

  destroy(): void {
    this.failed = true;
    for (const d of this.chain) d.destroy();
  }

  private fail(kind: 'corrupt' | 'too-large'): void {
    if (this.failed) return;
    this.destroy();
    this.sink.error(kind);
  }
}
