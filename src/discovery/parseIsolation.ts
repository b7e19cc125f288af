/**
 * The probe's @@isolation section: per container init, its capability sets, NoNewPrivs, seccomp, LSM label,
 * uid/gid maps and mountinfo ("PID KEY VALUE" lines, values escaped), and the host's bounding set. Pure.
 */
import type { ContainerInfo, HostFacts, IdMapEntry, MountEntry, ProcessSecurity } from '../model/snapshot';
import { unescapeProbeText } from './probeText';

export interface IsolationSection {
  host: Pick<HostFacts, 'capBnd' | 'capLastCap'>;
  byPid: Map<number, ProcessSecurity>;
}

/** mountinfo's octal escapes (`\\040` for a space, `\\012` for a newline, `\\134` for a backslash). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The probe's mount line: "ROOT MOUNTPOINT OPTIONS FSTYPE", fields as mountinfo escapes them. */
export function parseMountLine(line: string): MountEntry | undefined {
  const f = line.split(' ');
  if (f.length !== 4 || !f[0]!.startsWith('/') || !f[1]!.startsWith('/')) return undefined;
  return { root: unescapeMount(f[0]!), mountPoint: unescapeMount(f[1]!), options: f[2]!.split(','), fstype: f[3]! };
}

function idMap(line: string): IdMapEntry | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
  return m ? { inside: Number(m[1]), outside: Number(m[2]), count: Number(m[3]) } : undefined;
}

const HEX = /^[0-9a-f]{1,16}$/;

export function parseIsolationSection(lines: readonly string[]): IsolationSection {
  const out: IsolationSection = { host: {}, byPid: new Map() };
  for (const raw of lines) {
    const sp1 = raw.indexOf(' ');
    const sp2 = raw.indexOf(' ', sp1 + 1);
    if (sp1 < 0) continue;
    const who = raw.slice(0, sp1);
    const key = sp2 < 0 ? raw.slice(sp1 + 1) : raw.slice(sp1 + 1, sp2);
    const value = sp2 < 0 ? '' : unescapeProbeText(raw.slice(sp2 + 1));
    if (who === 'host') {
      if (key === 'capbnd' && HEX.test(value)) out.host.capBnd = value;
      if (key === 'lastcap' && /^\d+$/.test(value)) out.host.capLastCap = Number(value);
      continue;
    }
    if (!/^\d+$/.test(who)) continue;
    const pid = Number(who);
    let s = out.byPid.get(pid);
    if (!s) out.byPid.set(pid, (s = {}));
    switch (key) {
      case 'status': {
        const [k, v = ''] = value.split(' ');
        if (k === 'CapEff' && HEX.test(v)) s.capEff = v;
        else if (k === 'CapPrm' && HEX.test(v)) s.capPrm = v;
        else if (k === 'CapBnd' && HEX.test(v)) s.capBnd = v;
        else if (k === 'CapInh' && HEX.test(v)) s.capInh = v;
        else if (k === 'CapAmb' && HEX.test(v)) s.capAmb = v;
        else if (k === 'NoNewPrivs' && /^[01]$/.test(v)) s.noNewPrivs = v === '1';
        else if (k === 'Seccomp' && /^\d$/.test(v)) s.seccomp = Number(v);
        else if (k === 'Seccomp_filters' && /^\d+$/.test(v)) s.seccompFilters = Number(v);
        break;
      }
      case 'attr':
        // AppArmor ends the label with a newline; SELinux with a NUL.
        s.lsmLabel = value.replace(/\0+$/, '').trim();
        break;
      case 'uid_map':
      case 'gid_map': {
        const e = idMap(value);
        if (e) (key === 'uid_map' ? (s.uidMap ??= []) : (s.gidMap ??= [])).push(e);
        break;
      }
      case 'mnt': {
        const m = parseMountLine(value);
        if (m) (s.mounts ??= []).push(m);
        break;
      }
      case 'mnt-cut':
        if (/^\d+$/.test(value)) s.mountsTotal = Number(value);
        break;
    }
  }
  return out;
}

/** Gives each running container the security facts of its init, and the host its bounding set. */
export function attachIsolation(sec: IsolationSection, host: HostFacts, containers: ContainerInfo[]): void {
  if (sec.host.capBnd) host.capBnd = sec.host.capBnd;
  if (sec.host.capLastCap !== undefined) host.capLastCap = sec.host.capLastCap;
  for (const c of containers) {
    const s = c.pid !== undefined ? sec.byPid.get(c.pid) : undefined;
    if (s) c.security = s;
  }
}
