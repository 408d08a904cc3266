// Runs the unit suite (already compiled by test:unit) with the JS clock moved far from today, in this process
// and every child it starts (NODE_OPTIONS), so a test that mixes a fixed fake date with the real date fails
// on any day, not only after the day it was written. ORQ_DATE_SHIFT_DAYS sets the shift (default 1000).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const preload = path.join(root, 'test', 'support', 'shiftDate.cjs');
const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
const days = process.env.ORQ_DATE_SHIFT_DAYS ?? '1000';
console.log(
  `unit tests with the date moved ${days} days (${new Date(Date.now() + Number(days) * 86_400_000).toISOString().slice(0, 10)})`,
);
const r = spawnSync(process.execPath, [mocha, '--reporter', 'dot'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    ORQ_DATE_SHIFT_DAYS: days,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(preload)}`.trim(),
  },
});
process.exit(r.status ?? 1);
