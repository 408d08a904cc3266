// Redaction that every log line passes through, and error text with stack and cause.
import * as assert from 'node:assert/strict';
import { errorText, redact } from '../../src/core/logger';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';

describe('redact', () => {
  it('removes the exact secret wherever it appears', () => {
    assert.equal(redact(`key=${TEST_KEY}; again ${TEST_KEY}`, [TEST_KEY]), 'key=[redacted]; again [redacted]');
  });

  it('removes a given secret that is not key-shaped (e.g. a management key of another format)', () => {
    assert.equal(redact('token mgmt_0123456789abcdef used', ['mgmt_0123456789abcdef']), 'token [redacted] used');
  });

  it('removes anything shaped like an OpenRouter key, even one it was not given', () => {
    const other = 'sk-or-v1-' + 'ab12'.repeat(16);
    const out = redact(`echoed: Bearer ${other}.`, []);
    assert.equal(out, 'echoed: Bearer sk-or-v1-…[redacted].');
    assert.ok(!out.includes('ab12ab12'));
    assert.equal(redact('sk-or-abcdefgh_-XYZ'), 'sk-or-abc…[redacted]');
  });

  it('leaves short secrets, empty secrets and key-free text alone', () => {
    assert.equal(redact('the abc of it', ['abc']), 'the abc of it');
    assert.equal(redact('nothing here', ['']), 'nothing here');
    assert.equal(redact('masked label sk-or-v1-0e6...1c96 is fine'), 'masked label sk-or-v1-0e6...1c96 is fine');
    assert.equal(redact('sk-or- alone'), 'sk-or- alone');
  });
});

describe('errorText', () => {
  it('gives the stack of an Error and of its cause', () => {
    const e = new Error('outer', { cause: new TypeError('inner') });
    const t = errorText(e);
    assert.match(t, /^Error: outer\n\s+at /);
    assert.match(t, /\n  caused by: TypeError: inner\n\s+at /);
  });

  it('falls back to name: message without a stack, ignores a non-Error cause, and stringifies non-errors', () => {
    const e = new Error('no stack', { cause: 'just a string' });
    e.stack = undefined;
    assert.equal(errorText(e), 'Error: no stack');
    assert.equal(errorText('plain'), 'plain');
    assert.equal(errorText(42), '42');
    assert.equal(errorText(undefined), 'undefined');
  });
});
