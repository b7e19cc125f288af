/** The VS Code side of every question the host layer asks: passwords, passphrases, host keys, sudo. */
import * as vscode from 'vscode';
import { HostKeyChoice, HostKeyQuestion, SshPrompts } from '../host/sshConnection';
import { displayLabel } from '../model/displayText';

export function vscodePrompts(): SshPrompts {
  return {
    async password(hostLabel, user) {
      return vscode.window.showInputBox({
        title: `Password for ${user} on ${hostLabel}`,
        prompt: `SSH password for ${user}@${hostLabel}`,
        password: true,
        ignoreFocusOut: true,
      });
    },
    async passphrase(keyPath, retry) {
      return vscode.window.showInputBox({
        title: retry ? `Wrong passphrase, try again: ${keyPath}` : `Passphrase for ${keyPath}`,
        prompt: `The key ${keyPath} is encrypted. Enter its passphrase.`,
        password: true,
        ignoreFocusOut: true,
      });
    },
    async keyboardInteractive(hostLabel, name, instructions, prompts) {
      const answers: string[] = [];
      for (const p of prompts) {
        // The name, instructions and prompts are the server's words.
        const a = await vscode.window.showInputBox({
          title: displayLabel(name || `Login to ${hostLabel}`),
          prompt: displayLabel([instructions, p.prompt].filter(Boolean).join(' — ')),
          password: !p.echo,
          ignoreFocusOut: true,
        });
        if (a === undefined) {
          return undefined;
        }
        answers.push(a);
      }
      return answers;
    },
    async unknownHostKey(q: HostKeyQuestion): Promise<HostKeyChoice> {
      const name = q.port === 22 ? q.host : `[${q.host}]:${q.port}`;
      const other = q.otherTypes.length ? `\n\nThis host is already known by a ${q.otherTypes.join(', ')} key, not by this type.` : '';
      const remember = 'Trust and Remember';
      const once = 'Trust Once';
      const pick = await vscode.window.showWarningMessage(
        `The authenticity of host ${name} can't be established.`,
        {
          modal: true,
          detail: `${q.keyType} key fingerprint is ${q.fingerprint}.${other}\n\nCompare it with the fingerprint the host's administrator gives you (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host) before trusting it.`,
        },
        // OpenSSH (the transport that sets rememberOnly) records every key it accepts.
        ...(q.rememberOnly ? [remember] : [remember, once]),
      );
      return pick === remember ? 'remember' : pick === once ? 'once' : 'cancel';
    },
    async notice(hostLabel, text) {
      // OpenSSH's words, e.g. "Confirm user presence for key ED25519-SK SHA256:…" (touch the security key).
      void vscode.window.showInformationMessage(displayLabel(`${hostLabel}: ${text}`));
    },
    async sudoPassword(hostLabel, user, retry) {
      // The user name is what the host's `id -un` printed.
      return vscode.window.showInputBox({
        title: displayLabel(retry ? `Wrong sudo password for ${user} on ${hostLabel}, try again` : `sudo password for ${user} on ${hostLabel}`),
        prompt: 'Namespace Explorer needs root to read every namespace. Cancel to browse with a limited view.',
        password: true,
        ignoreFocusOut: true,
      });
    },
    async offerRemember(hostLabel) {
      const yes = 'Remember';
      const pick = await vscode.window.showInformationMessage(
        `Remember the sudo password for ${hostLabel} in VS Code's secret storage?`,
        yes,
        'Not Now',
      );
      return pick === yes;
    },
  };
}
