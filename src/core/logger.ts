// A vscode-free logging interface for core code (the extension injects its LogOutputChannel; the CLI and
// tests inject their own), and the redaction every log line passes through.

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

export const nullLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

// Anything shaped like an OpenRouter key, even one we were never given (pasted into an error message,
// echoed by a gateway): sk-or-v1-<64 hex> today, looser on purpose.
const KEY_PATTERN = /sk-or-[A-Za-z0-9_-]{8,}/g;

/** Remove the given secrets and anything that looks like an OpenRouter key. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 8) out = out.split(s).join('[redacted]');
  }
  return out.replace(KEY_PATTERN, (m) => `${m.slice(0, 9)}…[redacted]`);
}

/** An Error with its stack (and cause), for a log line. */
export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `\n  caused by: ${e.cause.stack ?? e.cause.message}` : '';
  return `${e.stack ?? `${e.name}: ${e.message}`}${cause}`;
}
