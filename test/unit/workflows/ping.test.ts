import * as assert from 'assert';
import { parsePingOutput } from '../../../src/workflows/ping';

const IPUTILS = `PING 10.200.2.2 (10.200.2.2) 56(84) bytes of data.
64 bytes from 10.200.2.2: icmp_seq=1 ttl=64 time=0.046 ms
64 bytes from 10.200.2.2: icmp_seq=2 ttl=64 time=0.061 ms
64 bytes from 10.200.2.2: icmp_seq=3 ttl=64 time=0.058 ms

--- 10.200.2.2 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 2041ms
rtt min/avg/max/mdev = 0.046/0.055/0.061/0.006 ms
`;

const BUSYBOX = `PING 127.0.0.1 (127.0.0.1): 56 data bytes
64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.109 ms
64 bytes from 127.0.0.1: seq=1 ttl=64 time=0.071 ms

--- 127.0.0.1 ping statistics ---
2 packets transmitted, 2 packets received, 0% packet loss
round-trip min/avg/max = 0.071/0.090/0.109 ms
`;

const LOSS = `PING 10.200.9.9 (10.200.9.9) 56(84) bytes of data.
From 10.200.9.1 icmp_seq=1 Destination Host Unreachable

--- 10.200.9.9 ping statistics ---
3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2050ms
`;

describe('ping output', () => {
  it('reads iputils statistics and every RTT', () => {
    assert.deepStrictEqual(parsePingOutput(IPUTILS), { sent: 3, received: 3, rtts: [0.046, 0.061, 0.058], lossPct: 0 });
  });
  it('reads busybox output', () => {
    assert.deepStrictEqual(parsePingOutput(BUSYBOX), { sent: 2, received: 2, rtts: [0.109, 0.071], lossPct: 0 });
  });
  it('reads total loss with errors', () => {
    assert.deepStrictEqual(parsePingOutput(LOSS), { sent: 3, received: 0, rtts: [], lossPct: 100 });
  });
  it('returns undefined when ping never got to statistics', () => {
    assert.strictEqual(parsePingOutput('ping: connect: Network is unreachable\n'), undefined);
    assert.strictEqual(parsePingOutput(''), undefined);
  });
});
