/** QuickPicks that stand in for a tree node when a command runs from the palette. */
import * as vscode from 'vscode';
import { displayLabel, displayMessage } from '../model/displayText';
import { NS_TYPES, NsType } from '../model/snapshot';
import { containerRef } from '../model/snapshotIndex';
import { EnterTarget } from '../workflows/enter';
import { HostSession, HostSessions } from '../views/hostSessions';

export async function pickSession(sessions: HostSessions, purpose: string): Promise<HostSession | undefined> {
  const list = sessions.list();
  if (list.length === 0) {
    const open = vscode.l10n.t('Connect to Host…');
    const pick = await vscode.window.showInformationMessage(vscode.l10n.t('No host is open. {0} needs one.', purpose), open);
    if (pick === open) {
      await vscode.commands.executeCommand('nsExplorer.connectHost');
    }
    return sessions.list()[0];
  }
  if (list.length === 1) {
    return list[0];
  }
  const pick = await vscode.window.showQuickPick(
    list.map((s) => ({ label: displayLabel(s.label), description: s.state.kind, session: s })),
    { title: purpose, placeHolder: vscode.l10n.t('Which host?') },
  );
  return pick?.session;
}

export async function ensureSnapshot(session: HostSession): Promise<boolean> {
  if (!session.snapshot) {
    try {
      await session.refresh();
    } catch (e) {
      void vscode.window.showErrorMessage(displayMessage(vscode.l10n.t('Cannot read {0}: {1}', session.label, (e as Error).message)));
      return false;
    }
  }
  return session.snapshot !== undefined;
}

type TargetItem = vscode.QuickPickItem & { target?: EnterTarget; askPid?: boolean };

/** Containers, named netns, namespaces of every type, or a PID typed in. */
export async function pickEnterTarget(session: HostSession, title: string): Promise<EnterTarget | undefined> {
  const index = session.index;
  if (!index) return undefined;
  const items: TargetItem[] = [];
  const running = index.snapshot.containers.filter((c) => c.pid && !c.sandboxed);
  if (running.length) {
    items.push({ label: vscode.l10n.t('Containers'), kind: vscode.QuickPickItemKind.Separator });
    items.push(...running.map((c): TargetItem => ({ label: `$(box) ${displayLabel(c.name)}`, description: displayLabel(`${c.engine} · ${c.image} · PID ${c.pid}`), target: { kind: 'container', ref: containerRef(c) } })));
  }
  if (index.snapshot.netns.length) {
    items.push({ label: vscode.l10n.t('Named network namespaces'), kind: vscode.QuickPickItemKind.Separator });
    items.push(...index.snapshot.netns.map((n): TargetItem => ({ label: `$(globe) ${displayLabel(n.name)}`, description: `net:[${n.inode}]`, target: { kind: 'netns', name: n.name } })));
  }
  items.push({ label: vscode.l10n.t('Namespaces'), kind: vscode.QuickPickItemKind.Separator });
  for (const t of NS_TYPES) {
    for (const n of index.namespacesOfType(t as NsType)) {
      if (n.initial || (n.pids.length === 0 && n.nsfsPaths.length === 0)) continue;
      items.push({ label: `$(symbol-namespace) ${t}:[${n.inode}]`, description: displayLabel(`${index.label(t, n.inode)} · ${n.pids.length} processes`), target: { kind: 'namespace', type: t, inode: n.inode } });
    }
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: `$(terminal) ${vscode.l10n.t('A process by PID…')}`, askPid: true });
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Container, network namespace, namespace or process'), matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.askPid) {
    const text = await vscode.window.showInputBox({
      title,
      prompt: vscode.l10n.t('Host PID of the process whose namespaces to enter'),
      validateInput: (v) => (/^[1-9][0-9]{0,9}$/.test(v.trim()) ? (index.byPid.has(Number(v)) ? undefined : vscode.l10n.t('No process {0} in the last snapshot.', v.trim())) : vscode.l10n.t('A process id, e.g. 24691')),
    });
    return text ? { kind: 'pid', pid: Number(text.trim()) } : undefined;
  }
  return pick.target;
}

/** A namespace of any type, for Copy Inode from the palette. */
export async function pickNamespaceInode(session: HostSession, title: string): Promise<number | undefined> {
  const index = session.index;
  if (!index) return undefined;
  const items = index.snapshot.namespaces.map((n) => ({
    label: `${n.type}:[${n.inode}]`,
    description: displayLabel(`${index.label(n.type, n.inode)} · ${n.pids.length} processes`),
    inode: n.inode,
  }));
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Namespace (type a type, inode or holder)'), matchOnDescription: true });
  return pick?.inode;
}

/** A container, for Copy Container ID and Copy PID from the palette. */
export async function pickContainer(session: HostSession, title: string, runningOnly: boolean) {
  const index = session.index;
  if (!index) return undefined;
  const items = index.snapshot.containers
    .filter((c) => !runningOnly || c.pid)
    .map((c) => ({ label: `$(box) ${displayLabel(c.name)}`, description: displayLabel(`${c.engine} · ${c.state}${c.pid ? ` · PID ${c.pid}` : ''}`), container: c }));
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Container'), matchOnDescription: true });
  return pick?.container;
}

/** A veth end, for Reveal Peer from the palette. */
export async function pickVeth(session: HostSession, title: string) {
  const index = session.index;
  if (!index) return undefined;
  const items = index.snapshot.interfaces
    .filter((i) => i.kind === 'veth' && i.peer)
    .map((i) => ({ label: `$(plug) ${displayLabel(i.name)}`, description: displayLabel(`in ${index.netLabel(i.ns)} ↔ ${index.interface(i.peer!.ns, i.peer!.ifindex)?.name ?? '?'} in ${index.netLabel(i.peer!.ns)}`), iface: i }));
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('veth end'), matchOnDescription: true });
  return pick?.iface;
}
