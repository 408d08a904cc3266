// Flat config: typescript-eslint on src and test; src/core must stay free of `vscode` so that it runs
// (and is unit-tested) in plain Node. Layout is Prettier's (`npm run format`); eslint-config-prettier, last,
// turns off the rules that would fight it (this includes `curly`: Prettier may wrap a long one-statement `if`).
import eslintConfigPrettier from 'eslint-config-prettier/flat';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      '.vscode-e2e/**',
      'e2e/**',
      'scripts/**',
      'esbuild.js',
      'eslint.config.mjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      curly: ['error', 'multi-line'],
      eqeqeq: ['error', 'smart'],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
  {
    // The extension and core log through the Logger (src/core/logger.ts, src/vscode/log.ts), not the console.
    files: ['src/**/*.ts'],
    ignores: ['src/cli.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The webview runs in a browser.' }],
          patterns: [
            { group: ['../core/*', '../vscode/*', 'node:*'], message: 'The webview imports only src/shared.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'src/shared is the bottom layer: it runs in the host and in the webview.' },
          ],
          patterns: [
            {
              group: ['../core/*', '../core/**', '../vscode/*', '../webview/*', 'node:*'],
              message: 'src/shared imports nothing above it (and no Node or DOM modules).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/cli.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'src/core and the CLI run in plain Node: no vscode import.' }] },
      ],
    },
  },
  eslintConfigPrettier,
);
