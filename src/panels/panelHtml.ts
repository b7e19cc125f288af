/**
 * The HTML of the topology and isolation report panels, with the PID map's Content-Security-Policy
 * (`pidMapCsp`: nonce'd scripts only; styles, fonts and images from the webview's own resources). Free of
 * `vscode`, so bench/topology.js serves this very page to headless chromium.
 */
import { pidMapCsp, type PidMapHtmlOptions } from './pidMapHtml';

export interface PanelHtmlOptions extends PidMapHtmlOptions {
  /** The document's title (the panel's tab shows the panel's own title). */
  title: string;
  /** Library scripts (dist/webview) run before the bundle, under the same nonce. */
  vendorScriptUris?: readonly string[];
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function panelHtml(o: PanelHtmlOptions): string {
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
  <title>${escapeHtml(o.title)}</title>
</head>
<body>
  <div id="app"></div>
${inline}${(o.vendorScriptUris ?? []).map((u) => `  <script nonce="${o.nonce}" src="${u}"></script>\n`).join('')}  <script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}
