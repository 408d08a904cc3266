// Checks what a person pasted as a key before any network call: trims stray whitespace and quotes, and
// rejects text that cannot be an OpenRouter key with a sentence that says why. The server has the last word.
import { createHash } from 'node:crypto';

export type KeyCheck = { ok: true; key: string } | { ok: false; message: string };

export function checkKeyInput(raw: string | undefined): KeyCheck {
  let key = (raw ?? '').trim();
  if (/^(["']).*\1$/.test(key)) key = key.slice(1, -1).trim();
  if (/^bearer\s+/i.test(key)) key = key.replace(/^bearer\s+/i, '');
  if (key === '') return { ok: false, message: 'Enter your OpenRouter API key (it starts with sk-or-).' };
  if (/\s/.test(key)) return { ok: false, message: 'An OpenRouter key has no spaces or line breaks inside it.' };
  if (!key.startsWith('sk-or-'))
    return {
      ok: false,
      message:
        'That is not an OpenRouter key: OpenRouter keys start with "sk-or-" (create one at openrouter.ai/settings/keys).',
    };
  if (key.length < 20) return { ok: false, message: 'That key is too short to be an OpenRouter key.' };
  if (!/^[\x21-\x7e]+$/.test(key))
    return { ok: false, message: 'An OpenRouter key contains only plain ASCII letters, digits and dashes.' };
  return { ok: true, key };
}

/** A stable, non-reversible id for a key, so shared state can tell keys apart without holding one. */
export function keyId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}
