// ESLint over the shipped code (nodes/, tools/) and the build scripts. `npm test` runs it
// before mocha. TypeScript gets typescript-eslint's recommended rules plus the type-checked ones
// that catch real mistakes here: floating or misused promises, awaiting non-promises, unsafe `any`
// flowing into typed code, template literals and `+` on non-strings (an "[object Object]" in a
// user's message), switches that miss a case. Not on: no-unnecessary-condition — node settings
// and msg fields arrive from flows as whatever the user typed, so checks the declared types call
// unnecessary are deliberate.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeGlobals = {
    require: 'readonly',
    module: 'writable',
    process: 'readonly',
    console: 'readonly',
    __dirname: 'readonly',
    __filename: 'readonly',
    Buffer: 'readonly',
    setTimeout: 'readonly',
    clearTimeout: 'readonly',
};

export default tseslint.config(
    { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'test/**', 'bench/**', 'examples/**'] },
    {
        files: ['nodes/**/*.ts', 'tools/**/*.ts'],
        extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        linterOptions: { reportUnusedDisableDirectives: 'error' },
        rules: {
            // `_`-prefixed parameters and variables are unused on purpose (callback signatures, a property
            // left out by destructuring); an unused `catch (err)` binding is not reported.
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
            // `const node = this` in a node constructor is Node-RED's idiom; other aliases are not.
            '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
            '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
            '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
            // a new target kind, release feature or failure class must be handled in every switch over it
            '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
            eqeqeq: ['error', 'always', { null: 'ignore' }],
            'no-console': 'off',
        },
    },
    {
        files: ['scripts/**/*.js'],
        extends: [js.configs.recommended],
        languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
        linterOptions: { reportUnusedDisableDirectives: 'error' },
    },
);
