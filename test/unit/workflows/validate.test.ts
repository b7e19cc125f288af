import * as assert from 'assert';
import {
  cidrsOverlap,
  findFreeSubnet,
  hostAddresses,
  parseAddress,
  parseCidr,
  requireTools,
  validateInterfaceName,
  validateNetnsName,
  validateSubnet,
  WorkflowError,
  cidrString,
  shown,
} from '../../../src/workflows/validate';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WorkflowError, `expected a WorkflowError, got ${String(err)}`);
    return err.code;
  }
  return 'accepted';
}

describe('workflow validation', () => {
  it('accepts ordinary netns names and refuses paths, dots, whitespace, control characters and overlong ones', () => {
    for (const ok of ['blue', 'ns_1', 'a.b-c', '_x', '1', 'x'.repeat(64)]) {
      assert.strictEqual(validateNetnsName(ok), ok);
    }
    for (const bad of ['', '.', '..', 'a/b', '../etc', 'a b', 'a\tb', 'a\nb', '-n', '.hidden', 'x'.repeat(65), 'ünï', '$(id)', 'a;b', "a'b"]) {
      assert.strictEqual(code(() => validateNetnsName(bad)), 'bad-netns-name', JSON.stringify(bad));
    }
  });

  it('applies the kernel interface-name rules by bytes, not characters', () => {
    for (const ok of ['eth0', 'veth-blue', 'x'.repeat(15), 'ü'.repeat(7), 'br.100', 'a$b']) {
      assert.strictEqual(validateInterfaceName(ok), ok);
    }
    for (const bad of ['', 'x'.repeat(16), 'ü'.repeat(8), '.', '..', 'a/b', 'a:1', 'a b', 'a\nb', 'a\u0007', '-x', 'a\u00a0b', '\ud800']) {
      assert.strictEqual(code(() => validateInterfaceName(bad)), 'bad-interface-name', JSON.stringify(bad));
    }
  });

  it('parses addresses and CIDRs strictly, refusing forms ip would read differently', () => {
    assert.strictEqual(parseAddress('10.200.0.1').toString(), '10.200.0.1');
    assert.strictEqual(parseAddress('fd00::1').toString(), 'fd00::1');
    for (const bad of ['10.1', '010.0.0.1', '0x0a.0.0.1', 'fe80::1%eth0', '1.2.3.4 ', '', '::g']) {
      assert.strictEqual(code(() => parseAddress(bad)), 'bad-address', bad);
    }
    assert.strictEqual(cidrString(parseCidr('10.200.3.0/24')), '10.200.3.0/24');
    for (const bad of ['10.200.3.0', '10.200.3.0/33', '10.200.3.0/024', 'fd00::/129', '10.1/8', '/24', '10.0.0.0/']) {
      assert.strictEqual(code(() => parseCidr(bad)), 'bad-cidr', bad);
    }
  });

  it('wants a link subnet with room for two hosts and no host bits', () => {
    assert.strictEqual(cidrString(validateSubnet('10.200.4.0/30')), '10.200.4.0/30');
    assert.strictEqual(code(() => validateSubnet('10.200.4.0/31')), 'bad-cidr');
    assert.throws(() => validateSubnet('10.200.4.7/24'), /did you mean 10\.200\.4\.0\/24/);
    const [a, b] = hostAddresses(validateSubnet('fd00:200::/64'));
    assert.deepStrictEqual([cidrString(a), cidrString(b)], ['fd00:200::1/64', 'fd00:200::2/64']);
  });

  it('detects overlap in both directions and only within one family', () => {
    const p = parseCidr;
    assert.ok(cidrsOverlap(p('10.0.0.0/8'), p('10.200.1.1/24')));
    assert.ok(cidrsOverlap(p('10.200.1.1/24'), p('10.0.0.0/8')));
    assert.ok(!cidrsOverlap(p('10.200.1.0/24'), p('10.200.2.0/24')));
    assert.ok(!cidrsOverlap(p('10.0.0.0/8'), p('::/0')));
  });

  it('finds the first free subnet and says so when the range is full', () => {
    const used = [{ cidr: parseCidr('10.200.0.5/24'), where: 'eth0' }, { cidr: parseCidr('10.200.1.0/25'), where: 'x' }];
    assert.strictEqual(cidrString(findFreeSubnet(parseCidr('10.200.0.0/16'), 24, used)), '10.200.2.0/24');
    const full = [{ cidr: parseCidr('10.200.0.0/23'), where: 'x' }];
    assert.strictEqual(code(() => findFreeSubnet(parseCidr('10.200.0.0/23'), 24, full)), 'no-free-subnet');
    assert.strictEqual(code(() => findFreeSubnet(parseCidr('10.200.0.0/24'), 16, [])), 'bad-option');
  });

  it('echoes rejected input without control or bidi characters', () => {
    assert.strictEqual(shown('a\u202eb\nc\u0007'), '"a\\u202eb\\nc\\u0007"');
    assert.throws(() => validateNetnsName('x\u202e\n'), (e: Error) => !/[\u202e\n]/.test(e.message));
  });

  it('refuses work that needs a tool the host lacks', () => {
    assert.throws(() => requireTools({ ip: false }, ['ip']), /no `ip` command.*iproute2/);
    requireTools(undefined, ['ip']);
    requireTools({ ip: true }, ['ip']);
  });
});
