/**
 * Turns the probe's sectioned text (probe.sh) into a Snapshot. Pure: no I/O. Fed in chunks as the
 * output arrives, bounded in total size, tolerant of whatever a live /proc does mid-read (vanished PIDs,
 * reused PIDs, unreadable entries).
 */
import { StringDecoder } from 'string_decoder';
import {
  CommandTimeout,
  ContainerInfo,
  HostFacts,
  InterfaceInfo,
  NamespaceHolder,
  NamespaceInfo,
  NetnsInfo,
  NS_TYPES,
  NsMap,
  NsType,
  ProcessInfo,
  SNAPSHOT_SCHEMA_VERSION,
  Snapshot,
} from '../model/snapshot';
import { parseEngineSections, RawContainer } from './parseEngines';
import { PROBE_FORMAT_VERSION } from './probeScript';
import { Section, unescapeProbeText } from './probeText';
import { parseNetnsSection, RawInterface, resolveLinkParents, resolveVethPeers } from './parseInterfaces';
import { attachIsolation, parseIsolationSection } from './parseIsolation';

export const DEFAULT_MAX_PROBE_BYTES = 64 * 1024 * 1024;
/** The probe's first line: "@@nsx-probe FORMAT TOKEN" (probe.sh). */
const PROBE_HEADER = /^@@nsx-probe (\d+) ([0-9a-f-]{16,64})$/;
const MAX_ARG_CHARS = 256;
const MAX_CMDLINE_CHARS = 1024;

/** The kernel's fixed inode numbers of the initial namespaces (PROC_*_INIT_INO in proc_ns.h). */
const INIT_NS_INODES: NsMap = {
  ipc: 4026531839,
  uts: 4026531838,
  user: 4026531837,
  pid: 4026531836,
  cgroup: 4026531835,
  time: 4026531834,
};

export type { Section };

export interface ParseContext {
  /** Epoch ms when the probe started (HostFacts.takenAt). */
  takenAt?: number;
  /** Whether the exec ran through the privilege layer; uid 0 counts as privileged either way. */
  privileged?: boolean;
  /** Extra warnings from the transport (truncated output, exit code, stderr). */
  warnings?: string[];
  /** 'tree' for the snapshot taken at the probe's `@@tree-end` (no interfaces, no CLI details yet). */
  scope?: 'tree' | 'full';
  /** The output was cut short (overall budget, cancel): the snapshot is marked partial. */
  cutShort?: boolean;
}

/** Splits the stream into sections as chunks arrive; keeps at most maxBytes of input. */
export class ProbeStreamParser {
  private readonly decoder = new StringDecoder('utf8');
  private readonly sections: Section[] = [];
  private current: Section | undefined;
  private partial = '';
  private bytes = 0;
  private overflow = false;
  /** "@@TOKEN ": the marks of this run; until the header line names it, no line is a mark. */
  private mark: string | undefined;

  /**
   * @param onTreeEnd called once, with the sections read so far, when the probe says the tree's first
   * levels are complete (`@@tree-end`): processes, namespaces and containers, before interfaces.
   */
  constructor(
    private readonly maxBytes = DEFAULT_MAX_PROBE_BYTES,
    private readonly onTreeEnd?: (sections: Section[]) => void,
    /** Called once when the probe's last mark (`@@end`) arrives: its output is complete. */
    private readonly onEnd?: () => void,
    /** Called with each section's name as it starts (progress). */
    private readonly onSection?: (name: string) => void,
  ) {}

  get truncated(): boolean {
    return this.overflow;
  }

  feed(chunk: string | Buffer): void {
    if (this.overflow) {
      return;
    }
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (this.bytes + size > this.maxBytes) {
      this.overflow = true;
      return;
    }
    this.bytes += size;
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      this.line(line);
    }
  }

  private line(line: string): void {
    if (this.mark === undefined) {
      // The header is the probe's first line, printed before it reads anything a tenant could choose;
      // its token, from the host's random source, starts every later mark. Lines before it (a login
      // shell's noise) are nothing.
      const h = PROBE_HEADER.exec(line);
      if (h) {
        this.mark = `@@${h[2]} `;
        this.current = { name: 'nsx-probe', args: [h[1]], lines: [] };
        this.sections.push(this.current);
      }
      return;
    }
    if (line.startsWith(this.mark)) {
      const [name, ...args] = line.slice(this.mark.length).split(' ');
      this.current = { name, args, lines: [] };
      this.sections.push(this.current);
      this.onSection?.(name);
      if (name === 'tree-end' && this.onTreeEnd) {
        this.onTreeEnd([...this.sections]);
      } else if (name === 'end' && this.onEnd) {
        this.onEnd();
      }
    } else if (this.current) {
      // Anything else, a line that starts with "@@" included, is data of the current section.
      this.current.lines.push(line);
    }
  }

  /**
   * The sections read so far, flushing a last line without newline; a stream that was cut (stopped at
   * its budget, cancelled) drops that line instead, since it may be half a record.
   */
  finishSections(cut = false): Section[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest && !cut) {
      this.line(rest);
    }
    return this.sections;
  }

  finish(ctx: ParseContext = {}): Snapshot {
    const sections = this.finishSections();
    const warnings = [...(ctx.warnings ?? [])];
    if (this.overflow) {
      warnings.push(`The probe output exceeded ${this.maxBytes} bytes; the rest was ignored.`);
    }
    return buildSnapshot(sections, { ...ctx, warnings });
  }
}

/** Parses a complete probe output. */
export function parseProbeOutput(text: string, ctx: ParseContext = {}, maxBytes?: number): Snapshot {
  const parser = new ProbeStreamParser(maxBytes);
  parser.feed(text);
  return parser.finish(ctx);
}

interface ProcAcc {
  pid: number;
  status: boolean;
  start?: number;
  ppid: number;
  uid: number;
  comm: string;
  state?: string;
  nspid: number[];
  args: string[];
  cgroup?: string;
  cgroupV1?: string;
  ns: NsMap;
  uidMap: Array<{ inside: number; outside: number; count: number }>;
}

/** /proc/PID/status escapes the task name (\n, \\); undo it. */
export function unescapeStatusName(name: string): string {
  return name.replace(/\\(n|t|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function isNsType(s: string): s is NsType {
  return (NS_TYPES as readonly string[]).includes(s);
}

export function buildSnapshot(sections: Section[], ctx: ParseContext = {}): Snapshot {
  const warnings = [...(ctx.warnings ?? [])];
  const procs = new Map<number, ProcAcc>();
  const proc = (pid: number): ProcAcc => {
    let p = procs.get(pid);
    if (!p) {
      p = { pid, status: false, ppid: 0, uid: -1, comm: '', nspid: [], args: [], ns: {}, uidMap: [] };
      procs.set(pid, p);
    }
    return p;
  };
  const hostKv = new Map<string, string>();
  const nsfs: Array<{ type: NsType; inode: number; path: string }> = [];
  const sysnet = new Map<string, { ifindex?: number; iflink?: number }>();
  const lsns: Array<{ ns: number; type: string; nprocs?: number; pid?: number; pns?: number; ons?: number }> = [];
  let ipmode = 'json';
  let endUptime: number | undefined;
  let treeEndUptime: number | undefined;
  let sawVersion = false;
  const rawIfaces: RawInterface[] = [];
  const enginePids = new Set<number>();
  const falseEngines = new Map<number, string>();
  const timeouts: CommandTimeout[] = [];
  let ipSkipped = 0;

  for (const sec of sections) {
    switch (sec.name) {
      case 'nsx-probe':
        sawVersion = true;
        if (sec.args[0] !== String(PROBE_FORMAT_VERSION)) {
          warnings.push(`Unknown probe format ${sec.args[0] ?? '?'}; the snapshot may be incomplete.`);
        }
        break;
      case 'host':
        for (const l of sec.lines) {
          const eq = l.indexOf('=');
          if (eq > 0) {
            hostKv.set(l.slice(0, eq), l.slice(eq + 1));
          }
        }
        break;
      case 'files':
        // Escaped by the probe (probeText); paths there hold no "%".
        for (const l of sec.lines) {
          parseFileLine(unescapeProbeText(l), proc, nsfs, sysnet);
        }
        break;
      case 'files-raw':
        // Without awk: grep's lines, each after its /proc or /sys path, as read.
        for (const l of sec.lines) {
          parseFileLine(l, proc, nsfs, sysnet);
        }
        break;
      case 'engine-procs':
        // "PID ok" for each process the probe verified as root's own engine process; "PID exe", "PID ctrl"
        // or "PID uids R E S F" for one that only looks like one.
        for (const l of sec.lines) {
          const [pid, verdict, ...rest] = l.split(' ');
          if (!/^\d+$/.test(pid)) {
            continue;
          }
          if (verdict === 'ok') {
            enginePids.add(Number(pid));
          } else {
            falseEngines.set(
              Number(pid),
              verdict === 'exe'
                ? 'its executable is not a root-owned file that only root can write'
                : verdict === 'ctrl'
                  ? 'an argument of its command line holds a control character, which no engine that root runs takes'
                  : `it runs as uid ${rest[0] ?? '?'}, not as root in the host's namespaces`,
            );
          }
        }
        break;
      case 'nsp':
        // "PID NET PID MNT UTS IPC USER CGROUP TIME" ("-": not read)
        for (const l of sec.lines) {
          const f = l.split(' ');
          if (f.length !== 9 || !/^\d+$/.test(f[0])) {
            continue;
          }
          const p = proc(Number(f[0]));
          NS_TYPES.forEach((t, i) => {
            if (/^\d+$/.test(f[i + 1])) {
              p.ns[t] = Number(f[i + 1]);
            }
          });
        }
        break;
      case 'args':
      case 'cmdline': {
        // args: "PID:ARG", ARG escaped; cmdline (without awk): "/proc/PID/cmdline:ARG" as read. Where the
        // command lines came through grep -z and tr (cmdline, and args with Z 0), a newline inside ARG
        // arrived as \037.
        const re = sec.name === 'args' ? /^(\d+):(.*)$/s : /^\/proc\/(\d+)\/cmdline:(.*)$/s;
        const escaped = sec.name === 'args';
        const viaTr = sec.name === 'cmdline' || sec.args[0] === '0';
        for (const l of sec.lines) {
          const m = re.exec(l);
          if (m) {
            let a = escaped ? unescapeProbeText(m[2]) : m[2];
            if (viaTr) {
              a = a.split('\x1f').join('\n');
            }
            proc(Number(m[1])).args.push(a.slice(0, MAX_ARG_CHARS));
          }
        }
        break;
      }
      case 'procs':
        // "PID<tab>NAME<tab>STATE<tab>PPID<tab>UIDS<tab>NSPID...<tab>START[<tab>CGROUP LINE]", NAME and
        // CGROUP escaped (a tab in either is %09, never a field of its own).
        for (const l of sec.lines) {
          const f = l.split('\t');
          if (f.length < 7 || f.length > 8 || !/^\d+$/.test(f[0])) {
            continue;
          }
          const p = proc(Number(f[0]));
          p.status = true;
          p.comm = unescapeStatusName(unescapeProbeText(f[1]));
          if (f[2]) {
            p.state = f[2];
          }
          p.ppid = Number(f[3]) || 0;
          const uid = f[4].split(' ')[0];
          p.uid = /^\d+$/.test(uid) ? Number(uid) : -1;
          p.nspid = f[5].split(' ').filter(Boolean).map(Number);
          if (/^\d+$/.test(f[6])) {
            p.start = Number(f[6]);
          }
          if (f.length > 7) {
            cgroupLine(p, unescapeProbeText(f[7]));
          }
        }
        break;
      case 'ns':
        for (const l of sec.lines) {
          const m = /^\/proc\/(\d+)\/ns\/(\w+) (\d+)$/.exec(l);
          if (m && isNsType(m[2])) {
            proc(Number(m[1])).ns[m[2]] = Number(m[3]);
          }
        }
        break;
      case 'lsns':
        parseLsns(sec.lines.join('\n'), lsns, warnings);
        break;
      case 'ipmode':
        ipmode = sec.args[0] ?? 'json';
        break;
      case 'netns':
      case 'netns-addr':
      case 'netns-dev':
        rawIfaces.push(...parseNetnsSection(sec, ipmode));
        break;
      case 'warn':
        warnings.push(sec.args.join(' '));
        break;
      case 'ip-skipped': {
        const skipped = Number(sec.args[0]);
        if (Number.isInteger(skipped) && skipped > 0) {
          ipSkipped += skipped;
          warnings.push(`ip did not answer twice, so the interfaces of ${skipped} more network namespace${skipped === 1 ? '' : 's'} were not read.`);
        }
        break;
      }
      case 'timeout': {
        const t = parseTimeoutMark(sec.args);
        if (t) {
          timeouts.push(t);
          warnings.push(timeoutWarning(t));
        }
        break;
      }
      case 'tree-end':
        treeEndUptime = Number(sec.args[0]);
        break;
      case 'end':
        endUptime = Number(sec.args[0]);
        break;
      default:
        break;
    }
  }
  if (!sawVersion) {
    warnings.push('The probe output has no header: the probe did not run (is sh available?).');
  }

  const shellPid = Number(hostKv.get('shellpid') ?? NaN);
  // The probe's own shell and everything below it (its jobs and their commands) are transient.
  const probeOwn = (p: ProcAcc): boolean => {
    let cur: ProcAcc | undefined = p;
    for (let hops = 0; cur && hops < 64; hops++) {
      if (cur.pid === shellPid || cur.ppid === shellPid) {
        return true;
      }
      cur = cur.ppid > 1 ? procs.get(cur.ppid) : undefined;
    }
    return false;
  };
  // Kernel threads (host line kthreads=PID ...): the probe read only their mnt link; they share kthreadd's
  // other namespaces. A listed PID that is no longer kthreadd's child keeps what was read.
  const kthreadd = procs.get(2);
  if (kthreadd) {
    for (const pid of (hostKv.get('kthreads') ?? '').split(' ')) {
      const p = procs.get(Number(pid));
      if (p && p.status && p.ppid === 2 && p !== kthreadd) {
        p.ns = { ...kthreadd.ns, ...p.ns };
      }
    }
  }
  // A uid map belongs to a user namespace; the probe reads it for one process of each.
  const uidMaps = new Map<number, ProcAcc['uidMap']>();
  for (const p of procs.values()) {
    if (p.uidMap.length && p.ns.user !== undefined && !uidMaps.has(p.ns.user)) {
      uidMaps.set(p.ns.user, p.uidMap);
    }
  }
  for (const p of procs.values()) {
    if (p.uidMap.length === 0 && p.ns.user !== undefined) {
      p.uidMap = uidMaps.get(p.ns.user) ?? [];
    }
  }
  // Processes: only those whose status was read exist.
  const processes: ProcessInfo[] = [];
  let unreadableNs = 0;
  for (const p of [...procs.values()].sort((a, b) => a.pid - b.pid)) {
    if (!p.status || probeOwn(p)) {
      continue;
    }
    const cmdline = p.args.join(' ');
    const info: ProcessInfo = {
      pid: p.pid,
      ppid: p.ppid,
      uid: p.uid,
      comm: p.comm,
      cmdline: cmdline.length > MAX_CMDLINE_CHARS ? cmdline.slice(0, MAX_CMDLINE_CHARS) : cmdline,
      nspid: p.nspid.length ? p.nspid : [p.pid],
      ns: p.ns,
    };
    if (p.state) {
      info.state = p.state;
    }
    if (p.start !== undefined) {
      info.start = p.start;
    }
    const cg = p.cgroup ?? p.cgroupV1;
    if (cg !== undefined) {
      info.cgroup = cg;
    }
    if (p.args.length === 0 && (p.ppid === 2 || p.pid === 2)) {
      info.kernelThread = true;
    }
    const identity = p.uidMap.length === 1 && p.uidMap[0].inside === 0 && p.uidMap[0].outside === 0 && p.uidMap[0].count === 4294967295;
    if (p.uidMap.length && !identity) {
      info.uidMap = p.uidMap;
    }
    if (Object.keys(p.ns).length === 0) {
      unreadableNs++;
    }
    processes.push(info);
  }
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const shellUid = procs.get(shellPid)?.uid;
  const uid = shellUid !== undefined && shellUid >= 0 ? shellUid : Number(hostKv.get('uid') ?? -1);
  const privileged = uid === 0;
  const tools = new Set((hostKv.get('tools') ?? '').split(' ').filter(Boolean));

  // Initial namespaces: those of PID 1; kthreadd (PID 2) when PID 1 is unreadable; the kernel's fixed
  // inodes for the rest.
  const initial: NsMap = {};
  const pid2 = byPid.get(2);
  const initSources = [byPid.get(1)?.ns ?? {}, pid2 && pid2.comm === 'kthreadd' ? pid2.ns : {}, INIT_NS_INODES];
  for (const t of NS_TYPES) {
    for (const src of initSources) {
      if (src[t] !== undefined) {
        initial[t] = src[t];
        break;
      }
    }
  }

  const engines = parseEngineSections(sections, processes, enginePids);
  warnings.push(...engines.warnings);
  for (const [pid, why] of falseEngines) {
    const p = byPid.get(pid);
    if (p) {
      warnings.push(`Process ${pid} (${p.comm}) looks like a container engine's process, but ${why}: it is shown as an ordinary process, and no container is taken from it.`);
    }
  }
  const containers = engines.containers.map((c) => finishContainer(c, byPid, initial));
  computeSharing(containers);

  // Namespaces
  const nsById = new Map<string, NamespaceInfo>();
  const ns = (type: NsType, inode: number): NamespaceInfo => {
    const key = `${type}:${inode}`;
    let n = nsById.get(key);
    if (!n) {
      n = { type, inode, holders: [], pids: [], nsfsPaths: [], initial: initial[type] === inode };
      nsById.set(key, n);
    }
    return n;
  };
  for (const p of processes) {
    for (const t of NS_TYPES) {
      const inode = p.ns[t];
      if (inode !== undefined) {
        ns(t, inode).pids.push(p.pid);
      }
    }
  }
  const netns: NetnsInfo[] = [];
  for (const m of nsfs) {
    const n = ns(m.type, m.inode);
    if (!n.nsfsPaths.includes(m.path)) {
      n.nsfsPaths.push(m.path);
    }
    const named = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(m.path);
    if (m.type === 'net' && named && !netns.some((x) => x.name === named[1])) {
      netns.push({ name: named[1], path: m.path, inode: m.inode });
    }
  }
  for (const l of lsns) {
    if (!isNsType(l.type) || !l.ns) {
      continue;
    }
    const n = ns(l.type, l.ns);
    if (l.pns) {
      n.parent = l.pns;
    }
    if (l.ons) {
      n.owner = l.ons;
    }
  }
  for (const n of nsById.values()) {
    n.holders = holdersOf(n, containers, netns, byPid);
  }
  const namespaces = [...nsById.values()].sort((a, b) => NS_TYPES.indexOf(a.type) - NS_TYPES.indexOf(b.type) || a.inode - b.inode);

  // Interfaces: the probe's own netns gets sysfs ifindex/iflink when ip gave no peer index.
  const selfNet = Number(sections.find((s) => s.name === 'netns' && s.args[1] === '-')?.args[0] ?? NaN);
  for (const r of rawIfaces) {
    const sys = sysnet.get(r.info.name);
    if (r.info.ns === selfNet && sys?.iflink !== undefined && sys.ifindex === r.info.ifindex && r.peerIndex === undefined && sys.iflink !== sys.ifindex) {
      r.peerIndex = sys.iflink;
    }
  }
  const interfaces: InterfaceInfo[] = resolveVethPeers(rawIfaces, new Map(netns.map((n) => [n.name, n.inode])));
  resolveLinkParents(rawIfaces);

  if (!privileged) {
    warnings.push('The probe did not run as root: namespaces and containers of other users are hidden. Connect with sudo for the full picture.');
  }
  if (unreadableNs > 0) {
    warnings.push(`${unreadableNs} process${unreadableNs === 1 ? '' : 'es'} had unreadable namespace links (permission or exited).`);
  }
  if (sawVersion && !tools.has('lsns')) {
    warnings.push('lsns is not installed (util-linux): parent and owner namespaces are unknown.');
  }
  if (ipmode === 'text') {
    warnings.push('ip has no JSON output (busybox or old iproute2): interface details and veth peers are partial.');
  } else if (ipmode === 'proc') {
    warnings.push('No ip command: interfaces come from /proc only, without IPv4 addresses or veth peers.');
  }
  if (sawVersion && !tools.has('nsenter')) {
    warnings.push('nsenter is not installed: only the probe\'s own network namespace was read.');
  }
  if (sawVersion && ipmode !== 'json' && !tools.has('lsns')) {
    warnings.push('The host seems to offer busybox tools only (no lsns, no ip JSON): the snapshot is partial.');
  }
  const up0 = Number(hostKv.get('uptime0'));
  // A probe of scope full whose output stops after the tree part (the onTree snapshot, a cut stream)
  // holds only the tree part too.
  const partial = treeEndUptime !== undefined && endUptime === undefined;
  const scope = ctx.scope ?? (hostKv.get('scope') === 'tree' || partial ? 'tree' : 'full');
  const upEnd = scope === 'tree' ? treeEndUptime ?? endUptime : endUptime;
  const probeMs = upEnd !== undefined && Number.isFinite(up0) && Number.isFinite(upEnd) ? Math.round((upEnd - up0) * 1000) : 0;

  const host: HostFacts = {
    hostname: hostKv.get('hostname') ?? '',
    kernel: hostKv.get('kernel') ?? '',
    uid,
    privileged: privileged || (ctx.privileged === true && uid === 0),
    probeMs,
    scope,
    takenAt: ctx.takenAt ?? Date.now(),
    warnings,
    ...(timeouts.length ? { timeouts } : {}),
    ...(timeouts.length || ipSkipped || ctx.cutShort ? { partial: true } : {}),
  };
  // Per container init: capabilities, seccomp, LSM label, id maps, mountinfo (the isolation report).
  const isolation = sections.find((x) => x.name === 'isolation');
  if (isolation) attachIsolation(parseIsolationSection(isolation.lines), host, containers);
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    host,
    processes,
    namespaces,
    containers,
    netns,
    interfaces,
  };
}

function parseFileLine(
  l: string,
  proc: (pid: number) => ProcAcc,
  nsfs: Array<{ type: NsType; inode: number; path: string }>,
  sysnet: Map<string, { ifindex?: number; iflink?: number }>,
): void {
  const m = /^\/proc\/(\d+)\/(status|uid_map|cgroup|mountinfo):(.*)$/.exec(l);
  if (!m) {
    const s = /^\/sys\/class\/net\/([^/]+)\/(ifindex|iflink):(\d+)$/.exec(l);
    if (s) {
      const e = sysnet.get(s[1]) ?? {};
      e[s[2] as 'ifindex' | 'iflink'] = Number(s[3]);
      sysnet.set(s[1], e);
    }
    return;
  }
  const pid = Number(m[1]);
  const body = m[3];
  switch (m[2]) {
    case 'status': {
      const p = proc(pid);
      const colon = body.indexOf(':');
      const key = body.slice(0, colon);
      const val = body.slice(colon + 1).replace(/^\t/, '');
      if (key === 'Name') {
        p.status = true;
        p.comm = unescapeStatusName(val);
      } else if (key === 'State') {
        p.state = val.split(' ')[0];
      } else if (key === 'PPid') {
        p.ppid = Number(val);
      } else if (key === 'Uid') {
        p.uid = Number(val.split('\t')[0]);
      } else if (key === 'NSpid') {
        p.nspid = val.split('\t').filter(Boolean).map(Number);
      }
      break;
    }
    case 'uid_map': {
      const f = body.trim().split(/\s+/).map(Number);
      if (f.length === 3 && f.every(Number.isFinite)) {
        proc(pid).uidMap.push({ inside: f[0], outside: f[1], count: f[2] });
      }
      break;
    }
    case 'cgroup':
      cgroupLine(proc(pid), body);
      break;
    case 'mountinfo': {
      // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS... - FSTYPE SOURCE SUPER
      const dash = body.indexOf(' - ');
      if (dash < 0 || !body.slice(dash + 3).startsWith('nsfs ')) {
        return;
      }
      const f = body.slice(0, dash).split(' ');
      const root = /^(\w+):\[(\d+)\]$/.exec(f[3] ?? '');
      if (root && isNsType(root[1])) {
        nsfs.push({ type: root[1], inode: Number(root[2]), path: unescapeMountField(f[4] ?? '') });
      }
      break;
    }
  }
}

/** The cgroup v2 line (`0::PATH`) wins; else the first v1 line. */
function cgroupLine(p: ProcAcc, line: string): void {
  if (line.startsWith('0::')) {
    p.cgroup ??= line.slice(3);
  } else {
    p.cgroupV1 ??= line;
  }
}

function parseLsns(
  text: string,
  out: Array<{ ns: number; type: string; nprocs?: number; pid?: number; pns?: number; ons?: number }>,
  warnings: string[],
): void {
  if (!text.trim()) {
    // lsns failed; the probe's own warning says so.
    return;
  }
  try {
    const j = JSON.parse(text) as { namespaces?: Array<Record<string, unknown>> };
    for (const n of j.namespaces ?? []) {
      const num = (v: unknown): number | undefined => (v === null || v === undefined || v === '' ? undefined : Number(v));
      out.push({ ns: num(n.ns) ?? 0, type: String(n.type), nprocs: num(n.nprocs), pid: num(n.pid), pns: num(n.pns), ons: num(n.ons) });
    }
  } catch {
    warnings.push('lsns printed output that is not JSON; parent and owner namespaces are unknown.');
  }
}

function finishContainer(raw: RawContainer, byPid: Map<number, ProcessInfo>, initial: NsMap): ContainerInfo {
  const { info } = raw;
  const p = info.pid !== undefined ? byPid.get(info.pid) : undefined;
  if (info.pid !== undefined && !p) {
    // The init process is gone or unreadable: keep the container, without namespaces.
    info.ns = {};
  } else if (p) {
    info.ns = { ...p.ns };
  }
  info.sharedWithHost = NS_TYPES.filter((t) => info.ns[t] !== undefined && info.ns[t] === initial[t]);
  return info;
}

function computeSharing(containers: ContainerInfo[]): void {
  for (const c of containers) {
    const shared: Partial<Record<NsType, string[]>> = {};
    for (const t of NS_TYPES) {
      const inode = c.ns[t];
      if (inode === undefined || c.sharedWithHost.includes(t)) {
        continue;
      }
      const others = containers.filter((o) => o !== c && o.ns[t] === inode).map((o) => o.name);
      if (others.length) {
        shared[t] = others;
      }
    }
    if (Object.keys(shared).length) {
      c.sharedWith = shared;
    }
  }
}

function holdersOf(n: NamespaceInfo, containers: ContainerInfo[], netns: NetnsInfo[], byPid: Map<number, ProcessInfo>): NamespaceHolder[] {
  if (n.initial) {
    return [{ kind: 'host', name: 'host' }];
  }
  const holders: NamespaceHolder[] = [];
  for (const c of containers) {
    if (c.ns[n.type] === n.inode) {
      holders.push({ kind: 'container', name: c.name, ref: c.id });
    }
  }
  if (n.type === 'net') {
    for (const x of netns) {
      if (x.inode === n.inode) {
        holders.push({ kind: 'netns', name: x.name, ref: x.path });
      }
    }
  }
  if (holders.length === 0 && n.pids.length) {
    const first = byPid.get(Math.min(...n.pids));
    if (first) {
      holders.push({ kind: 'process', name: first.comm, ref: String(first.pid) });
    }
  }
  return holders;
}

const TIMED_COMMANDS = new Set(['docker', 'podman', 'ctr', 'nerdctl', 'crictl', 'lsns', 'ip']);

/** `@@TOKEN timeout COMMAND SECONDS [TARGET]`: only the probe's own command names and plain targets. */
function parseTimeoutMark(args: readonly string[]): CommandTimeout | undefined {
  const [command, secs, target] = args;
  const seconds = Number(secs);
  if (!TIMED_COMMANDS.has(command) || !Number.isInteger(seconds) || seconds <= 0) {
    return undefined;
  }
  return target && /^[A-Za-z0-9_./:@+-]{1,512}$/.test(target) ? { command, seconds, target } : { command, seconds };
}

/** What a stopped command costs the snapshot, in the words the UI and the CLI show. */
export function timeoutWarning(t: CommandTimeout): string {
  const after = `did not answer in ${t.seconds} s`;
  switch (t.command) {
    case 'docker':
      return `docker on ${t.target ?? 'its socket'} ${after}: the containers only its CLI knows are missing.`;
    case 'podman':
      return `podman ${after} for the store ${t.target ?? '?'}: containers from its state files only.`;
    case 'ctr':
    case 'nerdctl':
      return `${t.command} on ${t.target ?? 'containerd'} ${after}: containerd's containers come from its task bundles only.`;
    case 'crictl':
      return `crictl ${after}: no pods or CRI details from the runtime.`;
    case 'lsns':
      return `lsns ${after}: parent and owner namespaces are unknown.`;
    default:
      return `ip ${after} in network namespace ${t.target ?? '?'}: its interfaces are missing.`;
  }
}
