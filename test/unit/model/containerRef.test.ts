import * as assert from 'assert';
import type { ContainerInfo } from '../../../src/model/snapshot';
import { containerByRef } from '../../../src/model/queries';
import {
  ContainerRefError,
  containerRef,
  MIN_ID_PREFIX,
  resolveContainer,
  tryResolveContainer,
} from '../../../src/model/snapshotIndex';
import { fixtureSnapshot } from '../workflows/fakes';

function c(engine: ContainerInfo['engine'], id: string, name: string, extra: Partial<ContainerInfo> = {}): ContainerInfo {
  return { engine, id, name, image: 'img', state: 'running', pid: 100, ns: {}, sharedWithHost: [], ...extra };
}

const WEB = c('docker', '3f4e5a6b7c8d9e0f3f4e5a6b7c8d9e0f3f4e5a6b7c8d9e0f3f4e5a6b7c8d9e0f', 'web');
const DB = c('docker', '3f4e5a000000000000000000000000000000000000000000000000000000aaaa', 'db');
const PODWEB = c('podman', 'aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44', 'web');
const CTR = c('containerd', 'nginx-1', 'nginx-1', { engineNamespace: 'default' });
const LXC = c('lxc', 'box', 'box');
const NSPAWN = c('nspawn', 'box', 'box');
/** Someone else's container, named like the start of WEB's id. */
const SQUAT = c('podman', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '3f4e5a6b7c8d');

const snap = (...containers: ContainerInfo[]) => ({ containers });

function refused(fn: () => unknown, reason: 'unknown' | 'ambiguous', message: RegExp): ContainerRefError {
  let caught: ContainerRefError | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ContainerRefError, String(e));
    assert.strictEqual(e.reason, reason, e.message);
    assert.match(e.message, message);
    caught = e;
    return true;
  });
  return caught!;
}

describe('resolveContainer', () => {
  const all = snap(WEB, DB, PODWEB, CTR, LXC, NSPAWN);

  it('engine:id names exactly one container, whatever the names', () => {
    assert.strictEqual(resolveContainer(all, containerRef(WEB)), WEB);
    assert.strictEqual(resolveContainer(all, containerRef(PODWEB)), PODWEB);
    assert.strictEqual(resolveContainer(all, 'lxc:box'), LXC);
    assert.strictEqual(resolveContainer(all, 'nspawn:box'), NSPAWN);
    assert.strictEqual(resolveContainer(all, 'containerd:nginx-1'), CTR);
    assert.strictEqual(containerRef(WEB), `docker:${WEB.id}`);
  });

  it('engine:PREFIX takes an unambiguous hex id prefix of that engine only, and never a name', () => {
    assert.strictEqual(resolveContainer(all, 'docker:3f4e5a6b'), WEB);
    assert.strictEqual(resolveContainer(all, 'podman:aa11bb'), PODWEB);
    refused(() => resolveContainer(all, 'docker:3f4e5a'), 'ambiguous', /docker 3f4e5a6b7c8d "web", docker 3f4e5a000000 "db"/);
    refused(() => resolveContainer(all, 'docker:web'), 'unknown', /No container "docker:web"/);
    refused(() => resolveContainer(all, 'podman:3f4e5a6b'), 'unknown', /No container/);
  });

  it('a full id, a unique name or a unique hex id prefix of at least MIN_ID_PREFIX characters', () => {
    assert.strictEqual(MIN_ID_PREFIX, 6);
    assert.strictEqual(resolveContainer(all, WEB.id), WEB);
    assert.strictEqual(resolveContainer(all, 'db'), DB);
    assert.strictEqual(resolveContainer(all, 'nginx-1'), CTR);
    assert.strictEqual(resolveContainer(all, '3f4e5a6'), WEB);
    assert.strictEqual(resolveContainer(all, 'aa11bb'), PODWEB);
    refused(() => resolveContainer(all, 'aa11b'), 'unknown', /at least 6 characters/);
    // Prefixes are of hex ids: a containerd id chosen by hand is matched whole or not at all.
    refused(() => resolveContainer(all, 'nginx-'), 'unknown', /No container "nginx-"/);
    refused(() => resolveContainer(all, 'AA11BB'), 'unknown', /No container/);
  });

  it('a name that several containers have is an error listing each by engine, short id and name', () => {
    const e = refused(() => resolveContainer(all, 'web'), 'ambiguous', /^"web" matches 2 containers: docker 3f4e5a6b7c8d "web", podman aa11bb22cc33 "web"\. Name one as ENGINE:ID, e\.g\. docker:3f4e/);
    assert.deepStrictEqual(e.matches, [WEB, PODWEB]);
    refused(() => resolveContainer(all, 'box'), 'ambiguous', /lxc box "box", nspawn box "box"/);
  });

  it('an id prefix that several ids share is an error, however long', () => {
    refused(() => resolveContainer(all, '3f4e5a'), 'ambiguous', /matches 2 containers: docker 3f4e5a6b7c8d "web", docker 3f4e5a000000 "db"/);
  });

  it('a name that looks like another container\'s id (prefix) is never preferred to it, nor it to the name', () => {
    const squatted = snap(WEB, SQUAT);
    refused(() => resolveContainer(squatted, '3f4e5a6b7c8d'), 'ambiguous', /docker 3f4e5a6b7c8d "web", podman bbbbbbbbbbbb "3f4e5a6b7c8d"/);
    // A name equal to another's full id, too.
    const fullSquat = c('podman', 'cccccccccccccccc', WEB.id);
    refused(() => resolveContainer(snap(WEB, fullSquat), WEB.id), 'ambiguous', /2 containers/);
    // engine:id still names one.
    assert.strictEqual(resolveContainer(squatted, containerRef(WEB)), WEB);
    assert.strictEqual(resolveContainer(squatted, containerRef(SQUAT)), SQUAT);
  });

  it('the same engine:id twice (two containerd namespaces) is an error that says where each lives', () => {
    const a = c('containerd', 'job', 'job', { engineNamespace: 'default' });
    const b = c('containerd', 'job', 'job', { engineNamespace: 'k8s.io' });
    refused(() => resolveContainer(snap(a, b), 'containerd:job'), 'ambiguous', /containerd job "job" in default, containerd job "job" in k8s\.io/);
  });

  it('a container whose id is its name is one match, not two', () => {
    assert.strictEqual(resolveContainer(snap(LXC), 'box'), LXC);
  });

  it('tryResolveContainer and containerByRef do not throw', () => {
    const r = tryResolveContainer(all, 'web');
    assert.ok('error' in r && r.error.reason === 'ambiguous');
    assert.strictEqual(containerByRef(fixtureSnapshot(), 'web')?.name, 'web');
    assert.strictEqual(containerByRef(fixtureSnapshot(), 'nope'), undefined);
    assert.strictEqual(containerByRef({ ...fixtureSnapshot(), containers: [WEB, PODWEB] }, 'web'), undefined);
  });
});
