// What a person pastes as a key, checked before any network call, and the key id shared state uses.
import * as assert from 'node:assert/strict';
import { checkKeyInput, keyId } from '../../src/core/apiKey';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';

function ok(raw: string | undefined): string {
  const r = checkKeyInput(raw);
  assert.ok(r.ok, `expected ${JSON.stringify(raw)} to be accepted: ${r.ok ? '' : r.message}`);
  return r.key;
}

function rejected(raw: string | undefined, why: RegExp): void {
  const r = checkKeyInput(raw);
  assert.ok(!r.ok, `expected ${JSON.stringify(raw)} to be rejected`);
  assert.match(r.message, why);
  if (raw && raw.trim().length >= 8) assert.ok(!r.message.includes(raw.trim()), 'the message must not echo the key');
}

describe('checkKeyInput', () => {
  it('accepts a well-formed key unchanged', () => {
    assert.equal(ok(TEST_KEY), TEST_KEY);
  });

  it('trims stray whitespace and line breaks around the key', () => {
    for (const raw of [` ${TEST_KEY}`, `${TEST_KEY}\n`, `\t ${TEST_KEY} \r\n`, `\u00a0${TEST_KEY}\u00a0`])
      assert.equal(ok(raw), TEST_KEY);
  });

  it('strips surrounding quotes (single or double) and a "Bearer " prefix', () => {
    for (const raw of [
      `"${TEST_KEY}"`,
      `'${TEST_KEY}'`,
      ` " ${TEST_KEY} " `,
      `Bearer ${TEST_KEY}`,
      `bearer   ${TEST_KEY}`,
      `"Bearer ${TEST_KEY}"`,
    ])
      assert.equal(ok(raw), TEST_KEY, raw);
  });

  it('rejects empty input', () => {
    for (const raw of [undefined, '', '   ', '""', "''"]) rejected(raw, /Enter your OpenRouter API key/);
  });

  it('rejects spaces or line breaks inside', () => {
    rejected(`${TEST_KEY.slice(0, 30)} ${TEST_KEY.slice(30)}`, /no spaces or line breaks/);
    rejected(`${TEST_KEY.slice(0, 30)}\n${TEST_KEY.slice(30)}`, /no spaces or line breaks/);
    rejected(`${TEST_KEY.slice(0, 30)}\u00a0${TEST_KEY.slice(30)}`, /no spaces or line breaks/);
  });

  it('rejects keys of other services (wrong prefix)', () => {
    for (const raw of [
      'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789',
      'sk-ant-api03-abcdefghijklmnopqrstuvwxyz',
      'SK-OR-V1-' + 'a'.repeat(64),
      'or-v1-' + 'a'.repeat(64),
    ]) {
      rejected(raw, /start with "sk-or-"/);
    }
  });

  it('rejects a key too short to be real', () => {
    rejected('sk-or-v1-abc', /too short/);
    assert.ok(checkKeyInput('sk-or-v1-abcdefghijk').ok, '20 characters is the minimum');
  });

  it('rejects non-ASCII characters (a zero-width space or a look-alike letter pasted from a page)', () => {
    rejected(`${TEST_KEY}\u200b`, /plain ASCII/);
    rejected(TEST_KEY.replace('a', '\u0430'), /plain ASCII/);
    rejected(`${TEST_KEY.slice(0, 20)}é${TEST_KEY.slice(21)}`, /plain ASCII/);
  });
});

describe('keyId', () => {
  it('is a stable 16-hex-digit id that differs between keys and reveals nothing of the key', () => {
    const id = keyId(TEST_KEY);
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.equal(keyId(TEST_KEY), id);
    assert.notEqual(keyId(TEST_KEY.replace(/9$/, '8')), id);
    assert.ok(!TEST_KEY.includes(id));
  });
});
