// Who sent a request through the proxy, for the "by client" counts: the name the client gives itself
// (X-OpenRouter-Title or X-Title, which OpenRouter's own app attribution uses), else the site in its
// HTTP-Referer, else the product in its User-Agent. Names come from local programs, so the number of
// distinct ones is bounded: the first MAX_CLIENTS seen by this process keep their name, later ones count
// as "other".
import type { IncomingHttpHeaders } from 'node:http';

const MAX_CLIENTS = 16;
const MAX_LENGTH = 64;
export const OTHER_CLIENT = 'other';
export const UNKNOWN_CLIENT = 'unknown';

/** The client's own name for itself, from its headers (not yet bounded). */
export function clientNameOf(headers: IncomingHttpHeaders): string {
  const title = first(headers['x-openrouter-title']) ?? first(headers['x-title']);
  if (title) return clean(title);
  const referer = first(headers['http-referer']) ?? first(headers.referer);
  if (referer) {
    try {
      return clean(new URL(referer).host || referer);
    } catch {
      return clean(referer);
    }
  }
  const ua = first(headers['user-agent']);
  if (ua) {
    const token = ua.trim().split(/\s+/)[0];
    const m = /^([^/]+)\/\d[\w.+-]*$/.exec(token);
    return clean(m ? m[1] : token);
  }
  return UNKNOWN_CLIENT;
}

/** Bounds the names this process records. */
export class ClientNames {
  private readonly known = new Set<string>();

  constructor(private readonly max = MAX_CLIENTS) {}

  of(headers: IncomingHttpHeaders): string {
    const name = clientNameOf(headers);
    if (this.known.has(name)) return name;
    if (this.known.size >= this.max) return OTHER_CLIENT;
    this.known.add(name);
    return name;
  }
}

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() ? s.trim() : undefined;
}

function clean(s: string): string {
  const t = s
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, MAX_LENGTH);
  return t || UNKNOWN_CLIENT;
}
