import * as assert from 'assert';
import { isIsolationExtensionMessage, isIsolationViewState, isIsolationWebviewMessage } from '../../../src/protocol/isolation';
import { isTopologyExtensionMessage, isTopologyViewState, isTopologyWebviewMessage, MAX_EXPORT_CHARS } from '../../../src/protocol/topology';
import { panelHtml } from '../../../src/panels/panelHtml';

describe('topology and isolation panels: what each side accepts', () => {
  it('takes only well-formed webview requests of the topology panel', () => {
    for (const ok of [{ type: 'ready' }, { type: 'revealInSidebar', nodeId: 'net:1' }, { type: 'enterNamespace', nodeId: 'br:1:x' }, { type: 'pingFromNamespace', nodeId: 'net:2' }, { type: 'capturePackets', nodeId: 'net:2' }, { type: 'captureEdge', edgeId: 'veth:1:2', end: 'source' }, { type: 'captureEdge', edgeId: 'veth:1:2', end: 'target' }, { type: 'copyText', text: '10.200.1.1/24' }, { type: 'export', format: 'svg', data: '<svg/>' }, { type: 'export', format: 'png', data: 'iVBOR' }]) {
      assert.ok(isTopologyWebviewMessage(ok), JSON.stringify(ok));
    }
    for (const bad of [null, [], 'ready', { type: 'run', argv: ['sh'] }, { type: 'enterNamespace' }, { type: 'enterNamespace', nodeId: '' }, { type: 'enterNamespace', nodeId: 'x'.repeat(513) }, { type: 'export', format: 'pdf', data: 'x' }, { type: 'export', format: 'svg', data: '' }, { type: 'export', format: 'svg', data: 'x'.repeat(MAX_EXPORT_CHARS + 1) }, { type: 'copyText', text: 7 }, { type: 'captureEdge', edgeId: 'veth:1:2' }, { type: 'captureEdge', edgeId: 'veth:1:2', end: 'both' }, { type: 'capturePackets' }]) {
      assert.ok(!isTopologyWebviewMessage(bad), JSON.stringify(bad)?.slice(0, 80));
    }
    assert.ok(isTopologyExtensionMessage({ type: 'init', hostId: 'h', hostLabel: 'h', takenAt: 1, model: { title: 't', header: '', nodes: [], edges: [], warnings: [] } }));
    assert.ok(!isTopologyExtensionMessage({ type: 'init', hostId: 'h', hostLabel: 'h', takenAt: 1, model: { nodes: [] } }));
    assert.ok(isTopologyViewState({ hostId: 'ssh://lab' }) && !isTopologyViewState({ hostId: '' }) && !isTopologyViewState(undefined));
  });

  it('takes only well-formed webview requests of the isolation panel', () => {
    assert.ok(isIsolationWebviewMessage({ type: 'revealContainer', ref: 'docker:abc' }));
    assert.ok(isIsolationWebviewMessage({ type: 'exportMarkdown', refs: ['docker:abc', 'podman:def'] }));
    for (const bad of [{ type: 'revealContainer' }, { type: 'exportMarkdown', refs: 'docker:abc' }, { type: 'exportMarkdown', refs: [1] }, { type: 'exec' }]) assert.ok(!isIsolationWebviewMessage(bad), JSON.stringify(bad));
    assert.ok(isIsolationExtensionMessage({ type: 'update', hostId: 'h', hostLabel: 'h', takenAt: 0, report: { title: 't', rows: [], summary: [], warnings: [] } }));
    assert.ok(!isIsolationExtensionMessage({ type: 'update', hostId: 'h', hostLabel: 'h', takenAt: 0, report: { rows: [] } }));
    assert.ok(isIsolationViewState({ hostId: 'h', refs: ['docker:a'] }) && !isIsolationViewState({ hostId: 'h', refs: [3] }));
  });

  it('serves the PID map\u2019s CSP with the nonce on the library script and the bundle, and escapes the title', () => {
    const html = panelHtml({ title: 'A <b> & "c"', cspSource: 'vscode-webview://x', nonce: 'N0nce', codiconCssUri: 'c.css', styleUri: 's.css', scriptUri: 'main.js', vendorScriptUris: ['elk.js'] });
    assert.match(html, /content="default-src 'none'; script-src 'nonce-N0nce'; style-src vscode-webview:\/\/x; font-src vscode-webview:\/\/x; img-src vscode-webview:\/\/x"/);
    assert.match(html, /<script nonce="N0nce" src="elk.js"><\/script>\s*<script nonce="N0nce" src="main.js"><\/script>/);
    assert.ok(html.includes('<title>A &#60;b&#62; &#38; &#34;c&#34;</title>'));
    assert.strictEqual((html.match(/<script/g) ?? []).length, 2);
  });
});
