import * as assert from 'assert';
import { parseRemoteAuthority } from '../../../src/host/remoteAuthority';

const hexJson = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8').toString('hex');

describe("the Remote-SSH window's host (remote authority ssh-remote+…)", () => {
  it('takes an ssh-config alias or user@host[:port] as written, URI-decoded', () => {
    assert.deepStrictEqual(parseRemoteAuthority('ssh-remote+lab'), { spec: 'lab', authority: 'ssh-remote+lab' });
    assert.strictEqual(parseRemoteAuthority('ssh-remote+build-01.example.org')?.spec, 'build-01.example.org');
    assert.strictEqual(parseRemoteAuthority('ssh-remote+root%40k8s-node-3')?.spec, 'root@k8s-node-3');
    assert.strictEqual(parseRemoteAuthority('ssh-remote+me@10.0.0.5:2222')?.spec, 'me@10.0.0.5:2222');
    assert.strictEqual(parseRemoteAuthority('SSH-REMOTE+lab')?.spec, 'lab');
  });

  it("decodes Remote-SSH's hex-encoded JSON form, IPv6 hosts bracketed", () => {
    assert.strictEqual(parseRemoteAuthority(`ssh-remote+${hexJson({ hostName: 'node-7', user: 'ops', port: 2200 })}`)?.spec, 'ops@node-7:2200');
    assert.strictEqual(parseRemoteAuthority(`ssh-remote+${hexJson({ hostName: 'node-7' })}`)?.spec, 'node-7');
    assert.strictEqual(parseRemoteAuthority(`ssh-remote+${hexJson({ hostName: 'fd00::7', port: 22 })}`)?.spec, '[fd00::7]:22');
    // Hex digits that are not that JSON stay an alias.
    assert.strictEqual(parseRemoteAuthority('ssh-remote+cafe')?.spec, 'cafe');
  });

  it('offers nothing for other remotes, an empty or broken authority, or an alias named local', () => {
    for (const a of [undefined, '', 'wsl+Ubuntu', 'dev-container+abc', 'codespaces+x', 'ssh-remote+', 'ssh-remote+%E0%A4%A', 'ssh-remote+a b', 'ssh-remote+local', `ssh-remote+${hexJson({ user: 'x' })}`]) {
      assert.strictEqual(parseRemoteAuthority(a), undefined, String(a));
    }
  });
});
