/** The VS Code side of every question the host layer asks: passwords, passphrases, host keys, sudo. */
import * as vscode from 'vscode';
import { HostKeyChoice, HostKeyQuestion, SshPrompts } from '../host/sshConnection';
import { displayLabel } from '../model/displayText';

export function vscodePrompts(): SshPrompts {
  return {
    async password(hostLabel, user) {
      return vscode.window.showInputBox({
        title: vscode.l10n.t('Password for {0} on {1}', user, hostLabel),
        prompt: vscode.l10n.t('SSH password for {0}@{1}', user, hostLabel),
        password: true,
        ignoreFocusOut: true,
      });
    },
    async passphrase(keyPath, retry) {
      return vscode.window.showInputBox({
        title: retry ? vscode.l10n.t('Wrong passphrase, try again: {0}', keyPath) : vscode.l10n.t('Passphrase for {0}', keyPath),
        prompt: vscode.l10n.t('The key {0} is encrypted. Enter its passphrase.', keyPath),
        password: true,
        ignoreFocusOut: true,
      });
    },
    async keyboardInteractive(hostLabel, name, instructions, prompts) {
      const answers: string[] = [];
      for (const p of prompts) {
        // The name, instructions and prompts are the server's words.
        const a = await vscode.window.showInputBox({
          title: displayLabel(name || vscode.l10n.t('Login to {0}', hostLabel)),
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
      const other = q.otherTypes.length ? `\n\n${vscode.l10n.t('This host is already known by a {0} key, not by this type.', q.otherTypes.join(', '))}` : '';
      const remember = vscode.l10n.t('Trust and Remember');
      const once = vscode.l10n.t('Trust Once');
      const pick = await vscode.window.showWarningMessage(
        vscode.l10n.t("The authenticity of host {0} can't be established.", name),
        {
          modal: true,
          detail: `${vscode.l10n.t('{0} key fingerprint is {1}.', q.keyType, q.fingerprint)}${other}\n\n${vscode.l10n.t("Compare it with the fingerprint the host's administrator gives you (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host) before trusting it.")}`,
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
        title: displayLabel(retry ? vscode.l10n.t('Wrong sudo password for {0} on {1}, try again', user, hostLabel) : vscode.l10n.t('sudo password for {0} on {1}', user, hostLabel)),
        prompt: vscode.l10n.t('Namespace Explorer needs root to read every namespace. Cancel to browse with a limited view.'),
        password: true,
        ignoreFocusOut: true,
      });
    },
    async offerRemember(hostLabel) {
      const yes = vscode.l10n.t('Remember');
      const pick = await vscode.window.showInformationMessage(
        vscode.l10n.t("Remember the sudo password for {0} in VS Code's secret storage?", hostLabel),
        yes,
        vscode.l10n.t('Not Now'),
      );
      return pick === yes;
    },
  };
}
