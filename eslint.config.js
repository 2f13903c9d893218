// Lint: TypeScript rules with type information, plus the workflow sandbox rule — workflow code
// must stay deterministic, so it may not import Node built-ins or side-effecting libraries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sideEffecting = ['pg', 'nodemailer', 'pdf-lib', 'express', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.cache/**', 'test-artifacts/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'Secrets need crypto randomness.' }],
    },
  },
  {
    // Plain CommonJS loaded by path (lib/failure-converter.cjs): no type information to lint with.
    files: ['**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: { require: 'readonly', exports: 'writable', module: 'writable' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' },
            { group: ['fs', 'crypto', 'path', 'os', 'child_process', 'http', 'https', 'net', 'stream'], message: 'No Node built-ins in workflows.' },
            { group: sideEffecting, message: 'Side effects belong in activities.' },
            { group: ['../activities', '../activities/*', '../lib/*', '../api/*'], allowTypeImports: true, message: 'Workflows may import activities only as types.' },
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Configuration reaches workflows as input.' }],
    },
  },
);
