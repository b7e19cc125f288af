/**
 * The netns and veth workflow commands: pickers for what a tree node would have given, a preview of the
 * exact commands (marking those that need root), one transaction with rollback, a report, and Undo.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { probeCapabilities } from '../cli/netnsCommands';
import { parseIdentityCheck } from '../host/commandLine';
import { Logger } from '../host/log';
import { displayLabel, displayLines, displayMessage, displayText } from '../model/displayText';
import { containerByRef } from '../model/queries';
import { containerRef } from '../model/snapshotIndex';
import { parseEndpoint, resolveEndpoint } from '../workflows/endpoint';
import { HostCapabilities, validateInterfaceName, validateNetnsName, WorkflowError, parseCidr } from '../workflows/validate';
import { executeWorkflow, ExecuteOptions, formatReport } from '../workflows/execute';
import { FileJournalStore, Journal } from '../workflows/journal';
import { formatPingResult, parsePingOutput } from '../workflows/ping';
import {
  planAssignAddress,
  planConnect,
  planCreateNetns,
  planCreateVethPair,
  planDeleteNetns,
  planMoveInterface,
  planPing,
  planSetLink,
  renderPreview,
  Workflow,
} from '../workflows/plan';
import { HostSession } from '../views/hostSessions';
import { Node } from '../views/treeNodes';
import { CommandDeps } from './hostCommands';
import { ensureSnapshot, pickSession } from './pickers';

type EndpointPick = vscode.QuickPickItem & { endpoint: string };

/** Previews, reports and ping results go to the log through a Logger: secrets masked, host text escaped. */
const wlog = new Logger('workflows');

/**
 * The endpoint text (`host`, `netns:NAME`, `container:ENGINE:ID`) a node stands for. Containers go by
 * engine and id: a name may be another container's too.
 */
export function endpointOfNode(session: HostSession, node: Node | undefined): string | undefined {
  const index = session.index;
  if (!index || !node) return undefined;
  const forNet = (inode: number): string | undefined => {
    if (index.isInitial('net', inode)) return 'host';
    const named = index.snapshot.netns.find((n) => n.inode === inode);
    if (named) return `netns:${named.name}`;
    const c = index.snapshot.containers.find((x) => x.ns.net === inode && x.pid);
    return c ? `container:${containerRef(c)}` : undefined;
  };
  switch (node.kind) {
    case 'container': {
      const c = containerByRef(index.snapshot, containerRef({ engine: node.engine, id: node.containerId }));
      return c ? `container:${containerRef(c)}` : undefined;
    }
    case 'netns':
      return forNet(node.inode);
    case 'interface':
      return forNet(node.ns);
    case 'namespace':
      return node.type === 'net' ? forNet(node.inode) : undefined;
    default:
      return undefined;
  }
}

async function pickEndpoint(session: HostSession, title: string, exclude?: string): Promise<string | undefined> {
  const index = session.index!;
  const items: EndpointPick[] = [{ label: '$(home) host', description: "the host's own network namespace", endpoint: 'host' }];
  for (const n of index.snapshot.netns) {
    items.push({ label: `$(globe) ${displayLabel(n.name)}`, description: `named netns · net:[${n.inode}]`, endpoint: `netns:${n.name}` });
  }
  for (const c of index.snapshot.containers.filter((x) => x.pid && !x.sandboxed)) {
    items.push({ label: `$(box) ${displayLabel(c.name)}`, description: `${c.engine} ${c.id.slice(0, 12)} · net:[${c.ns.net ?? '?'}]`, endpoint: `container:${containerRef(c)}` });
  }
  const pick = await vscode.window.showQuickPick(items.filter((i) => i.endpoint !== exclude), { title: displayLabel(title), placeHolder: vscode.l10n.t('The host, a named network namespace or a running container') });
  return pick?.endpoint;
}

async function pickInterface(session: HostSession, endpoint: string, title: string): Promise<string | undefined> {
  const index = session.index!;
  const inode = endpointInode(session, endpoint);
  const ifaces = inode === undefined ? [] : index.interfacesIn(inode).filter((i) => i.kind !== 'loopback' && i.name !== 'lo');
  const pick = await vscode.window.showQuickPick(
    ifaces.map((i) => ({
      label: displayLabel(i.name),
      description: displayLabel(`${i.kind} · ${i.state}${i.addresses.length ? ' · ' + i.addresses.map((a) => `${a.address}/${a.prefixLen}`).join(', ') : ''}`),
      name: i.name,
    })),
    { title: displayLabel(title), placeHolder: displayText(vscode.l10n.t('Interface in {0}', shownEndpoint(session, endpoint))) },
  );
  return pick?.name;
}

function endpointInode(session: HostSession, endpoint: string): number | undefined {
  const index = session.index!;
  if (endpoint === 'host') return index.initial.net;
  if (endpoint.startsWith('netns:')) return index.netnsByName.get(endpoint.slice(6))?.inode;
  if (endpoint.startsWith('container:')) return containerByRef(index.snapshot, endpoint.slice(10))?.ns.net;
  return undefined;
}

/** How an endpoint is shown in titles: `container:NAME` for `container:ENGINE:ID` (see resolveEndpoint). */
function shownEndpoint(session: HostSession, endpoint: string): string {
  try {
    return resolveEndpoint(parseEndpoint(endpoint), session.snapshot!).label;
  } catch {
    return endpoint;
  }
}

function interfaceOfNode(session: HostSession, node: Node | undefined): string | undefined {
  if (node?.kind !== 'interface') return undefined;
  return session.index?.interface(node.ns, node.ifindex)?.name;
}

/** How a planned workflow runs: all at once after one confirmation, or one step at a time. */
export interface RunPlannedOptions {
  extraButtons?: string[];
  /** Step-by-step mode (see ExecuteOptions.confirmStep): no first confirmation, each step asks. */
  confirmStep?: ExecuteOptions['confirmStep'];
  afterStep?: ExecuteOptions['afterStep'];
}

/**
 * Preview, confirm, run as one transaction, journal, refresh, report. Returns whether it applied, or the
 * extra button chosen instead of Run.
 */
export async function runPlannedWorkflow(deps: CommandDeps, journal: Journal, s: HostSession, wf: Workflow, extra: string[] | RunPlannedOptions = []): Promise<boolean | string> {
  const { log } = deps;
  const o: RunPlannedOptions = Array.isArray(extra) ? { extraButtons: extra } : extra;
  const extraButtons = o.extraButtons ?? [];
  const preview = renderPreview(wf);
  wlog.info(`preview of "${wf.title}" on ${s.label}:\n${preview}`);
  const run = vscode.l10n.t('Run');
  const intro = wf.steps.some((x) => x.needsRoot) ? vscode.l10n.t('These commands will run (marked: as root):') : vscode.l10n.t('These commands will run:');
  const pick = o.confirmStep ? run : await vscode.window.showInformationMessage(
    displayText(vscode.l10n.t('{0} on {1}?', wf.title, s.label)),
    { modal: true, detail: displayLines(`${intro}\n\n${preview}${wf.notes?.length ? `\n\n${wf.notes.join('\n')}` : ''}`) },
    run,
    ...extraButtons,
  );
  if (pick !== run) return pick ?? false;
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: displayLabel(wf.title), cancellable: false },
    (progress) =>
      executeWorkflow(s.conn, wf, {
        onStep: (i, step) => progress.report({ message: displayLabel(`${i + 1}/${wf.steps.length}: ${step.description}`) }),
        confirmStep: o.confirmStep,
        afterStep: o.afterStep,
      }),
  );
  const text = formatReport(report, s.label);
  wlog.info(text);
  if (report.applied) await journal.record(s.id, report.applied);
  await s.refresh().catch(() => undefined);
  if (!report.ok) {
    void vscode.window.showErrorMessage(displayText(`${wf.title} failed on ${s.label}; ${report.rolledBack.length ? 'what was done has been rolled back' : 'nothing was changed'}.`), { modal: true, detail: displayLines(text) });
    return false;
  }
  if (report.postCheck) {
    const ok = report.postCheck.ok;
    const summary = report.postCheck.ping ? formatPingResult(report.postCheck.ping) : report.postCheck.output.trim();
    const msg = displayMessage(ok ? vscode.l10n.t('{0}: done. Ping succeeded: {1}', wf.title, summary) : vscode.l10n.t('{0}: done. Ping FAILED: {1}', wf.title, summary));
    const undo = vscode.l10n.t('Undo');
    if (ok) void vscode.window.showInformationMessage(msg, undo).then((a) => a && vscode.commands.executeCommand('nsExplorer.undoLastWorkflow', { kind: 'host', hostId: s.id, id: s.id }));
    else void vscode.window.showWarningMessage(msg, undo, vscode.l10n.t('Show Log')).then((a) => (a === undo ? vscode.commands.executeCommand('nsExplorer.undoLastWorkflow', { kind: 'host', hostId: s.id, id: s.id }) : a && log.show()));
  } else {
    void vscode.window.showInformationMessage(displayMessage(vscode.l10n.t('{0}: done on {1}.', wf.title, s.label)), vscode.l10n.t('Undo')).then((a) => a && vscode.commands.executeCommand('nsExplorer.undoLastWorkflow', { kind: 'host', hostId: s.id, id: s.id }));
  }
  return true;
}

/** The journal of applied workflows, where Undo Last Workflow finds them (one store per extension). */
export function workflowJournal(context: vscode.ExtensionContext): Journal {
  return new Journal(new FileJournalStore(path.join(context.globalStorageUri.fsPath, 'journal')));
}

export function registerWorkflowCommands(deps: CommandDeps): vscode.Disposable[] {
  const { sessions, log, context } = deps;
  const journal = workflowJournal(context);
  const capsCache = new WeakMap<HostSession, HostCapabilities>();
  const reg = (id: string, fn: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown);

  const sessionFor = async (node: Node | undefined, purpose: string): Promise<HostSession | undefined> => {
    const s = node ? sessions.get(node.hostId) : await pickSession(sessions, purpose);
    if (!s || !(await ensureSnapshot(s))) return undefined;
    if (s.info?.privilege === 'limited') {
      void vscode.window.showErrorMessage(displayMessage(`${purpose} needs root on ${s.label}, and this connection has neither root nor sudo. Nothing was changed.`));
      return undefined;
    }
    return s;
  };

  const capabilities = async (s: HostSession): Promise<HostCapabilities> => {
    let c = capsCache.get(s);
    if (!c) {
      c = await probeCapabilities(s.conn);
      capsCache.set(s, c);
    }
    return c;
  };

  const showRejection = (s: HostSession, e: unknown, purpose: string): void => {
    const message = (e as Error).message;
    if (e instanceof WorkflowError) {
      void vscode.window.showErrorMessage(displayMessage(`${purpose}: ${message} Nothing was changed on ${s.label}.`));
    } else {
      void vscode.window.showErrorMessage(displayMessage(vscode.l10n.t('{0} on {1}: {2}', purpose, s.label, message)), vscode.l10n.t('Show Log')).then((a) => a && log.show());
    }
  };

  const runPlanned = (s: HostSession, wf: Workflow, extraButtons: string[] = []) => runPlannedWorkflow(deps, journal, s, wf, extraButtons);

  /** A workflow command: the session (from the node or a picker), then body; rejections become messages. */
  type Body = (node: Node | undefined, s: HostSession) => Promise<unknown>;
  const cmd = (id: string, purpose: string, body: Body) =>
    reg(id, async (node?: Node) => {
      const s = await sessionFor(node, purpose);
      if (!s) return undefined;
      try {
        return await body(node, s);
      } catch (e) {
        showRejection(s, e, purpose);
        return undefined;
      }
    });

  const setLink = async (node: Node | undefined, s: HostSession, state: 'up' | 'down') => {
    const ep = endpointOfNode(s, node) ?? (await pickEndpoint(s, `Set Link ${state}: in which namespace?`));
    if (!ep) return undefined;
    const iface = interfaceOfNode(s, node) ?? (await pickInterface(s, ep, `Set Link ${state}`));
    if (!iface) return undefined;
    return runPlanned(s, planSetLink(s.snapshot!, ep, iface, state, { capabilities: await capabilities(s) }));
  };

  return [
    cmd('nsExplorer.createNetns', 'Create Network Namespace', async (_node, s) => {
      const name = await vscode.window.showInputBox({
        title: vscode.l10n.t('Create Network Namespace on {0}', s.label),
        prompt: vscode.l10n.t('A name for /run/netns (letters, digits, _ - .)'),
        validateInput: (v) => {
          try {
            validateNetnsName(v);
            return s.index!.netnsByName.has(v) ? `${v} already exists.` : undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      });
      if (!name) return;
      return runPlanned(s, planCreateNetns(s.snapshot!, name, { capabilities: await capabilities(s) }));
    }),
    cmd('nsExplorer.deleteNetns', 'Delete Network Namespace', async (node, s) => {
      let ep = endpointOfNode(s, node);
      if (!ep?.startsWith('netns:')) {
        const items = s.index!.snapshot.netns.map((n) => ({ label: displayLabel(n.name), description: `net:[${n.inode}]`, name: n.name }));
        const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Delete Network Namespace'), placeHolder: vscode.l10n.t('Which named network namespace?') });
        if (!pick) return;
        ep = `netns:${pick.name}`;
      }
      const name = ep.slice(6);
      const caps = await capabilities(s);
      let wf: Workflow;
      try {
        wf = planDeleteNetns(s.snapshot!, name, { capabilities: caps });
      } catch (e) {
        if (!(e instanceof WorkflowError) || e.code !== 'netns-busy') throw e;
        const anyway = vscode.l10n.t('Delete Anyway');
        const force = await vscode.window.showWarningMessage(displayText(vscode.l10n.t('{0} still has processes in it.', name)), { modal: true, detail: `${displayLines(e.message)}\n\n${vscode.l10n.t('Deleting the name does not end those processes; the namespace lives on while they hold it.')}` }, anyway);
        if (force !== anyway) return;
        wf = planDeleteNetns(s.snapshot!, name, { capabilities: caps, force: true });
      }
      return runPlanned(s, wf);
    }),
    cmd('nsExplorer.createVethPair', 'Create veth Pair', async (node, s) => {
      const a = endpointOfNode(s, node) ?? (await pickEndpoint(s, vscode.l10n.t('Create veth Pair: where does the first end go?')));
      if (!a) return;
      const b = await pickEndpoint(s, vscode.l10n.t('Create veth Pair: where does the other end go? (first end in {0})', shownEndpoint(s, a)));
      if (!b) return;
      const nameA = await askIfName(vscode.l10n.t('Name of the end in {0}', shownEndpoint(s, a)), 'veth0');
      if (!nameA) return;
      const nameB = await askIfName(vscode.l10n.t('Name of the end in {0}', shownEndpoint(s, b)), nameA === 'veth1' ? 'veth0' : 'veth1');
      if (!nameB) return;
      return runPlanned(s, planCreateVethPair(s.snapshot!, { name: nameA, endpoint: a }, { name: nameB, endpoint: b }, { capabilities: await capabilities(s) }));
    }),
    cmd('nsExplorer.moveInterface', 'Move Interface to Namespace', async (node, s) => {
      const from = endpointOfNode(s, node) ?? (await pickEndpoint(s, vscode.l10n.t('Move Interface: from where?')));
      if (!from) return;
      const iface = interfaceOfNode(s, node) ?? (await pickInterface(s, from, vscode.l10n.t('Move Interface')));
      if (!iface) return;
      const to = await pickEndpoint(s, vscode.l10n.t('Move {0} to which namespace?', iface), from);
      if (!to) return;
      return runPlanned(s, planMoveInterface(s.snapshot!, iface, from, to, { capabilities: await capabilities(s) }));
    }),
    cmd('nsExplorer.assignAddress', 'Assign Address', async (node, s) => {
      const ep = endpointOfNode(s, node) ?? (await pickEndpoint(s, vscode.l10n.t('Assign Address: in which namespace?')));
      if (!ep) return;
      const iface = interfaceOfNode(s, node) ?? (await pickInterface(s, ep, vscode.l10n.t('Assign Address')));
      if (!iface) return;
      const cidr = await vscode.window.showInputBox({
        title: displayLabel(vscode.l10n.t('Assign Address to {0} in {1}', iface, shownEndpoint(s, ep))),
        prompt: vscode.l10n.t('An IPv4 or IPv6 address with its prefix length, e.g. 10.200.7.1/24 or fd00:200::1/64'),
        validateInput: (v) => {
          try {
            parseCidr(v.trim());
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      });
      if (!cidr) return;
      return runPlanned(s, planAssignAddress(s.snapshot!, ep, iface, cidr.trim(), { capabilities: await capabilities(s) }));
    }),
    cmd('nsExplorer.setLinkUp', 'Set Link Up', (node, s) => setLink(node, s, 'up')),
    cmd('nsExplorer.setLinkDown', 'Set Link Down', (node, s) => setLink(node, s, 'down')),
    cmd('nsExplorer.pingFromNamespace', 'Ping from Namespace', async (node, s) => {
      const from = endpointOfNode(s, node) ?? (await pickEndpoint(s, vscode.l10n.t('Ping from which namespace?')));
      if (!from) return;
      const address = await vscode.window.showInputBox({ title: displayLabel(vscode.l10n.t('Ping from {0}', shownEndpoint(s, from))), prompt: vscode.l10n.t('Address to ping (IPv4 or IPv6)'), placeHolder: '10.200.1.2' });
      if (!address) return;
      const cfg = vscode.workspace.getConfiguration('nsExplorer.workflows');
      const check = planPing(s.snapshot!, from, address.trim(), { count: cfg.get('pingCount', 3), timeoutSec: cfg.get('pingTimeoutSeconds', 2), capabilities: await capabilities(s) });
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: displayLabel(check.description) }, () =>
        s.conn.exec(check.argv, { privileged: check.needsRoot, timeoutMs: check.timeoutMs }),
      );
      const parsed = parsePingOutput(r.stdout + r.stderr);
      const text = parsed ? `${check.description}: ${formatPingResult(parsed)}` : `${check.description} failed: ${(r.stderr || r.stdout).trim()}`;
      wlog.info(text);
      if (parsed && parsed.received > 0) void vscode.window.showInformationMessage(displayMessage(text));
      else void vscode.window.showWarningMessage(displayMessage(text), vscode.l10n.t('Show Log')).then((a) => a && log.show());
      return parsed;
    }),
    cmd('nsExplorer.connectNamespaces', 'Connect Namespaces', async (node, s) => {
      const a = endpointOfNode(s, node) ?? (await pickEndpoint(s, vscode.l10n.t('Connect Namespaces: first side (A)')));
      if (!a) return;
      const b = await pickEndpoint(s, vscode.l10n.t('Connect {0} with… (B)', shownEndpoint(s, a)), a);
      if (!b) return;
      const cfg = vscode.workspace.getConfiguration('nsExplorer.workflows');
      const caps = await capabilities(s);
      let names: { a: string; b: string } | undefined;
      let subnet: string | undefined;
      for (let round = 0; round < 10; round++) {
        const wf = planConnect(s.snapshot!, a, b, { names, subnet, range: cfg.get('subnetRange', '10.200.0.0/16'), pingCount: cfg.get('pingCount', 3), capabilities: caps });
        wf.notes = [...(wf.notes ?? []), `${wf.names.a} ${wf.addresses.a} in ${shownEndpoint(s, a)}  ↔  ${wf.names.b} ${wf.addresses.b} in ${shownEndpoint(s, b)} (subnet ${wf.subnet})`];
        const changeNames = vscode.l10n.t('Change Names…');
        const changeSubnet = vscode.l10n.t('Change Subnet…');
        const outcome = await runPlanned(s, wf, [changeNames, changeSubnet]);
        if (outcome === changeNames) {
          const na = await askIfName(vscode.l10n.t('Interface name in {0}', shownEndpoint(s, a)), wf.names.a);
          const nb = na && (await askIfName(vscode.l10n.t('Interface name in {0}', shownEndpoint(s, b)), wf.names.b));
          if (na && nb) names = { a: na, b: nb };
          continue;
        }
        if (outcome === changeSubnet) {
          const v = await vscode.window.showInputBox({ title: vscode.l10n.t('Subnet for the link'), value: wf.subnet, prompt: vscode.l10n.t('A free IPv4 or IPv6 subnet; A takes its first usable address, B the second') });
          if (v) subnet = v.trim();
          continue;
        }
        return outcome;
      }
      return undefined;
    }),
    cmd('nsExplorer.undoLastWorkflow', 'Undo Last Workflow', async (_node, s) => {
      const entries = await journal.list(s.id);
      const last = entries[entries.length - 1];
      if (!last) {
        void vscode.window.showInformationMessage(displayMessage(vscode.l10n.t('Nothing to undo on {0}.', s.label)));
        return;
      }
      const checked = last.undo.some((u) => parseIdentityCheck(u.argv));
      const detail = last.undo.map((u) => `• ${u.description}`).join('\n') +
        (checked ? '\n\nSteps that name a process by PID run only if the host finds it is still the process the change was made in (same start time and namespaces).' : '');
      const undo = vscode.l10n.t('Undo');
      const ok = await vscode.window.showWarningMessage(displayText(vscode.l10n.t('Undo "{0}" on {1}?', last.title, s.label)), { modal: true, detail: displayLines(detail) }, undo);
      if (ok !== undo) return;
      const r = await journal.undoLast(s.id, s.conn);
      await s.refresh().catch(() => undefined);
      if (r.ok) {
        // The walkthrough's "ping across, then undo" step is done once an undo went through.
        void vscode.commands.executeCommand('setContext', 'nsExplorer.walkthrough.undone', true);
        void vscode.window.showInformationMessage(displayMessage(vscode.l10n.t('Undid "{0}" on {1}.', last.title, s.label)));
      } else void vscode.window.showErrorMessage(displayMessage(`Undo of "${last.title}" stopped: ${r.ran.find((x) => !x.ok)?.message ?? 'a step failed'}. ${r.remaining.length} step(s) remain; fix the cause and undo again.`));
      return r;
    }),
  ];
}

async function askIfName(title: string, value: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: displayLabel(title),
    value,
    prompt: vscode.l10n.t('An interface name: 1 to 15 bytes, no spaces, "/" or ":"'),
    validateInput: (v) => {
      try {
        validateInterfaceName(v);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
}
