/**
 * The window's own host in a Remote-SSH window: offered first by the welcome view and Connect to Host.
 * Where the extension runs on the UI side, that is the window's SSH alias; where it runs on the remote
 * side (extensionKind workspace), it is "This machine".
 */
import * as vscode from 'vscode';
import { parseRemoteAuthority, WindowHost } from '../host/remoteAuthority';

export interface WindowHostState {
  /** The window's SSH host, when the extension runs on the UI side of a Remote-SSH window. */
  host?: WindowHost;
  /** The extension runs on the Remote-SSH window's host itself: "This machine" is that host. */
  onRemote: boolean;
}

export function windowHostState(context: vscode.ExtensionContext): WindowHostState {
  if (vscode.env.remoteName !== 'ssh-remote') return { onRemote: false };
  if (context.extension.extensionKind === vscode.ExtensionKind.Workspace) return { onRemote: true };
  const uris = [vscode.workspace.workspaceFile, ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri)];
  for (const uri of uris) {
    if (uri?.scheme !== 'vscode-remote') continue;
    const host = parseRemoteAuthority(uri.authority);
    if (host) return { host, onRemote: false };
  }
  return { onRemote: false };
}

export function publishWindowHost(state: WindowHostState): void {
  void vscode.commands.executeCommand('setContext', 'nsExplorer.windowHost', state.host !== undefined);
  void vscode.commands.executeCommand('setContext', 'nsExplorer.windowHostIsLocal', state.onRemote);
}
