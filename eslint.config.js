// Flat config: recommended JS + type-aware TypeScript rules for everything we ship and test.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'drizzle/**', 'test-artifacts/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': 'off',
    },
  },
  {
    // Page scripts run in the browser (and, for the Zendesk app, inside Zendesk's iframe).
    files: ['src/web/assets/**/*.js', 'zendesk-app/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    // The engine is pure: no clock, no I/O, nothing else from src/.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['../*', '!../core/*'], message: 'src/core imports nothing else from src/' },
          { group: ['node:*', 'fs', 'path', 'http', 'https', 'net', 'child_process'], message: 'src/core does no I/O' },
        ],
      }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'src/core takes now as a parameter' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'src/core takes now as a parameter' }],
    },
  },
);
