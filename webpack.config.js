// Three kinds of bundle: the extension and the CLI for Node, one web bundle per webview.
'use strict';
const path = require('path');
const fs = require('fs');
const webpack = require('webpack');

/** ssh2 tries optional native addons first and falls back to pure JS; leave the addons out. */
const nodeIgnore = new webpack.IgnorePlugin({ resourceRegExp: /^(cpu-features|\.\/crypto\/build\/Release\/sshcrypto\.node)$/ });

const tsRule = (configFile) => ({
  test: /\.ts$/,
  exclude: /node_modules/,
  use: [{ loader: 'ts-loader', options: { configFile, transpileOnly: true } }],
});

/**
 * Libraries a webview loads as a script of its own (dist/webview/<file>, with the page's nonce): they come
 * minified, so they skip the bundle and Terser (elkjs's 1.6 MB took a minute there).
 */
const webviewVendor = { topology: ['elkjs/lib/elk.bundled.js'] };
const copyVendor = (files) => ({
  apply(compiler) {
    compiler.hooks.afterEmit.tap('CopyWebviewVendor', () => {
      for (const f of files) {
        fs.copyFileSync(require.resolve(f), path.resolve(__dirname, 'dist', 'webview', path.basename(f)));
      }
    });
  },
});

/** @type {(env: unknown, argv: {mode?: string}) => import('webpack').Configuration[]} */
module.exports = (_env, argv) => {
  const mode = argv.mode === 'development' ? 'development' : 'production';
  const devtool = mode === 'production' ? 'hidden-source-map' : 'source-map';
  const node = (name, entry, externals) => ({
    name,
    mode,
    target: 'node18',
    entry,
    output: { path: path.resolve(__dirname, 'dist'), filename: `${name}.js`, libraryTarget: 'commonjs2' },
    externals,
    resolve: { extensions: ['.ts', '.js'] },
    module: { rules: [tsRule(path.resolve(__dirname, 'tsconfig.json'))] },
    plugins: [nodeIgnore],
    devtool,
    node: { __dirname: false },
    optimization: { minimize: mode === 'production' },
    performance: { hints: false },
  });
  const webviews = fs.existsSync(path.resolve(__dirname, 'webview'))
    ? fs.readdirSync(path.resolve(__dirname, 'webview'), { withFileTypes: true })
        .filter((d) => d.isDirectory() && fs.existsSync(path.resolve(__dirname, 'webview', d.name, 'main.ts')))
        .map((d) => d.name)
    : [];
  const web = (name) => ({
    name: `webview-${name}`,
    mode,
    target: 'web',
    entry: path.resolve(__dirname, 'webview', name, 'main.ts'),
    output: { path: path.resolve(__dirname, 'dist', 'webview'), filename: `${name}.js` },
    resolve: { extensions: ['.ts', '.js'] },
    module: { rules: [tsRule(path.resolve(__dirname, 'webview', 'tsconfig.json'))] },
    plugins: webviewVendor[name] ? [copyVendor(webviewVendor[name])] : [],
    devtool,
    performance: { hints: false },
  });
  return [
    node('extension', path.resolve(__dirname, 'src', 'extension.ts'), { vscode: 'commonjs vscode' }),
    node('cli', path.resolve(__dirname, 'src', 'cli', 'main.ts'), {}),
    ...webviews.map(web),
  ];
};
