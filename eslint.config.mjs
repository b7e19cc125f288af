// Only the VS Code layer (extension.ts, views, commands, terminal, panels) may import 'vscode'.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  'no-restricted-imports': ['error', {
    paths: [{ name: 'vscode', message: 'Pure folders must not import vscode; mirror the type as a small "Like" interface instead.' }],
  }],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', '.lab/**', 'webpack.config.js', 'scripts/**', 'bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/host/**', 'src/discovery/**', 'src/model/**', 'src/workflows/**', 'src/protocol/**', 'src/cli/**', 'webview/**', 'test/unit/**', 'test/lab/**', 'src/views/netnsKind.ts', 'src/panels/pidMapHtml.ts'],
    rules: noVscode,
  },
);
