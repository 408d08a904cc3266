// Bundles the extension and the CLI into dist/ (undici included, so no node_modules ship). Both are ES modules
// built together with code splitting: what they share (the core, undici) ships once in dist/chunks/, and
// what the extension needs only later (the proxy, the HTTP client, the dashboard's host side, sign-in) is
// imported when first used, so the code VS Code loads at activation stays small. VS Code loads an extension
// whose main ends in .mjs as an ES module (since 1.100; engines.vscode asks for more).
// Flags: --production (minify, no sourcemap), --watch (rebuild on change; prints [watch] lines for a
// tasks.json background problem matcher).
const esbuild = require('esbuild');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').Plugin} */
const watchLog = {
  name: 'watch-log',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: watch ? [watchLog] : [],
};

// undici is CommonJS and requires Node's built-ins; in an ES module bundle that needs a `require`. The CLI
// reads its version from the package.json beside it (__dirname).
const esmShim = [
  "import { createRequire as __cr } from 'node:module';",
  "import { fileURLToPath as __fu } from 'node:url';",
  "import { dirname as __dn } from 'node:path';",
  'const require = __cr(import.meta.url);',
  'const __filename = __fu(import.meta.url);',
  'const __dirname = __dn(__filename);',
].join('\n');

/**
 * undici carries its HTTP/1 parser twice, as SIMD and as plain WebAssembly (~70 KB each), and loads the plain
 * one only when the SIMD one fails to compile. Node 20 and later (V8) always have WebAssembly SIMD on the
 * platforms VS Code supports, so the fallback is left out of the bundle.
 */
const noPlainLlhttp = {
  name: 'no-plain-llhttp',
  setup(build) {
    build.onResolve({ filter: /llhttp-wasm\.js$/ }, (args) => ({ path: args.path, namespace: 'no-plain-llhttp' }));
    build.onLoad({ filter: /.*/, namespace: 'no-plain-llhttp' }, () => ({
      contents:
        "throw new Error('undici: WebAssembly SIMD is not available, and the plain llhttp parser is not shipped');",
      loader: 'js',
    }));
  },
};

/** `node dist/cli.mjs` works anyway; the hashbang lets the `bin` entry run it directly. */
const cliHashbang = {
  name: 'cli-hashbang',
  setup(build) {
    build.onEnd(() => {
      const fs = require('fs');
      const file = 'dist/cli.mjs';
      if (!fs.existsSync(file)) return;
      const text = fs.readFileSync(file, 'utf8');
      if (!text.startsWith('#!')) fs.writeFileSync(file, `#!/usr/bin/env node\n${text}`, { mode: 0o755 });
    });
  },
};

const node = {
  ...common,
  entryPoints: { extension: 'src/extension.ts', cli: 'src/cli.ts' },
  outdir: 'dist',
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  external: ['vscode'],
  banner: { js: esmShim },
  plugins: [...common.plugins, noPlainLlhttp, cliHashbang],
};

// The dashboard's script runs in the webview (a browser), not in Node.
const webview = {
  ...common,
  entryPoints: ['src/webview/main.ts'],
  outfile: 'dist/webview.js',
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
};

async function main() {
  // A clean dist/chunks/: chunk names carry a hash, so old ones would pile up (and ship).
  require('fs').rmSync('dist/chunks', { recursive: true, force: true });
  const contexts = await Promise.all([esbuild.context(node), esbuild.context(webview)]);
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  // A production build has no maps: drop stale ones from an earlier development build.
  if (production)
    for (const f of ['dist/extension.mjs.map', 'dist/cli.mjs.map', 'dist/webview.js.map'])
      require('fs').rmSync(f, { force: true });
  await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
