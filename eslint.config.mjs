// Lint: typed rules for the whole project; workflows/ may not import anything that does I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = [
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', '.tools/', '.tmp/', 'coverage/', 'db/migrations/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // deterministic workflow code: bundled into the Temporal sandbox, no I/O of any kind
    files: [
      'workflows/**/*.ts',
      'domain/**/*.ts',
      'test/fixtures/changed-workflows/**/*.ts',
      'test/fixtures/pack-rounding/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code may not use Node built-ins.' })),
            ...nodeBuiltins.map((name) => ({
              name: `node:${name}`,
              message: 'Workflow code may not use Node built-ins.',
            })),
          ],
          patterns: [
            { group: ['node:*'], message: 'Workflow code may not use Node built-ins.' },
            {
              group: ['pg', 'pg/*', 'drizzle-orm', 'drizzle-orm/*', 'express', 'express/*'],
              message: 'Workflow code does no I/O: use an activity.',
            },
            {
              group: ['**/db', '**/db/*', '**/api', '**/api/*', '**/lib/*', '**/workers/*'],
              message: 'Workflow code may not import I/O modules.',
            },
            {
              group: ['**/activities', '**/activities/*'],
              allowTypeImports: true,
              message: 'Import activities as types only (import type).',
            },
            {
              group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'Only @temporalio/workflow belongs in workflow code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // the operator console: browser ES modules served as they are
    files: ['console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'sessionStorage',
          'fetch',
          'URLSearchParams',
          'crypto',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
          'addEventListener',
          'removeEventListener',
          'console',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  prettier,
);
