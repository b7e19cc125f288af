import * as assert from 'assert';
import { formatHostSpec, HostSpec, HostSpecError, parseHostSpec, validateHostSpec } from '../../../src/host/hostSpec';

describe('hostSpec', () => {
  const good: [string, HostSpec][] = [
    ['local', { kind: 'local' }],
    ['  local ', { kind: 'local' }],
    ['myalias', { kind: 'ssh', host: 'myalias' }],
    ['root@10.0.0.1', { kind: 'ssh', host: '10.0.0.1', user: 'root' }],
    ['bob@host.example.com:2222', { kind: 'ssh', host: 'host.example.com', user: 'bob', port: 2222 }],
    ['host:22', { kind: 'ssh', host: 'host', port: 22 }],
    ['ssh://bob@host:2200', { kind: 'ssh', host: 'host', user: 'bob', port: 2200 }],
    ['SSH://host/', { kind: 'ssh', host: 'host' }],
    ['ssh://a%40b@host', { kind: 'ssh', host: 'host', user: 'a@b' }],
    ['[fe80::1]:2222', { kind: 'ssh', host: 'fe80::1', port: 2222 }],
    ['root@[2001:db8::5]', { kind: 'ssh', host: '2001:db8::5', user: 'root' }],
    ['ssh://u@[::1]:22', { kind: 'ssh', host: '::1', user: 'u', port: 22 }],
    ['2001:db8::5', { kind: 'ssh', host: '2001:db8::5' }],
    ['me@fe80::1%eth0', { kind: 'ssh', host: 'fe80::1%eth0', user: 'me' }],
    ['user@corp@jump', { kind: 'ssh', host: 'jump', user: 'user@corp' }],
    ['host:65535', { kind: 'ssh', host: 'host', port: 65535 }],
  ];
  for (const [input, spec] of good) {
    it(`parses ${JSON.stringify(input)}`, () => {
      assert.deepStrictEqual(parseHostSpec(input), spec);
      assert.deepStrictEqual(parseHostSpec(formatHostSpec(spec)), spec, 'format round-trips');
    });
  }

  const bad: [string, RegExp][] = [
    ['', /No host given/],
    ['   ', /No host given/],
    ['host:', /Empty port after ":"/],
    ['host:0', /Port 0 in "host:0" is out of range; type a port from 1 to 65535/],
    ['host:65536', /out of range/],
    ['host:ssh', /Port "ssh" in "host:ssh" is not a number/],
    ['host:-1', /is not a number/],
    ['@host', /nothing before "@"/],
    ['bob@', /has no host name/],
    ['bob@:22', /has no host name/],
    ['a b', /contains a space at position 2/],
    ['host\tx', /control character \(U\+0009\)/],
    ['host\u0000', /control character \(U\+0000\)/],
    ['bad\u001bhost', /control character \(U\+001B\)/],
    ['[fe80::1', /without a closing "\]"/],
    ['[fe80::1]x', /only ":port" may follow/],
    ['[]:22', /empty host between/],
    ['a:b:c', /is not an IPv6 address.*\[v6addr\]:port/],
    ['-oProxyCommand=x', /starts with "-"/],
    ['-l@host', /user name "-l" starts with "-"/],
    ['http://host', /only ssh:\/\/ is supported/],
    ['ssh://host/path', /has a path after the host/],
    ['host;rm', /contains ";"/],
    ['ho*st', /contains "\*"/],
  ];
  for (const [input, re] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseHostSpec(input), (err: Error) => err instanceof HostSpecError && re.test(err.message));
      assert.match(validateHostSpec(input) ?? '', re);
    });
  }

  it('validates good input to undefined for input boxes', () => {
    assert.strictEqual(validateHostSpec('bob@host:22'), undefined);
  });
});
