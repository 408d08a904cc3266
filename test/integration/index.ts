// Test-runner entry that VS Code's extension host loads (extensionTestsPath): runs every
// out/test/integration/*.test.js with mocha, and writes a JSON summary to $VSCODE_E2E_RESULTS for the
// launcher (e2e/run.mjs under code-server, or test/integration/runElectron.ts with @vscode/test-electron).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).sort()) {
    if (f.endsWith('.test.js')) mocha.addFile(path.resolve(__dirname, f));
  }
  return new Promise((resolve, reject) => {
    const tests: { title: string; state: string; error?: string }[] = [];
    const runner = mocha.run((failures) => {
      const summary = `${runner.stats?.passes ?? 0} passed, ${failures} failed`;
      console.log(summary);
      const out = process.env.VSCODE_E2E_RESULTS;
      if (out) fs.writeFileSync(out, JSON.stringify({ failures, stats: runner.stats, summary, tests }, null, 2));
      if (failures > 0) reject(new Error(`${failures} tests failed.`));
      else resolve();
    });
    runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('fail', (t, err: Error) => tests.push({ title: t.fullTitle(), state: 'failed', error: err.message }));
  });
}
