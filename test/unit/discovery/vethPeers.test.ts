// Veth pairing rules on synthetic ends (pure logic): the kernel's netns names decide; indexes alone pair
// only ends that are each other's only candidate; anything else stays unknown, never a guess.
import * as assert from 'assert';
import { parseIpJson, RawInterface, resolveVethPeers } from '../../../src/discovery/parseInterfaces';

const end = (ns: number, ifindex: number, name: string, peerIndex: number, peerNetnsid = 0, peerNetnsName?: string): RawInterface => ({
  info: { ns, ifindex, name, kind: 'veth', state: 'UP', addresses: [] },
  peerIndex,
  peerNetnsid,
  ...(peerNetnsName ? { peerNetnsName } : {}),
});

describe('veth peers', () => {
  it('reads the links and the netnsid names of one ip -batch (addr show, netns list-id)', () => {
    const text = [
      JSON.stringify([{ ifindex: 1, ifname: 'lo', link_type: 'loopback' }, { ifindex: 2, ifname: 'va', link_index: 2, link_netnsid: 0, linkinfo: { info_kind: 'veth' } }]),
      JSON.stringify([{ nsid: 0, name: 'b' }]),
    ].join('\n');
    const r = parseIpJson(10, text);
    assert.deepStrictEqual(r.map((x) => [x.info.name, x.peerIndex, x.peerNetnsName]), [['lo', undefined, undefined], ['va', 2, 'b']]);
    // One array alone (no named namespaces) reads as before.
    assert.strictEqual(parseIpJson(10, JSON.stringify([{ ifindex: 2, ifname: 'va', link_index: 2, link_netnsid: 0 }]))[0].peerNetnsName, undefined);
  });

  it('pairs by the kernel\u2019s names where indexes repeat, and leaves ambiguous ends unknown', () => {
    // a/va <-> b/vb and c/vc <-> d/vd, every end ifindex 2 with peer index 2.
    const withNames = [end(1, 2, 'va', 2, 0, 'b'), end(2, 2, 'vb', 2, 0, 'a'), end(3, 2, 'vc', 2, 0, 'd'), end(4, 2, 'vd', 2, 0, 'c')];
    const names = new Map([['a', 1], ['b', 2], ['c', 3], ['d', 4]]);
    const got = resolveVethPeers(withNames, names).map((i) => `${i.ns}/${i.name}->${i.peer ? i.peer.ns : '?'}`);
    assert.deepStrictEqual(got, ['1/va->2', '2/vb->1', '3/vc->4', '4/vd->3']);
    // The same ends without the kernel's names: every end has three candidates, so none is paired.
    const bare = [end(1, 2, 'va', 2), end(2, 2, 'vb', 2), end(3, 2, 'vc', 2), end(4, 2, 'vd', 2)];
    assert.deepStrictEqual(resolveVethPeers(bare).map((i) => i.peer), [undefined, undefined, undefined, undefined]);
  });

  it('pairs by indexes only ends that are each other\u2019s only candidate', () => {
    // x (idx 5 -> 7) has one candidate y (7 -> 5), but y has two (x and z): no pair for either.
    const x = end(1, 5, 'x', 7);
    const y = end(2, 7, 'y', 5);
    const z = end(3, 5, 'z', 7);
    const r = resolveVethPeers([x, y, z]);
    assert.deepStrictEqual(r.map((i) => i.peer), [undefined, undefined, undefined]);
    // Alone, x and y are each other's only candidate.
    const r2 = resolveVethPeers([end(1, 5, 'x', 7), end(2, 7, 'y', 5)]);
    assert.deepStrictEqual(r2.map((i) => i.peer), [{ ns: 2, ifindex: 7 }, { ns: 1, ifindex: 5 }]);
  });
});
