/** The netns and veth workflow commands: pickers, a preview of the exact commands, run, report, undo. */
import * as vscode from 'vscode';
import { CommandDeps } from './hostCommands';

export function registerWorkflowCommands(_deps: CommandDeps): vscode.Disposable[] {
  return [];
}
