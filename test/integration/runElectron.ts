// The same integration suite under desktop VS Code via @vscode/test-electron, for machines that can
// download VS Code (this project's CI cannot; it runs the suite inside code-server: e2e/run.mjs --mode ext).
//   npm run test:electron            (VSCODE_VERSION=1.104.0 to test the minimum engine)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-electron-'));
  try {
    await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'index'),
      launchArgs: [
        '--disable-extensions',
        '--user-data-dir',
        path.join(profile, 'ud'),
        '--extensions-dir',
        path.join(profile, 'ext'),
        path.join(profile, 'ws'),
      ],
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
