// What VS Code loads at activation, and how long a cold import of it takes, beside a bare ES module.
//
//   node bench/startup.mjs          (after `npm run build` or `npm run package`; also run by `npm run bench`)
//
// The activation bundle is dist/extension.mjs plus the chunks it imports statically; everything it imports
// with import() (the HTTP client, the proxy, the dashboard's builder: dist/chunks/network-*.mjs and what that
// imports) loads when first needed. Sizes are read from the files. Each timing is a fresh `node` process
// that first loads the Node built-ins the activation bundle imports (VS Code's extension host has them
// loaded already), then times one import of the file (`vscode` is a stub package put in node_modules for
// the run: a loader hook would add its own worker round trips to every import). The baseline times an
// empty module the same way in the same run, so the ratio is machine-independent.
// Prints a Markdown section.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const RUNS = Number(process.env.STARTUP_RUNS ?? 15);

/** The files a module pulls in with static imports (relative ./ specifiers in the minified output). */
function staticClosure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:from|import)\s*"(\.\/[^"]+)"/g))
    staticClosure(path.resolve(path.dirname(file), m[1]), seen);
  return seen;
}

function dynamicImports(file) {
  return [...fs.readFileSync(file, 'utf8').matchAll(/import\("(\.\/[^"]+)"\)/g)].map((m) =>
    path.resolve(path.dirname(file), m[1]),
  );
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const size = (files) => [...files].reduce((a, f) => a + fs.statSync(f).size, 0);

/** One fresh process: the built-ins loaded first (as in the extension host), then `file` imported and timed. */
function importMs(file, builtins) {
  const pre = builtins.map((b) => `import ${JSON.stringify(b)};`).join(' ');
  const code = `${pre} const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  return Number(out.trim().split('\n').pop());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

const extension = path.join(DIST, 'extension.mjs');
if (!fs.existsSync(extension)) {
  console.error('dist/extension.mjs is missing: run `npm run build` first');
  process.exit(1);
}
const activation = staticClosure(extension);
const later = new Set();
for (const f of activation) for (const d of dynamicImports(f)) staticClosure(d, later);
for (const f of activation) later.delete(f);
const shipped = [
  ...new Set([
    ...fs
      .readdirSync(DIST)
      .filter((f) => /\.(mjs|js)$/.test(f))
      .map((f) => path.join(DIST, f)),
    ...fs.readdirSync(path.join(DIST, 'chunks')).map((f) => path.join(DIST, 'chunks', f)),
  ]),
];

const stub = path.join(ROOT, 'node_modules', 'vscode');
if (fs.existsSync(stub)) throw new Error(`${stub} exists: not ours to replace`);
fs.mkdirSync(stub);
fs.writeFileSync(
  path.join(stub, 'package.json'),
  JSON.stringify({ name: 'vscode', version: '0.0.0', type: 'module', main: 'index.mjs' }),
);
fs.copyFileSync(path.join(ROOT, 'bench/startup/vscodeStub.mjs'), path.join(stub, 'index.mjs'));
process.on('exit', () => fs.rmSync(stub, { recursive: true, force: true }));
const empty = path.join(fs.mkdtempSync(path.join(ROOT, 'node_modules', '.startup-')), 'empty.mjs');
const builtins = [
  ...new Set(
    [...activation].flatMap((f) =>
      [...fs.readFileSync(f, 'utf8').matchAll(/from\s*["'](node:[a-z_/]+)["']/g)].map((m) => m[1]),
    ),
  ),
];
fs.writeFileSync(empty, 'export {};\n');
const bare = [];
const ours = [];
// Interleaved, so a slow moment of the machine hits both.
for (let i = 0; i < RUNS; i++) {
  bare.push(importMs(empty, builtins));
  ours.push(importMs(extension, builtins));
}
fs.rmSync(path.dirname(empty), { recursive: true, force: true });
const m = median(ours);
const b = median(bare);

const rel = (f) => path.relative(ROOT, f);
console.log(
  `### Start-up (${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${RUNS} fresh processes each)\n`,
);
console.log(`| what | size |`);
console.log(`| --- | --- |`);
console.log(`| activation bundle (${[...activation].map(rel).join(', ')}) | ${kb(size(activation))} |`);
console.log(`| loaded when first needed (${[...later].map(rel).join(', ')}) | ${kb(size(later))} |`);
console.log(`| everything shipped as code (${shipped.length} files in dist/) | ${kb(size(shipped))} |`);
console.log(
  `\nCold import of dist/extension.mjs: median **${m.toFixed(2)} ms** (runs ${ours.map((x) => x.toFixed(1)).join(', ')}); an empty module the same way: ${b.toFixed(2)} ms (built-ins loaded first in both: ${builtins.join(', ')}); ratio ${(m / b).toFixed(2)}x, added ${(m - b).toFixed(2)} ms.`,
);
