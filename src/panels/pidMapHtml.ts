/**
 * The PID mapping panel's HTML and Content-Security-Policy, from plain strings. Kept free of `vscode` so
 * that plain node can require the compiled module: bench/pidmap.js serves this very page (from a local
 * http server, with its own URIs, a theme stylesheet and an `acquireVsCodeApi` stub) to headless chromium.
 */

export interface PidMapHtmlOptions {
  /** `webview.cspSource`: the only origin styles, fonts and images may come from. */
  cspSource: string;
  /** A fresh random nonce per page; the only scripts allowed to run carry it. */
  nonce: string;
  /** media/codicons/codicon.css as the webview may load it. */
  codiconCssUri: string;
  /** media/pidmap.css as the webview may load it. */
  styleUri: string;
  /** dist/webview/pidmap.js as the webview may load it. */
  scriptUri: string;
  /** Stylesheets linked before the panel's own (the bench's stand-in for the theme variables VS Code injects). */
  extraStyleUris?: readonly string[];
  /** The text of an inline script run before the bundle under the same nonce (the bench's stand-in for VS Code's host script). */
  inlineScript?: string;
}

/** The panel's CSP: nonce'd scripts only; styles, fonts and images from the webview's own resources. */
export function pidMapCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
  ].join('; ');
}

export function pidMapHtml(o: PidMapHtmlOptions): string {
  const extraStyles = (o.extraStyleUris ?? []).map((u) => `  <link rel="stylesheet" href="${u}">\n`).join('');
  const inline = o.inlineScript === undefined ? '' : `  <script nonce="${o.nonce}">${o.inlineScript}</script>\n`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${pidMapCsp(o.cspSource, o.nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
${extraStyles}  <link rel="stylesheet" href="${o.codiconCssUri}">
  <link rel="stylesheet" href="${o.styleUri}">
  <title>PID Map</title>
</head>
<body>
  <div id="app"></div>
${inline}  <script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}
