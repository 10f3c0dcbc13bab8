// Lint: the recommended JavaScript and type-aware TypeScript rules, and the layer rules of
// docs/ARCHITECTURE.md: which folder of src/ may import which, and no import cycles.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** A layer may not import from these (paths from the repository root). */
const forbidden = (target, from, why) => ({ target, from, message: why });
const ADAPTERS = ['./src/adapters/soap', './src/adapters/relay', './src/adapters/http', './src/adapters/cli', './src/adapters/console'];

const LAYERS = [
  forbidden(
    './src/config',
    ['./src/core', './src/infra', './src/adapters', './src/app', './src/client', './src/receiver', './src/docs'],
    'config is the option table: it imports nothing of ssod.',
  ),
  forbidden(
    './src/core',
    ['./src/infra', './src/adapters', './src/app', './src/client', './src/receiver', './src/docs'],
    'core holds the rules: it reaches storage, keys and hashing through its ports (src/core/ports), never an adapter.',
  ),
  forbidden(
    './src/infra',
    ['./src/adapters', './src/app', './src/client', './src/receiver', './src/docs'],
    'infra implements the core ports: it never imports an adapter or the composition root.',
  ),
  // An adapter reaches the store, the keys and the hashing pool only through the core's services.
  ...['./src/adapters/soap', './src/adapters/relay', './src/adapters/http', './src/adapters/console'].map((adapter) =>
    forbidden(
      adapter,
      ['./src/infra/store', './src/infra/keys', './src/infra/hashing', './src/app', './src/client', './src/receiver', './src/docs'],
      'a protocol adapter works through the core services; the composition root (src/app) wires the infrastructure.',
    ),
  ),
  forbidden(
    './src/adapters/cli',
    ['./src/app', './src/client', './src/receiver', './src/docs'],
    'the CLI adapter gets its services from the composition root, which it never imports.',
  ),
  // No adapter imports another, except the shared HTTP plumbing.
  ...ADAPTERS.map((adapter) =>
    forbidden(
      adapter,
      ADAPTERS.filter((other) => other !== adapter && other !== './src/adapters/http'),
      'adapters are independent: share through core (or adapters/http for HTTP plumbing).',
    ),
  ),
  forbidden(
    './src/client',
    [
      './src/core',
      './src/infra/store',
      './src/infra/keys',
      './src/infra/hashing',
      './src/adapters/relay',
      './src/adapters/http',
      './src/adapters/cli',
      './src/app',
      './src/receiver',
      './src/docs',
    ],
    'the SDK ships to applications: it shares only the wire vocabulary and the XML reader with the server.',
  ),
  forbidden(
    './src/receiver',
    ['./src/core', './src/infra', './src/adapters', './src/app', './src/docs'],
    '`ssod receiver` runs in another domain, beside applications: it is built on the SDK (src/client) and the option vocabulary (src/config) only.',
  ),
];

export default tseslint.config(
  { ignores: ['dist/', 'dist-*/', 'node_modules/', 'data/', 'test-artifacts/', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // node:test's test() and describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      'no-console': 'off',
      // Numbers and booleans read well in messages; objects and nullables still need an explicit String().
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: LAYERS }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  // Layout is prettier's (npm run format); no lint rule argues with it.
  prettier,
);
