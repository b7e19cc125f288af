// Network topology at 200 network namespaces: buildTopology on a synthetic snapshot, then the real webview
// (dist/webview/topology.js + elk.bundled.js + media/topology.css) in headless chromium under the panel's
// CSP: init -> laid out and painted (first render), frame times while panning, JS heap, and screenshots in
// a dark and a light theme (bench/topology-dark.png, -light.png). Needs out/ (npx tsc -p tsconfig.test.json)
// and the bundle (npm run build). No root, no lab. Called by scripts/bench.js; `node bench/topology.js`
// prints the markdown alone. Bounded: ~30 s.
'use strict';
const { compiled } = require('./compiled');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { statsWithP95 } = require('./stats');

const ROOT = path.resolve(__dirname, '..');
const CHROMIUM = process.env.NSX_BENCH_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const NAMESPACES = 200;
const FIRST_RENDER_RUNS = 3;
const PAN_FRAMES = 120;
const VIEWPORT = { width: 1280, height: 800 };
const STEP_TIMEOUT_MS = 60_000;
const TARGETS = { firstRenderMs: 500, p95FrameMs: 33 };

const THEMES = {
  dark: { '--vscode-editor-background': '#1f1f1f', '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-panel-border': '#2b2b2b',
    '--vscode-editorLineNumber-foreground': '#6e7681', '--vscode-charts-blue': '#3794ff', '--vscode-charts-green': '#89d185', '--vscode-charts-purple': '#b180d7',
    '--vscode-charts-orange': '#d18616', '--vscode-charts-yellow': '#cca700', '--vscode-editorWidget-background': '#202020', '--vscode-focusBorder': '#0078d4',
    '--vscode-input-background': '#313131', '--vscode-input-foreground': '#cccccc', '--vscode-icon-foreground': '#cccccc', '--vscode-editorHoverWidget-background': '#202020',
    '--vscode-editorHoverWidget-border': '#454545', '--vscode-menu-background': '#1f1f1f', '--vscode-menu-foreground': '#cccccc', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px' },
  light: { '--vscode-editor-background': '#ffffff', '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#717171', '--vscode-panel-border': '#e5e5e5',
    '--vscode-editorLineNumber-foreground': '#6e7681', '--vscode-charts-blue': '#1a85ff', '--vscode-charts-green': '#388a34', '--vscode-charts-purple': '#652d90',
    '--vscode-charts-orange': '#d18616', '--vscode-charts-yellow': '#bf8803', '--vscode-editorWidget-background': '#f8f8f8', '--vscode-focusBorder': '#005fb8',
    '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#3b3b3b', '--vscode-icon-foreground': '#3b3b3b', '--vscode-editorHoverWidget-background': '#f8f8f8',
    '--vscode-editorHoverWidget-border': '#c8c8c8', '--vscode-menu-background': '#ffffff', '--vscode-menu-foreground': '#3b3b3b', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px' },
};
const themeCss = (t) => `:root { ${Object.entries(THEMES[t]).map(([k, v]) => `${k}: ${v};`).join(' ')} }`;

const VSCODE_API_STUB = `
  window.__bench = { posted: [], state: undefined, csp: [] };
  document.addEventListener('securitypolicyviolation', (e) => window.__bench.csp.push(e.violatedDirective + ' ' + e.blockedURI));
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__bench.posted.push(m), getState: () => window.__bench.state, setState: (s) => { window.__bench.state = s; } });
`;

/**
 * A container host of 200 network namespaces: 120 docker containers on one bridge (a veth port each), 40
 * named netns chained in pairs by veths (with addresses), 20 --network none containers, 10 pods of two
 * containers sharing a netns, 9 processes with a netns of their own, macvlans on the uplink, the host.
 */
function syntheticSnapshot(count = NAMESPACES) {
  const HOST = 4026531840;
  const interfaces = [];
  const containers = [];
  const netns = [];
  const namespaces = [{ type: 'net', inode: HOST, holders: [{ kind: 'host', name: 'host' }], pids: [1], nsfsPaths: [], initial: true }];
  const processes = [{ pid: 1, ppid: 0, uid: 0, comm: 'systemd', cmdline: '/sbin/init', nspid: [1], ns: { net: HOST } }];
  const addr = (a, p = 24) => ({ family: 'inet', address: a, prefixLen: p, scope: 'global' });
  let hostIf = 10;
  interfaces.push({ ns: HOST, ifindex: 1, name: 'lo', kind: 'loopback', state: 'UNKNOWN', addresses: [addr('127.0.0.1', 8)] });
  interfaces.push({ ns: HOST, ifindex: 2, name: 'eth0', kind: 'ether', state: 'UP', addresses: [addr('192.0.2.10')] });
  interfaces.push({ ns: HOST, ifindex: 3, name: 'docker0', kind: 'bridge', state: 'UP', addresses: [addr('10.200.128.1', 17)] });
  let inode = 4026532000;
  let pid = 1000;
  const ns = (holderKind, name) => {
    const i = ++inode;
    const p = ++pid;
    processes.push({ pid: p, ppid: 1, uid: 0, comm: name.slice(0, 15), cmdline: name, nspid: [p], ns: { net: i } });
    namespaces.push({ type: 'net', inode: i, holders: holderKind === 'process' ? [{ kind: 'process', name, ref: String(p) }] : [], pids: [p], nsfsPaths: [], initial: false });
    interfaces.push({ ns: i, ifindex: 1, name: 'lo', kind: 'loopback', state: 'UNKNOWN', addresses: [addr('127.0.0.1', 8)] });
    return { inode: i, pid: p };
  };
  const veth = (a, aName, aAddr, b, bName, bAddr, master) => {
    const ai = a === HOST ? ++hostIf : 2 + interfaces.filter((x) => x.ns === a).length;
    const bi = b === HOST ? ++hostIf : 2 + interfaces.filter((x) => x.ns === b).length;
    interfaces.push({ ns: a, ifindex: ai, name: aName, kind: 'veth', state: 'UP', addresses: aAddr ? [addr(aAddr)] : [], peer: { ns: b, ifindex: bi }, ...(master ? { master } : {}) });
    interfaces.push({ ns: b, ifindex: bi, name: bName, kind: 'veth', state: 'UP', addresses: bAddr ? [addr(bAddr)] : [], peer: { ns: a, ifindex: ai } });
  };
  let made = 0;
  for (let c = 0; c < 120 && made < count; c++, made++) {
    const n = ns('container', `web-${c}`);
    containers.push({ engine: 'docker', id: crypto.createHash('sha256').update(`c${c}`).digest('hex'), name: `web-${c}`, image: 'nginx', state: 'running', pid: n.pid, ns: { net: n.inode }, sharedWithHost: [] });
    veth(HOST, `veth${c.toString(16).padStart(7, '0')}`, undefined, n.inode, 'eth0', `10.200.${128 + (c >> 8)}.${(c % 250) + 2}`, 'docker0');
  }
  for (let k = 0; k < 20 && made < count; k++) {
    const a = ns('netns', `lab_${k}a`);
    const b = ns('netns', `lab_${k}b`);
    made += 2;
    netns.push({ name: `lab_${k}a`, path: `/run/netns/lab_${k}a`, inode: a.inode }, { name: `lab_${k}b`, path: `/run/netns/lab_${k}b`, inode: b.inode });
    veth(a.inode, `a${k}`, `10.200.${k}.1`, b.inode, `b${k}`, `10.200.${k}.2`);
    veth(HOST, `h${k}`, `10.200.${100 + k}.1`, a.inode, `u${k}`, `10.200.${100 + k}.2`);
  }
  for (let k = 0; k < 20 && made < count; k++, made++) {
    const n = ns('container', `batch-${k}`);
    containers.push({ engine: 'podman', id: crypto.createHash('sha256').update(`p${k}`).digest('hex'), name: `batch-${k}`, image: 'busybox', state: 'running', pid: n.pid, ns: { net: n.inode }, sharedWithHost: [] });
  }
  for (let k = 0; k < 10 && made < count; k++, made++) {
    const n = ns('container', `pod-${k}`);
    for (const side of ['app', 'sidecar']) containers.push({ engine: 'cri', id: crypto.createHash('sha256').update(`k${k}${side}`).digest('hex'), name: `pod-${k}-${side}`, image: 'app', state: 'running', pid: n.pid, ns: { net: n.inode }, sharedWithHost: [], pod: { name: `pod-${k}` } });
    veth(HOST, `cali${k}`, undefined, n.inode, 'eth0', `10.200.200.${k + 2}`);
  }
  while (made < count) {
    const n = ns('process', `worker-${made}`);
    interfaces.push({ ns: n.inode, ifindex: 2, name: 'mv0', kind: 'macvlan', state: 'UP', addresses: [addr(`10.200.250.${made % 250}`)], link: { ns: HOST, ifindex: 2 } });
    made++;
  }
  return { schemaVersion: 1, host: { hostname: 'bench-host', kernel: '6.18', uid: 0, privileged: true, probeMs: 1, takenAt: Date.now(), warnings: [] }, processes, namespaces, containers, netns, interfaces };
}

function startServer(panelHtml) {
  const types = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const origin = `http://127.0.0.1:${server.address().port}`;
    if (url.pathname === '/') {
      const theme = url.searchParams.get('theme') === 'light' ? 'light' : 'dark';
      return void res.writeHead(200, { 'content-type': 'text/html' }).end(panelHtml({
        title: 'Network Topology', cspSource: origin, nonce: crypto.randomBytes(16).toString('base64'),
        codiconCssUri: `${origin}/media/codicons/codicon.css`, styleUri: `${origin}/media/topology.css`,
        scriptUri: `${origin}/dist/webview/topology.js`, vendorScriptUris: [`${origin}/dist/webview/elk.bundled.js`],
        extraStyleUris: [`${origin}/bench/theme-${theme}.css`], inlineScript: VSCODE_API_STUB,
      }));
    }
    const theme = /^\/bench\/theme-(dark|light)\.css$/.exec(url.pathname);
    if (theme) return void res.writeHead(200, { 'content-type': 'text/css' }).end(themeCss(theme[1]));
    const file = path.normalize(path.join(ROOT, decodeURIComponent(url.pathname)));
    const allowed = [path.join(ROOT, 'dist', 'webview') + path.sep, path.join(ROOT, 'media') + path.sep].some((r) => file.startsWith(r));
    if (!allowed || !fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve(server)); });
}

/** In the page: posts the message and resolves with the time until the frame after the first render. */
async function pagePostAndRender(msg) {
  const afterPaint = () => new Promise((r) => { const ch = new MessageChannel(); ch.port1.onmessage = () => r(performance.now()); ch.port2.postMessage(0); });
  const t0 = performance.now();
  window.postMessage(msg, '*');
  const deadline = t0 + 30_000;
  while (document.body.dataset.renders !== '1') {
    await new Promise((r) => requestAnimationFrame(r));
    if (performance.now() > deadline) throw new Error('no render 30 s after init');
  }
  await new Promise((r) => requestAnimationFrame(r));
  return (await afterPaint()) - t0;
}

/** In the page: drags the background one step per frame and returns each frame's duration. */
async function pagePan(frames) {
  const svg = document.querySelector('svg.graph');
  const r = svg.getBoundingClientRect();
  const at = (x, y, type) => svg.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, pointerId: 7, button: 0, buttons: 1, bubbles: true, isPrimary: true, pointerType: 'mouse' }));
  let x = r.left + r.width / 2;
  const y = r.top + r.height / 2;
  // pointerdown on the background (not a node): move to an empty corner first
  at(r.left + 4, r.top + 4, 'pointerdown');
  x = r.left + 4;
  const times = [];
  let last = await new Promise((res) => requestAnimationFrame(res));
  for (let i = 0; i < frames; i++) {
    x += i < frames / 2 ? 9 : -9;
    at(x, y / 2, 'pointermove');
    const now = await new Promise((res) => requestAnimationFrame(res));
    times.push(now - last);
    last = now;
  }
  at(x, y / 2, 'pointerup');
  return times;
}

async function benchTopology() {
  const { buildTopology } = compiled('src/model/topology.js');
  const { SnapshotIndex } = compiled('src/model/snapshotIndex.js');
  const { panelHtml } = compiled('src/panels/panelHtml.js');
  const { isTopologyExtensionMessage } = compiled('src/protocol/topology.js');
  for (const f of ['topology.js', 'elk.bundled.js']) {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'webview', f))) throw new Error(`dist/webview/${f} is missing: npm run build`);
  }
  const snap = syntheticSnapshot();
  const t0 = Number(process.hrtime.bigint()) / 1e6;
  const model = buildTopology(new SnapshotIndex(snap), 'bench-host');
  const buildMs = Number(process.hrtime.bigint()) / 1e6 - t0;
  const msg = { type: 'init', hostId: 'ssh://bench@bench-host', hostLabel: 'bench-host', takenAt: snap.host.takenAt, model };
  if (!isTopologyExtensionMessage(msg)) throw new Error('the init message fails the protocol guard');
  const { chromium } = require('playwright-core');
  const server = await startServer(panelHtml);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: STEP_TIMEOUT_MS });
  const problems = [];
  const first = [];
  const total = [];
  let frames = [];
  let heapMb = 0;
  let elements = 0;
  try {
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const open = async (theme) => {
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      const t = Date.now();
      await page.goto(`${origin}/?theme=${theme}`, { waitUntil: 'load' });
      await page.waitForFunction(() => window.__bench.posted.some((m) => m.type === 'ready'));
      page.__loadedAt = t;
      return page;
    };
    let page;
    for (let i = 0; i < FIRST_RENDER_RUNS; i++) {
      if (page) await page.close();
      page = await open('dark');
      first.push(await page.evaluate(pagePostAndRender, msg));
      total.push(Date.now() - page.__loadedAt);
    }
    elements = await page.evaluate(() => document.querySelectorAll('svg.graph *').length);
    frames = await page.evaluate(pagePan, PAN_FRAMES);
    const csp = await page.evaluate(() => window.__bench.csp);
    if (csp.length) problems.push(`CSP violations: ${csp.join('; ')}`);
    heapMb = (await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0)) / 1048576;
    await page.screenshot({ path: path.join(ROOT, 'bench', 'topology-dark.png') });
    const light = await open('light');
    await light.evaluate(pagePostAndRender, msg);
    await light.screenshot({ path: path.join(ROOT, 'bench', 'topology-light.png') });
  } finally {
    await browser.close();
    server.close();
  }
  const fr = statsWithP95(first);
  const pan = statsWithP95(frames.slice(2));
  const f = (ms) => `${ms.toFixed(1)} ms`;
  const ok = (v, t) => (v <= t ? 'met' : '**missed**');
  const markdown = [
    `### Network topology at ${NAMESPACES} network namespaces`,
    '',
    `Synthetic snapshot: ${model.nodes.length} nodes, ${model.edges.length} edges (120 containers on a bridge, 20 pairs of named netns, 20 isolated, 10 pods, macvlans); ${elements} SVG elements.`,
    `Webview: the real dist/webview/topology.js, elk.bundled.js and media/topology.css from 127.0.0.1 under the panel's CSP, \`acquireVsCodeApi\` stubbed; headless chromium ${VIEWPORT.width}×${VIEWPORT.height}.`,
    '',
    '| step | runs | median | p95 | max | target |',
    '|---|---|---|---|---|---|',
    `| buildTopology (extension host) | 1 | ${f(buildMs)} | | | |`,
    `| init → laid out (elkjs) and painted | ${fr.n} | ${f(fr.median)} | ${f(fr.p95)} | ${f(fr.max)} | ≤ ${TARGETS.firstRenderMs} ms ${ok(fr.median, TARGETS.firstRenderMs)} |`,
    `| page load → painted (bundle parse, elkjs warm-up, init, layout) | ${total.length} | ${f(statsWithP95(total).median)} | | ${f(statsWithP95(total).max)} | |`,
    `| frame while panning | ${pan.n} | ${f(pan.median)} | ${f(pan.p95)} | ${f(pan.max)} | p95 ≤ ${TARGETS.p95FrameMs} ms ${ok(pan.p95, TARGETS.p95FrameMs)} |`,
    '',
    `JS heap after the pan: ${heapMb.toFixed(1)} MB. Screenshots: bench/topology-dark.png, bench/topology-light.png.${problems.length ? `\n\nProblems: ${problems.join('; ')}` : ''}`,
  ].join('\n');
  return { markdown, firstRenderMs: fr.median, p95FrameMs: pan.p95, problems };
}

module.exports = { benchTopology, syntheticSnapshot };

if (require.main === module) {
  benchTopology().then((r) => { process.stdout.write(`${r.markdown}\n`); process.exit(r.problems.length ? 1 : 0); }, (e) => { process.stderr.write(`${e.stack ?? e}\n`); process.exit(1); });
}
