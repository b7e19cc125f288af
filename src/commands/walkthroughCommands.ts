/**
 * The commands behind the "Explore Linux Namespaces" walkthrough. Each step's button runs one of these (or
 * a product command), and each sets the context key its step's completion event waits for, once the step
 * has really happened (connected, PID map shown, link made, undone, ...).
 */
import * as vscode from 'vscode';
import { Logger } from '../host/log';
import { displayLabel, displayLines, displayMessage, displayText } from '../model/displayText';
import { ContainerInfo } from '../model/snapshot';
import { containerRef } from '../model/snapshotIndex';
import { displayCommand } from '../host/commandLine';
import { formatPingResult, parsePingOutput } from '../workflows/ping';
import { LessonPlan, planLesson, planPing, Workflow } from '../workflows/plan';
import { WorkflowError } from '../workflows/validate';
import { HostSession } from '../views/hostSessions';
import { Node } from '../views/treeNodes';
import { CommandDeps } from './hostCommands';
import { ensureSnapshot, pickSession } from './pickers';
import { runPlannedWorkflow, workflowJournal } from './workflowCommands';

const wlog = new Logger('walkthrough');

export const WALKTHROUGH_ID = 'nsExplorer.explore';

/** Context keys the walkthrough's completion events wait for (`onContext:KEY`). */
export const WALKTHROUGH_KEYS = {
  connected: 'nsExplorer.walkthrough.connected',
  pidMap: 'nsExplorer.walkthrough.pidMap',
  types: 'nsExplorer.walkthrough.types',
  linked: 'nsExplorer.walkthrough.linked',
  pinged: 'nsExplorer.walkthrough.pinged',
  undone: 'nsExplorer.walkthrough.undone',
  vms: 'nsExplorer.walkthrough.vms',
} as const;

const LESSON_KEY = 'nsExplorer.walkthrough.lesson';

interface StoredLesson {
  hostId: string;
  netnsA: string;
  pingTarget: string;
}

const mark = (key: string) => void vscode.commands.executeCommand('setContext', key, true);

export function registerWalkthroughCommands(deps: CommandDeps): vscode.Disposable[] {
  const { sessions, context, view, log } = deps;
  const journal = workflowJournal(context);

  const session = async (purpose: string): Promise<HostSession | undefined> => {
    const s = await pickSession(sessions, purpose);
    if (!s || !(await ensureSnapshot(s))) return undefined;
    return s;
  };

  /** Shows a netns, or one interface in it, in the tree (expanded, selected). */
  const reveal = async (s: HostSession, netns: string, iface?: string): Promise<void> => {
    const index = s.index;
    if (!index) return;
    const inode = netns === 'host' ? index.initial.net : index.netnsByName.get(netns)?.inode;
    if (inode === undefined) return;
    const host: Node = { kind: 'host', hostId: s.id, id: s.id };
    const group: Node = { kind: 'group', group: 'networks', hostId: s.id, id: `${s.id}/networks`, parent: host };
    const ns: Node = { kind: 'netns', hostId: s.id, id: `${group.id}/${inode}`, inode, parent: group };
    const i = iface ? index.interfacesIn(inode).find((x) => x.name === iface) : undefined;
    const target: Node = i ? { kind: 'interface', hostId: s.id, id: `${ns.id}/if/${i.ifindex}`, ns: inode, ifindex: i.ifindex, parent: ns } : ns;
    await Promise.resolve(view.reveal(target, { select: true, focus: false, expand: true })).catch(() => undefined);
  };

  const runningContainers = (s: HostSession): ContainerInfo[] => s.index!.snapshot.containers.filter((c) => c.pid && !c.sandboxed && c.state === 'running');

  /** Step 2: a container is a process. */
  const showContainerAsProcess = async (): Promise<unknown> => {
    const s = await session(vscode.l10n.t('A container is a process'));
    if (!s) return undefined;
    const running = runningContainers(s);
    if (running.length === 0) return offerContainer(s);
    let c = running[0];
    if (running.length > 1) {
      const pick = await vscode.window.showQuickPick(
        running.map((x) => ({ label: `$(box) ${displayLabel(x.name)}`, description: displayLabel(`${x.engine} · ${x.image} · host PID ${x.pid}`), c: x })),
        { title: vscode.l10n.t('Which container?'), placeHolder: vscode.l10n.t('Its PID map shows its processes with their host PIDs'), ignoreFocusOut: true },
      );
      if (!pick) return undefined;
      c = pick.c;
    }
    const panel = await deps.pidMaps().show(s.id, { kind: 'container', id: containerRef(c) });
    mark(WALKTHROUGH_KEYS.pidMap);
    void vscode.window.showInformationMessage(
      displayMessage(vscode.l10n.t('{0}: host PID {1} is PID 1 inside. The container is that process, in namespaces of its own.', c.name, c.pid ?? '?')),
    );
    return panel;
  };

  /** No running container: how to start one, or the lesson's `docker run -d busybox` as a previewed action. */
  const offerContainer = async (s: HostSession): Promise<unknown> => {
    const busybox = await s.conn
      .exec(['docker', 'image', 'inspect', '--format', '{{.Id}}', 'busybox'], { privileged: true, timeoutMs: 15_000 })
      .then((r) => r.code === 0, () => false);
    if (!busybox) {
      void vscode.window.showInformationMessage(
        displayMessage(vscode.l10n.t('{0} runs no container. Start one, for example: docker run -d --name demo busybox sleep 3600, then refresh and try again.', s.label)),
      );
      return undefined;
    }
    const name = 'nsx-lesson-busybox';
    const wf: Workflow = {
      title: vscode.l10n.t('Start a busybox container ({0})', name),
      steps: [
        {
          description: vscode.l10n.t('Start busybox in the background (the lesson\u2019s docker run -d busybox, with a command that keeps it running)'),
          argv: ['docker', 'run', '-d', '--name', name, 'busybox', 'sleep', '86400'],
          inverse: ['docker', 'rm', '-f', name],
          needsRoot: true,
        },
      ],
    };
    const ok = await runPlannedWorkflow(deps, journal, s, wf);
    return ok === true ? showContainerAsProcess() : undefined;
  };

  /** Step 3: the eight namespace types, in the tree, and the Isolation Report where it exists. */
  const showNamespaceTypes = async (): Promise<unknown> => {
    const s = await session(vscode.l10n.t('The namespace types'));
    if (!s) return undefined;
    const host: Node = { kind: 'host', hostId: s.id, id: s.id };
    const group: Node = { kind: 'group', group: 'namespaces', hostId: s.id, id: `${s.id}/namespaces`, parent: host };
    await Promise.resolve(view.reveal(group, { select: true, focus: true, expand: true })).catch(() => undefined);
    mark(WALKTHROUGH_KEYS.types);
    const report = (await vscode.commands.getCommands(true)).find((id) => id === 'nsExplorer.showIsolationReport');
    const c = runningContainers(s)[0];
    if (report && c) {
      return vscode.commands.executeCommand(report, { kind: 'container', hostId: s.id, id: `${s.id}/walkthrough/${containerRef(c)}`, engine: c.engine, containerId: c.id } satisfies Node);
    }
    return group;
  };

  /** Step 4: Connect Namespaces with the lesson's names, one command at a time. */
  const connectStepByStep = async (): Promise<unknown> => {
    const s = await session(vscode.l10n.t('Connect Namespaces Step by Step'));
    if (!s) return undefined;
    if (s.info?.privilege === 'limited') {
      void vscode.window.showErrorMessage(displayMessage(vscode.l10n.t('Creating namespaces on {0} needs root, and this connection has neither root nor sudo. Nothing was changed.', s.label)));
      return undefined;
    }
    let plan: LessonPlan;
    try {
      plan = planLesson(s.snapshot!, { range: vscode.workspace.getConfiguration('nsExplorer.workflows').get('subnetRange', '10.200.0.0/16') });
    } catch (e) {
      void vscode.window.showErrorMessage(displayMessage(`${vscode.l10n.t('Connect Namespaces Step by Step')}: ${(e as Error).message}${e instanceof WorkflowError ? ' ' + vscode.l10n.t('Nothing was changed.') : ''}`));
      return undefined;
    }
    wlog.info(`lesson on ${s.label}: ${plan.title}`);
    const runOne = vscode.l10n.t('Run This Step');
    const runRest = vscode.l10n.t('Run the Rest');
    let all = false;
    const result = await runPlannedWorkflow(deps, journal, s, plan, {
      confirmStep: async (i, step) => {
        if (all) return true;
        const pick = await vscode.window.showInformationMessage(
          displayText(vscode.l10n.t('Step {0} of {1}: {2}', i + 1, plan.steps.length, step.description)),
          {
            modal: true,
            detail: displayLines(
              `# ${displayCommand(step.argv)}\n\n` +
                vscode.l10n.t('Undo: {0}', step.inverse ? displayCommand(step.inverse) : '-') +
                (i === 0 ? `\n\n${plan.notes?.join('\n') ?? ''}` : ''),
            ),
          },
          runOne,
          runRest,
        );
        if (pick === runRest) all = true;
        return pick === runOne || pick === runRest;
      },
      afterStep: async (i) => {
        await s.refresh().catch(() => undefined);
        const f = plan.focus[i];
        await reveal(s, f.netns, f.iface);
      },
    });
    if (result === true) {
      const stored: StoredLesson = { hostId: s.id, netnsA: plan.netns.a, pingTarget: plan.pingTarget };
      await context.globalState.update(LESSON_KEY, stored);
      mark(WALKTHROUGH_KEYS.linked);
      await reveal(s, plan.netns.b, plan.names.b);
    }
    return result;
  };

  /** Step 5: ping across the lesson's cable. */
  const pingAcross = async (): Promise<unknown> => {
    const stored = context.globalState.get<StoredLesson>(LESSON_KEY);
    const s = stored ? sessions.get(stored.hostId) : undefined;
    if (!stored || !s || !(await ensureSnapshot(s)) || !s.index?.netnsByName.has(stored.netnsA)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Make the link first: run Connect Namespaces Step by Step.'));
      return undefined;
    }
    const cfg = vscode.workspace.getConfiguration('nsExplorer.workflows');
    const check = planPing(s.snapshot!, `netns:${stored.netnsA}`, stored.pingTarget, { count: cfg.get('pingCount', 3), timeoutSec: cfg.get('pingTimeoutSeconds', 2) });
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: displayLabel(check.description) }, () =>
      s.conn.exec(check.argv, { privileged: check.needsRoot, timeoutMs: check.timeoutMs }),
    );
    const parsed = parsePingOutput(r.stdout + r.stderr);
    if (parsed && parsed.received > 0) {
      mark(WALKTHROUGH_KEYS.pinged);
      const undo = vscode.l10n.t('Undo Last Workflow');
      const a = await vscode.window.showInformationMessage(displayMessage(vscode.l10n.t('{0}: {1}. Now undo the lesson to leave the host as it was.', check.description, formatPingResult(parsed))), undo);
      if (a === undo) await vscode.commands.executeCommand('nsExplorer.undoLastWorkflow', { kind: 'host', hostId: s.id, id: s.id } satisfies Node);
      return parsed;
    }
    void vscode.window.showWarningMessage(displayMessage(`${check.description}: ${(r.stderr || r.stdout).trim()}`), vscode.l10n.t('Show Log')).then((a) => a && log.show());
    return parsed;
  };

  /** Step 6: containers under a VM sandbox, and what the host sees of them. */
  const showSandboxed = async (): Promise<unknown> => {
    const s = await session(vscode.l10n.t('Containers and VMs'));
    if (!s) return undefined;
    const all = s.index!.snapshot.containers;
    const sandboxed = all.filter((c) => c.sandboxed);
    mark(WALKTHROUGH_KEYS.vms);
    const what = vscode.l10n.t(
      'A container is a host process in namespaces of its own: the host sees its processes and can enter them. Under a VM sandbox (Kata Containers: a light VM; gVisor: a user-space kernel) its processes run against another kernel: the host sees only the sandbox, not the processes, their PIDs or their namespaces.',
    );
    const items = sandboxed.map((c) => `• ${c.name} (${c.engine}, ${c.runtime ?? vscode.l10n.t('sandboxed runtime')})`);
    const title =
      sandboxed.length === 0
        ? vscode.l10n.t('No container on {0} runs under a VM sandbox ({1} containers, all sharing the host kernel).', s.label, all.length)
        : vscode.l10n.t('{0} of the {1} containers on {2} run under a VM sandbox.', sandboxed.length, all.length, s.label);
    await vscode.window.showInformationMessage(displayText(title), { modal: true, detail: displayLines([...items, '', what].join('\n')) });
    return sandboxed.map((c) => c.name);
  };

  // Step 1 is done once a host has a snapshot.
  const sub = sessions.onSnapshot(() => mark(WALKTHROUGH_KEYS.connected));
  if (sessions.list().some((s) => s.snapshot)) mark(WALKTHROUGH_KEYS.connected);

  return [
    sub,
    vscode.commands.registerCommand('nsExplorer.openWalkthrough', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false),
    ),
    vscode.commands.registerCommand('nsExplorer.showContainerAsProcess', () => showContainerAsProcess()),
    vscode.commands.registerCommand('nsExplorer.showNamespaceTypes', () => showNamespaceTypes()),
    vscode.commands.registerCommand('nsExplorer.connectNamespacesStepByStep', () => connectStepByStep()),
    vscode.commands.registerCommand('nsExplorer.pingAcross', () => pingAcross()),
    vscode.commands.registerCommand('nsExplorer.showSandboxedContainers', () => showSandboxed()),
  ];
}
