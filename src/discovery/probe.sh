#!/bin/sh
# nsx probe, format 2. Source of PROBE_SCRIPT in probeScript.ts (regenerate with
# NSX_UPDATE_PROBE=1 npx mocha out/test/unit/discovery/probeScript.test.js); see that file for the format.
# Every process started costs milliseconds (more on small VMs), so each kind of data is read by one
# command for all PIDs, and forks (command substitutions, pipelines, background jobs) are few.
# Output up to `@@tree-end` is what the tree's first levels need (processes, namespaces, containers from
# the engines' own state files); interfaces and the engine CLIs' details follow in scope full.
export LC_ALL=C
[ -n "$NSX_KEEP_PATH" ] || PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
say() { printf '%s\n' "$*"; }
# Every mark is "@@TOKEN NAME ARGS": the token is read from the kernel's random source here, so no
# process, file or interface name (all printed escaped, see esc() below) can forge a mark.
tk=
{ read -r tk </proc/sys/kernel/random/uuid; } 2>/dev/null
case $tk in *[!0-9a-f-]*|'') tk=$(od -An -N16 -tx1 /dev/urandom 2>/dev/null | tr -dc 0-9a-f) ;; esac
[ -n "$tk" ] || { printf 'nsx probe: no random source for its marks\n' >&2; exit 70; }
M="@@$tk "
warn() { printf '%swarn %s\n' "$M" "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
nl='
'
oifs0=$IFS
us=
extra_docker=
scope=full
cli_cache=
known_paths=
while [ $# -gt 0 ]; do
  case $1 in
    --docker-socket) extra_docker="$extra_docker $2"; shift 2 ;;
    --scope) scope=$2; shift 2 ;;
    --cli-cache) cli_cache=$2; shift 2 ;;
    # Paths an earlier run found root's own ("PATH|TYPE ..."): root alone can change such a path.
    --known-paths) known_paths=$2; shift 2 ;;
    # The unit separator (\037), passed by the caller: $(printf) would cost a fork.
    --us) us=$2; shift 2 ;;
    # Time budgets in seconds (see bound below): each engine CLI call, lsns, each ip call.
    --budget-cli) bcli=$2; shift 2 ;;
    --budget-lsns) blsns=$2; shift 2 ;;
    --budget-ip) bip=$2; shift 2 ;;
    *) shift ;;
  esac
done
case $bcli in ''|*[!0-9]*) bcli=5 ;; esac
case $blsns in ''|*[!0-9]*) blsns=5 ;; esac
case $bip in ''|*[!0-9]*) bip=3 ;; esac
[ "$bcli" -ge 1 ] && [ "$bcli" -le 600 ] || bcli=5
[ "$blsns" -ge 1 ] && [ "$blsns" -le 600 ] || blsns=5
[ "$bip" -ge 1 ] && [ "$bip" -le 600 ] || bip=3
[ -n "$us" ] || us=$(printf '\037')
self=$$

read up0 _ </proc/uptime
say "@@nsx-probe 2 $tk"
say "${M}host"
read h </proc/sys/kernel/hostname; say "hostname=$h"
read k </proc/sys/kernel/osrelease; say "kernel=$k"
say "uptime0=$up0"
say "shellpid=$self"
say "scope=$scope"
tools=
for x in lsns ip nsenter stat awk docker podman ctr crictl nerdctl timeout; do
  have $x && tools="$tools $x"
done
say "tools=$tools"

# ------------------------------------------------------------------------------------ time budgets
# A command that asks a daemon (the engine CLIs) or may wait on the kernel (lsns, ip) runs under a
# budget: `bound SECS CMD ARGS` runs CMD for at most SECS seconds, then TERMs it (KILLs it a second
# later) and returns 124; the caller prints a timeout mark naming the command and the budget. timeout(1)
# where the host has it: GNU's --foreground keeps CMD in the probe's process group, so the orphan
# guard's kill of that group (a cancelled refresh, a dropped session) takes CMD too; busybox's stays in
# the group anyway. Without timeout(1), the probe's own watchdog (wd_run).
tmo=
bound() {
  [ -n "$tmo" ] || tmo_detect
  case $tmo in
    gnu) timeout --foreground -k 1 "$@" ;;
    bb) timeout -k 1 "$@"; br=$?; [ $br = 143 ] && br=124; return $br ;;
    *) wd_run "$@" ;;
  esac
}
tmo_detect() {
  tmo=none
  have timeout || return 0
  if timeout --foreground 5 true 2>/dev/null; then tmo=gnu; elif timeout -k 1 5 true 2>/dev/null; then tmo=bb; fi
}
# A watchdog: TERMs PID $2 after $1 seconds, KILLs it a second later; TERM stops the watchdog and its
# sleep at once (wait, unlike a foreground sleep, is interrupted by the trap).
wd_watch() {
  trap 'kill $sp 2>/dev/null; exit 0' TERM
  sleep "$1" & sp=$!; wait $sp
  kill -TERM "$2" 2>/dev/null
  sleep 1 & sp=$!; wait $sp
  kill -KILL "$2" 2>/dev/null
}
wd_run() {
  wb=$1; shift
  "$@" &
  wc=$!
  wd_watch "$wb" "$wc" &
  ww=$!
  wait "$wc"; wr=$?
  kill "$ww" 2>/dev/null; wait "$ww" 2>/dev/null
  case $wr in 137|143) wr=124 ;; esac
  return $wr
}
# The interfaces need one ip call per network namespace, and timeout(1) costs a process start each (70 %
# of an ip call, measured): one watchdog watches them all instead. Once a second it reads the children of
# the shell whose PID is $1 and TERMs each that has run for $2 seconds or more (by its start time, so a
# reused PID starts afresh); the ip call sees status 143 and prints the timeout mark.
nets_watch() {
  trap 'kill $sp 2>/dev/null; exit 0' TERM
  read -r nwme _ </proc/self/stat
  nwlim=$(($2 * 100))
  while kill -0 "$1" 2>/dev/null; do
    sleep 1 & sp=$!; wait $sp
    read -r nwup _ </proc/uptime
    nwup=${nwup%.*}${nwup#*.}
    nwkids=
    { read -r nwkids </proc/$1/task/$1/children; } 2>/dev/null
    for c in $nwkids; do
      [ "$c" = "$nwme" ] && continue
      { read -r st </proc/$c/stat; } 2>/dev/null || continue
      st=${st##*) }
      set -f; set -- "$1" "$2" $st; set +f
      [ $# -ge 22 ] || continue
      nwst=${22}
      [ $((nwup - nwst)) -ge $nwlim ] && kill -TERM "$c" 2>/dev/null
    done
  done
}

# ---------------------------------------------------------------------------------------- base jobs
job_lsns() {
  have lsns || return 0
  say "${M}lsns"
  bound "$blsns" lsns -J -o NS,TYPE,PATH,NPROCS,PID,PNS,ONS 2>/dev/null; r=$?
  [ $r = 0 ] && return 0
  [ $r = 124 ] || { bound "$blsns" lsns -J -o NS,TYPE,NPROCS,PID 2>/dev/null; r=$?; }
  case $r in
    0) ;;
    124) say "${M}timeout lsns $blsns" ;;
    *) warn "lsns failed: parent and owner namespaces are unknown" ;;
  esac
}

# ------------------------------------------------------------------------ interfaces (scope full)
# Without awk (which lists them in job_procs): one representative per distinct network namespace inode,
# the probe's own ("-") first, nsfs mounts next (they outlive pids; mount points with escapes such as
# spaces cannot be passed on), then one process of each other.
nets_list() {
  me= cands= mounts= seen=' '
  while read -r f i; do
    case $f in
      /proc/$self/ns/net) me=$i ;;
      /proc/*/ns/net) cands="$cands$i $f$nl" ;;
    esac
  done <<NSX_EOF
$(stat -L -c '%n %i' /proc/$self/ns/net /proc/[0-9]*/ns/net 2>/dev/null)
NSX_EOF
  while read -r _ _ _ root mp _; do
    case $root in net:\[*\]) i=${root#net:[}; mounts="$mounts${i%]} $mp$nl" ;; esac
  done </proc/$self/mountinfo
  while read -r ino p; do
    [ -n "$ino" ] || continue
    case $seen in *" $ino "*) continue ;; esac
    case $p in *\\*) continue ;; esac
    seen="$seen$ino "
    say "$ino $p"
  done <<NSX_EOF
$me -
$mounts$cands
NSX_EOF
}
job_nets() {
  # iproute2's -n NAME opens /var/run/netns/NAME and switches to it inside the one ip process, where
  # nsenter + ip cost two process starts; any other nsfs path is reached from that directory by "..".
  ipn=
  [ -d /var/run/netns ] && ipn=1
  # With named namespaces, the same ip process also lists the netnsids it knows by name
  # (`netns list-id`): the kernel's word on which named namespace a veth's peer is in.
  ipbatch="addr show${nl}netns list-id"
  ipmode=json first=1
  [ -n "$nets" ] || nets=$(nets_list)
  read -r njme _ </proc/self/stat
  nets_watch "$njme" "$bip" </dev/null >/dev/null 2>&1 &
  njw=$!
  # An ip that hung twice hangs on the host's netlink, not in one namespace: the rest are skipped.
  iphung=0 ipskip=0
  while read -r ino p; do
    [ -n "$ino" ] || continue
    [ $iphung -lt 2 ] || { ipskip=$((ipskip + 1)); continue; }
    say "${M}netns $ino $p"
    if [ -n "$first" ]; then
      # The first namespace (normally the probe's own, "-") tells what ip can do: JSON (iproute2 4.13
      # and later), one-line text (older iproute2, busybox), or nothing (no ip: /proc/net only).
      first=
      if [ -n "$ipn" ]; then inns "$p" ip -force -j -d -batch - 2>/dev/null <<NSX_IPB
$ipbatch
NSX_IPB
      else inns "$p" ip -j -d addr show 2>/dev/null; fi; r=$?
      [ $r = 0 ] && continue
      [ $r = 143 ] && { say "${M}timeout ip $bip $ino"; iphung=$((iphung + 1)); continue; }
      if ip -o link show >/dev/null 2>&1; then ipmode=text; else ipmode=proc; fi
      say "${M}ipmode $ipmode"
      say "${M}netns $ino $p"
    fi
    # Status 143: nets_watch ended the call; no second try in that namespace.
    r=1
    case $ipmode in
      json) if [ -n "$ipn" ]; then
              case $p in /run/netns/*|/var/run/netns/*) n=${p##*/} ;; *) n=../../../../../../../..$p ;; esac
              ip -n "$n" -force -j -d -batch - 2>/dev/null <<NSX_IPB
$ipbatch
NSX_IPB
              r=$?
            fi
            case $r in 0|143) ;; *) inns "$p" ip -j -d addr show 2>/dev/null; r=$? ;; esac
            case $r in 0|143) ;; *) warn "ip failed in netns $ino" ;; esac ;;
      text) inns "$p" ip -o -d link show 2>/dev/null; r=$?
            case $r in 0|143) ;; *) inns "$p" ip -o link show 2>/dev/null; r=$? ;; esac
            if [ $r != 143 ]; then
              say "${M}netns-addr $ino"
              inns "$p" ip -o addr show 2>/dev/null; r=$?
            fi ;;
      proc) say "${M}netns-dev $ino"
            inns "$p" cat /proc/net/dev /proc/net/if_inet6 2>/dev/null; r=$? ;;
    esac
    [ $r != 143 ] || { say "${M}timeout ip $bip $ino"; iphung=$((iphung + 1)); }
  done <<NSX_EOF
$nets
NSX_EOF
  kill "$njw" 2>/dev/null; wait "$njw" 2>/dev/null
  [ $ipskip = 0 ] || say "${M}ip-skipped $ipskip"
}
inns() {
  p=$1; shift
  if [ "$p" = - ]; then "$@"; else nsenter --net="$p" "$@"; fi
}

# ---------------------------------------------------------------------------------------- engines
# What the probe trusts (docs/security.md): root, the kernel's records and root-owned files. Every
# name, argument, path and cgroup that another user or a container can choose is printed escaped
# (ESC_AWK: "%" and control characters as %XX), never as structure, and engine processes count only
# when root runs them in the probe's own user and mount namespaces from a root-owned executable
# (verify below); the values taken from their arguments only when root owns the path.
ESC_AWK='
function escinit(   i) { for (i = 1; i < 32; i++) EH[sprintf("%c", i)] = sprintf("%%%02X", i)
  EH[sprintf("%c", 127)] = "%7F"; EH["%"] = "%25"; ESCRE = "[" sprintf("%c", 1) "-" sprintf("%c", 31) sprintf("%c", 127) "%]" }
function esc(s,   i, c, r, n) { if (s !~ ESCRE) return s
  r = ""; n = length(s)
  for (i = 1; i <= n; i++) { c = substr(s, i, 1); r = r ((c in EH) ? EH[c] : c) }
  return r }
'
# PROC_AWK reads what the tree needs of every process, in one process (each one started costs
# milliseconds), and prints it compactly (at 2,000 processes the output is what costs most after that):
#   @@nsp    from stat's "/proc/PID/ns/TYPE INODE" lines (stdin): "PID NET PID MNT UTS IPC USER CGROUP
#            TIME", the inodes ("-": not read);
#   @@args Z each argument of each command line: "PID:ARG" (ARG escaped, cut to 290 characters; with Z
#            0, a newline inside ARG came as \037);
#   @@procs  from status, stat and cgroup: "PID<tab>NAME<tab>STATE<tab>PPID<tab>UIDS<tab>NSPID<tab>
#            START[<tab>CGROUP LINE]" (NAME and the first cgroup line matching -v cg=REGEX escaped; UIDS
#            real, effective, saved and fs uid; START field 22 of /proc/PID/stat);
#   @@files  "FILE:LINE" (escaped): the uid_map of one process per user namespace (a uid map belongs to
#            the namespace), and every argument that is not a /proc/PID directory, whole.
# -v kt="PID ..." names kernel threads (their command lines are empty). mawk and gawk read the
# NUL-terminated command lines themselves (z=1); other awks get "/proc/PID/cmdline:ARG" lines on stdin
# after stat's (z=0, from grep -z and tr: a newline inside an argument arrives as \037).
# Processes that look like engine processes by their argv[0] give candidates; one line per finding
# (fields separated by \037) goes to -v out=FILE (to stdout without it, where then nothing else goes):
#   D pid root sockets config   a dockerd: --data-root, its API sockets, --config-file ("" unset)
#   C pid socket | F pid config a containerd: its socket, or its config file
#   R pid root                  a containerd's --root ("" unset)
#   S pid namespace sock        a shim (its bundle's siblings are its namespace's tasks)
#   M pid rec                   a conmon's podman store flags, \037-separated (--root=…, --runroot=…)
#   O pid                       a CRI-O daemon
#   T pid start | U pid uids    a candidate that root runs in the probe's user and mount namespaces
#                               (all four uids 0; verify then checks its executable), or one that is
#                               not (its uids)
#   N inode path                a network namespace and where to enter it ("-": the probe's own)
# No file a candidate names is opened here: a FIFO would hang the probe, a tenant's file would steer it.
PROC_AWK='
function flagval(j, f,   l) { l = length(f) + 1
  if (args[j] == f) { used = 1; return args[j + 1] }
  if (substr(args[j], 1, l) == f "=") { used = 1; return substr(args[j], l + 1) }
  return "" }
function sock(s) { if (s ~ /^unix:\/\//) s = substr(s, 8); else if (s ~ /^fd:\/\//) s = "/run/docker.sock"; else return ""
  if (s ~ /^\/var\/run\//) s = substr(s, 5); return s }
function pm(f) { return f ~ /^--(root|runroot|tmpdir|storage-driver|cgroup-manager|events-backend|db-backend)$/ }
function emit(s) { if (out != "") print s > out; else print s }
function fin(   j, v, r, socks, conf, hs, ns, a, sr, e) {
  # A finding is a line of \037-separated fields: an argument with a control character in it could
  # forge findings, and no engine that root runs takes one, so such a process is no candidate at all.
  if (kind != "") for (j = 0; j < n; j++) if (args[j] ~ CTRL) { emit("U" US pid US "ctrl"); kind = ""; return }
  if (kind != "") cand[pid] = kind
  if (kind == "d") {
    r = ""; socks = ""; conf = ""; hs = 0
    for (j = 1; j < n; j++) {
      used = 0
      v = flagval(j, "-H"); if (!used) v = flagval(j, "--host")
      if (used) { hs = 1; v = sock(v); if (v != "") socks = socks " " v }
      used = 0; v = flagval(j, "--data-root"); if (!used) v = flagval(j, "-g"); if (!used) v = flagval(j, "--graph"); if (used) r = v
      used = 0; v = flagval(j, "--config-file"); if (used) conf = v
    }
    if (!hs) socks = " /run/docker.sock"
    emit("D" US pid US r US substr(socks, 2) US conf)
  } else if (kind == "c") {
    hs = 0; r = ""
    for (j = 1; j < n; j++) {
      used = 0; v = flagval(j, "-a"); if (!used) v = flagval(j, "--address"); if (used) { hs = 1; emit("C" US pid US v) }
      used = 0; v = flagval(j, "-c"); if (!used) v = flagval(j, "--config"); if (used) { hs = 1; emit("F" US pid US v) }
      used = 0; v = flagval(j, "--root"); if (used) r = v
    }
    if (!hs) emit("C" US pid US "/run/containerd/containerd.sock")
    emit("R" US pid US r)
  } else if (kind == "s") {
    ns = ""; a = ""
    for (j = 1; j < n; j++) {
      used = 0; v = flagval(j, "-namespace"); if (!used) v = flagval(j, "--namespace"); if (used) ns = v
      used = 0; v = flagval(j, "-address"); if (!used) v = flagval(j, "--address"); if (used) a = v
    }
    emit("S" US pid US ns US a)
  } else if (kind == "m") {
    sr = ""; e = ""
    for (j = 1; j < n; j++) if (args[j - 1] == "--exit-command-arg") {
      if (pm(e)) sr = sr US e "=" args[j]
      v = args[j]; sub(/=.*/, "", v); if (pm(v) && v != args[j]) sr = sr US args[j]
      e = args[j]
    }
    if (sr != "") emit("M" US pid sr)
  } else if (kind == "o") emit("O" US pid)
  kind = ""
}
function rec(f, v) {
  if (f != cur) { fin(); cur = f; pid = f; sub(/\/cmdline$/, "", pid); sub(/.*\//, "", pid); n = 0
    b = v; sub(/.*\//, "", b)
    if (b == "dockerd") kind = "d"; else if (b == "containerd") kind = "c"; else if (b == "conmon") kind = "m"; else if (b ~ /^containerd-shim/) kind = "s"; else if (b == "crio") kind = "o"
    else if (b == "systemd-nspawn") kind = "n"; else if (substr(v, 1, 13) == "[lxc monitor]") kind = "l"; else kind = "" }
  if (out != "") print pid ":" esc(substr(v, 1, 290))
  if (kind != "") args[n++] = v }
BEGIN { US = sprintf("%c", 31); escinit(); CTRL = "[" sprintf("%c", 1) "-" sprintf("%c", 31) sprintf("%c", 127) "]"
  nk = split(kt, a, " "); for (i = 1; i <= nk; i++) isk["/proc/" a[i]] = 1
  split("net pid mnt uts ipc user cgroup time", nst, " ")
  while ((getline l < "/dev/stdin") > 0) {
    if (l !~ /:/ && l ~ /\/proc\/[0-9]+\/ns\/[a-z]+ [0-9]+$/) {
      split(l, a, " "); p = a[1]; t = p; sub(/\/ns\/[a-z]+$/, "", p); sub(/.*\//, "", t)
      if (!(p in nsd)) { nsd[p] = 1; nso[++np] = p }
      nsv[p, t] = a[2]
      if (t == "user") usern[p] = a[2]
      if (t == "net") { if (p == "/proc/" self) me = a[2]; else if (!(a[2] in netp)) { netp[a[2]] = p "/ns/net"; neto[++nn] = a[2] } }
    } else cl[++ncl] = l
  }
  if (out != "") {
    print M "nsp"
    for (k = 1; k <= np; k++) { p = nso[k]; q = p; sub(/.*\//, "", q)
      for (j = 1; j <= 8; j++) q = q " " (((p, nst[j]) in nsv) ? nsv[p, nst[j]] : "-")
      print q }
    print M "args " z
  }
  for (k = 1; k <= ncl; k++) { l = cl[k]; i = index(l, ":"); rec(substr(l, 1, i - 1), substr(l, i + 1)) }
  if (z == 1) {
    RS = "\0"
    for (i = 1; i < ARGC; i++) { d = ARGV[i]; if (d !~ /\/[0-9]+$/ || d in isk) continue
      f = d "/cmdline"
      while ((getline v < f) > 0) rec(f, v)
      close(f) }
    RS = "\n"
  }
  fin()
  smnt = nsv["/proc/" self, "mnt"]; susr = nsv["/proc/" self, "user"]
  if (out != "") print M "procs"
  for (i = 1; i < ARGC; i++) { d = ARGV[i]; if (d !~ /\/[0-9]+$/) continue
    f = d "/status"; pn = ""; hn = 0; st = ""; pp = ""; uid = ""; nsp = ""
    # The fields come in the order the kernel prints them, NSpid the last of those read (14th line): the rest of
    # the file is not looked at.
    while ((getline l < f) > 0) {
      c = substr(l, 1, 4)
      if (c == "Name") { pn = substr(l, 7); hn = 1 }
      else if (c == "Stat") { st = substr(l, 8); sub(/ .*/, "", st) }
      else if (c == "PPid") pp = substr(l, 7)
      else if (c == "Uid:") { uid = substr(l, 6); gsub(/\t/, " ", uid) }
      else if (c == "NSpi") { nsp = substr(l, 8); gsub(/\t/, " ", nsp); break } }
    close(f)
    # A task may name itself "": it is listed all the same (gone is only a process without status).
    if (!hn) continue
    q = d; sub(/.*\//, "", q)
    # The task name in stat is raw (newlines too): the fields after it follow the last ") ". Kernel
    # threads are the target of no action: their start time is not read.
    sf[20] = ""
    if (!(d in isk)) { f = d "/stat"; s = ""; while ((getline l < f) > 0) s = s "\n" l; close(f)
      sub(/^.*\) /, "", s); split(s, sf, " ") }
    if (q in cand) {
      if (uid == "0 0 0 0" && smnt != "" && nsv[d, "mnt"] == smnt && nsv[d, "user"] == susr) emit("T" US q US sf[20])
      else emit("U" US q US uid)
    }
    if (out == "") continue
    cgl = ""; hc = 0
    f = d "/cgroup"; while ((getline l < f) > 0) if (!hc && l ~ cg) { cgl = l; hc = 1 }; close(f)
    print q "\t" esc(pn) "\t" st "\t" pp "\t" uid "\t" nsp "\t" sf[20] (hc ? "\t" esc(cgl) : "")
    u = usern[d]; if (u != "" && !(u in seenu)) { seenu[u] = 1; um[++nu] = d "/uid_map" }
  }
  if (out == "") exit
  print M "files"
  for (k = 1; k <= nu; k++) { f = um[k]; while ((getline l < f) > 0) print esc(f ":" l); close(f) }
  for (i = 1; i < ARGC; i++) { d = ARGV[i]; if (d ~ /\/[0-9]+$/) continue
    while ((getline l < d) > 0) { print esc(d ":" l)
      # nsfs mounts of network namespaces (mount points with escapes, such as spaces, cannot be passed on)
      if (d ~ /\/mountinfo$/) { split(l, a, " "); if (a[4] ~ /^net:\[[0-9]+\]$/ && a[5] !~ /\\/ && a[5] !~ CTRL) {
        ino = substr(a[4], 6, length(a[4]) - 6); if (!(ino in mp)) { mp[ino] = a[5]; mo[++nmo] = ino } } } }
    close(d) }
  # One representative per network namespace, for the interfaces: that of the probe first ("-"), nsfs
  # mounts next (they outlive processes), then one process of each other.
  if (me != "") { emit("N" US me US "-"); seen[me] = 1 }
  for (k = 1; k <= nmo; k++) if (!(mo[k] in seen)) { seen[mo[k]] = 1; emit("N" US mo[k] US mp[mo[k]]) }
  for (k = 1; k <= nn; k++) if (!(neto[k] in seen)) { seen[neto[k]] = 1; emit("N" US neto[k] US netp[neto[k]]) }
  exit
}
'
# The engines' state files and names, printed escaped: "FILE:LINE" (":" in FILE as %3A) for the lines
# that matter (JSON, a PID, KEY=VALUE); -v m=ann: the CRI annotations of OCI configs; -v m=names: the
# arguments themselves, one a line, without reading them.
FILES_AWK='
function escf(s) { s = esc(s); gsub(/:/, "%3A", s); return s }
BEGIN { escinit(); if (m == "names") { for (i = 1; i < ARGC; i++) print esc(ARGV[i]); exit } }
m == "ann" { s = $0; while (match(s, /"io\.kubernetes\.cri\.[a-z-]*":"[^"]*"/)) { print escf(FILENAME) ":" esc(substr(s, RSTART, RLENGTH)); s = substr(s, RSTART + RLENGTH) }; next }
/^[[{]/ || /^[0-9][0-9]*$/ || /^[A-Z_]*=/ { print escf(FILENAME) ":" esc($0) }
'
CV=
canon() { case $1 in /var/run/*) CV=/run/${1#/var/run/} ;; *) CV=$1 ;; esac; }
# Reads the detector's lines (stdin): candidates (T: root's own in the probe's namespaces, U: not) and
# their findings, kept with their PIDs until verify has looked at the executables.
detect() {
  f_d= f_c= f_f= f_r= f_s= f_m= f_o= nets= tcand= ucand=
  # for over the lines, not while read: dash reads a here-document a byte per system call.
  set -f; IFS=$nl
  for line in $det; do
    IFS=$oifs0
    kind=${line%%"$us"*}; rest=${line#*"$us"}
    case $kind in
      D) f_d="$f_d$rest$nl" ;; C) f_c="$f_c$rest$nl" ;; F) f_f="$f_f$rest$nl" ;; R) f_r="$f_r$rest$nl" ;;
      S) f_s="$f_s$rest$nl" ;; M) f_m="$f_m$rest$nl" ;; O) f_o="$f_o ${rest%%"$us"*}" ;;
      T) tcand="$tcand$rest$nl" ;;
      U) ucand="$ucand$rest$nl" ;;
      N) IFS=$us
         # shellcheck disable=SC2086
         set -- $rest
         IFS=$oifs0
         nets="$nets$1 $2$nl" ;;
    esac
  done
  IFS=$oifs0; set +f
}
# Path checks: a path counts when it is absolute, of plain characters, root owns it and every directory
# above it, none of which (nor a regular file itself) others can write, and its type is the expected one
# (d directory, f regular file, s socket); a link in the chain counts when root owns it and where it
# leads passes the same rules without links. The table (ptab: "PATH|OK|UID|TYPE" lines) starts with the
# paths a previous run found root's own (--known-paths: only root can change a root-owned path); others
# are read by one stat, batched.
pq=' ' pw= ptab= vok=
# vok: "PATH|TYPE" lines of values whose whole chain passed (this run, or an earlier one: --known-paths),
# looked up whole, so a cached refresh walks no chain and starts no stat. ptab: what stat said of each
# path and directory ("PATH|OK|UID|TYPE").
for x in $known_paths; do
  case $x in /*\|[dfsx]) case ${x%|?} in *[!A-Za-z0-9_.@%+=:,/-]*) ;; *) vok="$vok$nl$x" ;; esac ;; esac
done
ptab_add() { # PATH UID GID HEXMODE
  w=$((0x$4 & 0x12))
  # Writable by its group is fine when that group is root's.
  [ "$3" = 0 ] && w=$((w & 0x2))
  ok=0; [ "$2" = 0 ] && [ $w = 0 ] && ok=1
  case $4 in 4???) t=d ;; 8???) t=f ;; c???) t=s ;; a???) t=l ;; *) t=o ;; esac
  ptab="$ptab$nl$1|$ok|$2|$t"
}
path_want() {
  case $1 in /*) ;; *) return 0 ;; esac
  case $1 in *[!A-Za-z0-9_.@%+=:,/-]*|*/../*|*/..|*/./*|*//*) return 0 ;; esac
  case $vok$nl in *"$nl$1|"?"$nl"*) return 0 ;; esac
  case " $pw " in *" $1 "*) ;; *) pw="$pw $1" ;; esac
  _pw=$1
  while [ -n "$_pw" ]; do
    case $pq$ptab$nl in *" $_pw "*|*"$nl$_pw|"*) ;; *) pq="$pq$_pw " ;; esac
    _pw=${_pw%/*}
  done
}
# stat without -L: a link is seen as a link (l), and a value with one in its chain counts only when each
# link is root's, in a chain root alone can write, and where it leads passes too (realpath: one process
# for such values only; there a link is refused).
plink=
path_stat() {
  [ "$pq" = ' ' ] && return 0
  # Executables (/proc/PID/exe, the kernel's link) by what they lead to; every other path as it is.
  _pe= _po=
  for _q in $pq; do case $_q in /proc/*/exe) _pe="$_pe $_q" ;; *) _po="$_po $_q" ;; esac; done
  # shellcheck disable=SC2086
  out=$({ [ -z "$_pe" ] || stat -L -c '%n %u %g %f' $_pe; [ -z "$_po" ] || stat -c '%n %u %g %f' $_po; } 2>/dev/null)
  asked=$pq pq=' '
  while read -r n u g f; do
    [ -n "$f" ] && ptab_add "$n" "$u" "$g" "$f"
  done <<NSX_EOF
$out
NSX_EOF
  path_missing "$asked"
  _pv=$pw pw=
  if [ -z "$1" ]; then
    _pls=
    for _pl in $_pv; do
      _q=$_pl
      while [ -n "$_q" ]; do
        case $ptab$nl in *"$nl$_q|"?"|"*"|l$nl"*) _pls="$_pls $_pl"; break ;; esac
        _q=${_q%/*}
      done
    done
    if [ -n "$_pls" ]; then
      # shellcheck disable=SC2086
      _prs=$(for _pl in $_pls; do realpath -- "$_pl" 2>/dev/null || readlink -f -- "$_pl" 2>/dev/null || echo -; done)
      set -f; oifs=$IFS; IFS=$nl
      # shellcheck disable=SC2086
      set -- $_prs
      IFS=$oifs; set +f
      for _pl in $_pls; do
        [ $# -gt 0 ] || break
        plink="$plink$nl$_pl>$1"; path_want "$1"; shift
      done
      _pv0=$_pv
      path_stat resolved
      _pv=$_pv0
    fi
  fi
  # Each value asked for whose chain passed goes to vok, whatever uses it, for this run and the next.
  for _pt in $_pv; do
    for _ty in d f s; do path_ok "$_pt" $_ty && break; done
  done
}
# Paths stat did not find are missing (m) for the rest of this run: not asked for again.
path_missing() {
  for _pm in $1; do
    case $ptab$nl in *"$nl$_pm|"*) ;; *) ptab="$ptab$nl$_pm|0|-|m" ;; esac
  done
}
# path_ok PATH TYPE [nolink] (d, f or s; a socket root owns may let its group in).
path_ok() {
  case $vok$nl in *"$nl$1|$2$nl"*) return 0 ;; esac
  _po=$1 _pk=
  case $ptab$nl in
    *"$nl$_po|1|0|$2$nl"*) ;;
    *"$nl$_po|0|0|s$nl"*) [ "$2" = s ] || return 1 ;;
    *"$nl$_po|"?"|0|l$nl"*) _pk=1 ;;
    *) return 1 ;;
  esac
  _po=${_po%/*}
  while [ -n "$_po" ]; do
    case $ptab$nl in
      *"$nl$_po|1|0|d$nl"*) ;;
      *"$nl$_po|"?"|0|l$nl"*) _pk=1 ;;
      *) return 1 ;;
    esac
    _po=${_po%/*}
  done
  if [ -n "$_pk" ]; then
    [ -z "$3" ] || return 1
    case $plink$nl in *"$nl$1>"*) _pr=${plink#*"$nl$1>"}; _pr=${_pr%%"$nl"*} ;; *) return 1 ;; esac
    [ "$_pr" != "$1" ] && path_ok "$_pr" "$2" nolink || return 1
  fi
  vok="$vok$nl$1|$2"
}
path_seen() { case $ptab in *"$nl$1|"*) return 0 ;; esac; return 1; }
# A daemon's config value: the quoted value of KEY ("data-root" in daemon.json, root or the [grpc]
# address in config.toml); only files path_ok vouched for are opened.
CONF=
conf_values() { # FILE: CONF_DR (daemon.json "data-root"), CONF_ROOT (toml root), CONF_ADDR ([grpc] address)
  CONF_DR= CONF_ROOT= CONF_ADDR= sect= sawgrpc=
  while IFS= read -r l; do
    # leading blanks off
    l=${l#"${l%%[![:space:]]*}"}
    case $l in \#*) continue ;; \[*) sect=$l; continue ;; esac
    case $l in
      # JSON: "KEY": "VALUE"; TOML: KEY = "VALUE"
      *'"data-root"'*:*\"*\"*) v=${l#*'"data-root"'}; v=${v#*:}; v=${v#*\"}; CONF_DR=${v%%\"*}; return 0 ;;
      root=*\"*\"*|root[[:space:]]*=*\"*\"*) [ -n "$CONF_ROOT" ] || { v=${l#*=}; v=${v#*\"}; CONF_ROOT=${v%%\"*}; } ;;
      address=*\"*\"*|address[[:space:]]*=*\"*\"*) [ "$sect" = "[grpc]" ] && { v=${l#*=}; v=${v#*\"}; CONF_ADDR=${v%%\"*}; } ;;
    esac
    # sh reads a file a byte per system call: stop at what is wanted (containerd: root, then [grpc]).
    [ -n "$CONF_ROOT" ] && [ -n "$CONF_ADDR" ] && return 0
    case $sect in "[grpc]"|"") ;; *) [ -n "$CONF_ROOT" ] && [ "$sect" != "[grpc]" ] && [ -n "$sawgrpc" ] && return 0 ;; esac
    [ "$sect" = "[grpc]" ] && sawgrpc=1
  done <"$1"
}
iscand() { [ -n "$1" ] || return 1; case $nl$tcand in *"$nl$1$us"*) return 0 ;; esac; return 1; }
istrusted() { [ -n "$1" ] || return 1; case $trusted in *" $1 "*) return 0 ;; esac; return 1; }
verify() {
  # The candidates PROC_AWK found root's own in the probe's namespaces count when their executable is a
  # root-owned regular file that others cannot write. A process verified by an earlier run (its PID and
  # start time in --known-paths) still is: no one but root can change a root process's executable.
  trusted=' '
  set -f; IFS=$nl
  for _r in $tcand; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} st=${2-}
    [ -n "$p" ] || continue
    case $vok$nl in
      *"$nl/proc/$p/exe@$st|x$nl"*) trusted="$trusted$p " ;;
      *) pq="$pq/proc/$p/exe " ;;
    esac
  done
  IFS=$oifs0; set +f
  set -f; IFS=$nl
  for _r in $f_d; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} r=${2-} s=${3-} c=${4-}
    iscand "$p" || continue
    path_want "$r"; path_want "$c"; for x in $s; do canon "$x"; path_want "$CV"; done
    [ -n "$r$c" ] || { path_want /etc/docker/daemon.json; path_want /var/lib/docker; }
  done
  IFS=$oifs0; set +f
  set -f; IFS=$nl
  for _r in $f_r; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} v=${2-}
    iscand "$p" && [ -z "$v" ] && [ -z "$f_f" ] && { path_want /etc/containerd/config.toml; path_want /var/lib/containerd; }
  done
  IFS=$oifs0; set +f
  set -f; IFS=$nl
  for _r in $f_c$f_f$f_r; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} v=${2-}
    iscand "$p" && { canon "$v"; path_want "$CV"; }
  done
  IFS=$oifs0; set +f
  # The lxcpath: lxc.lxcpath of /etc/lxc/lxc.conf when root owns that file, else /var/lib/lxc; its
  # directories are containers only when it is root's own (path rules).
  lp=/var/lib/lxc
  if [ -f /etc/lxc/lxc.conf ] && [ -O /etc/lxc/lxc.conf ]; then
    while IFS=' =' read -r k v; do
      [ "$k" = lxc.lxcpath ] && [ -n "$v" ] && lp=$v
    done </etc/lxc/lxc.conf
  fi
  [ -d "$lp" ] && path_want "$lp" || lp=
  set -f; IFS=$nl
  for rec in $f_m; do
    IFS=$oifs0
    p=${rec%%"$us"*}
    iscand "$p" || continue
    IFS=$us
    # shellcheck disable=SC2086
    set -- $rec
    IFS=$oifs0
    for x do case $x in --root=*|--runroot=*|--tmpdir=*) path_want "${x#*=}" ;; esac; done
  done
  IFS=$oifs0; set +f
  path_stat
  set -f; IFS=$nl
  for _r in $tcand; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} st=${2-}
    [ -n "$p" ] || continue
    case $trusted in *" $p "*) continue ;; esac
    case $ptab$nl in
      *"$nl/proc/$p/exe|1|0|f$nl"*) trusted="$trusted$p "; vok="$vok$nl/proc/$p/exe@$st|x" ;;
      *) ucand="$ucand$p${us}exe$nl" ;;
    esac
  done
  IFS=$oifs0; set +f
  # Values from the config files that passed, which root wrote: a dockerd's data-root, a containerd's
  # root and socket; checked by the path rules below.
  d_conf= c_conf=
  set -f; IFS=$nl
  for _r in $f_d; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} r=${2-} s=${3-} c=${4-}
    istrusted "$p" && [ -z "$r" ] || continue
    c=${c:-/etc/docker/daemon.json}
    path_ok "$c" f || { path_seen "$c" && warn "dockerd $p: its config $c is not root's own (or not a regular file): not read"; continue; }
    conf_values "$c"
    [ -n "$CONF_DR" ] && { d_conf="$d_conf$p$us$CONF_DR$nl"; path_want "$CONF_DR"; }
  done
  IFS=$oifs0; set +f
  cfs=
  set -f; IFS=$nl
  for _r in $f_f; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} v=${2-}
    istrusted "$p" && cfs="$cfs $v"
  done
  IFS=$oifs0; set +f
  [ -z "$cfs" ] && [ -n "$f_r" ] && cfs=/etc/containerd/config.toml
  for c in $cfs; do
    path_ok "$c" f || { path_seen "$c" && warn "containerd config $c is not root's own (or not a regular file): not read"; continue; }
    conf_values "$c"
    [ -n "$CONF_ROOT" ] && { c_conf="$c_conf${nl}R$CONF_ROOT"; path_want "$CONF_ROOT"; }
    [ -n "$CONF_ADDR" ] && { canon "$CONF_ADDR"; c_conf="$c_conf${nl}C$CV"; path_want "$CV"; }
  done
  # The values the config files gave, checked by the same rules (only when there are new ones).
  path_stat
  # What is used: only what passed.
  dk_daemons= dk_socks= ct_socks= ct_roots= pm_stores= shim_paths= k8s_paths= crio=
  set -f; IFS=$nl
  for _r in $f_d; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} r=${2-} s=${3-} c=${4-}
    istrusted "$p" || continue
    if [ -z "$r" ]; then
      r=/var/lib/docker
      case $nl$d_conf in *"$nl$p$us"*) r=${d_conf#*"$p$us"}; r=${r%%"$nl"*} ;; esac
    fi
    path_ok "$r" d || { path_seen "$r" && warn "dockerd $p: its data root $r is not root's own: not read"; r=; }
    dsocks=
    for x in $s; do
      canon "$x"
      if path_ok "$CV" s; then dsocks="$dsocks $CV"; elif path_seen "$CV"; then warn "dockerd $p: its socket $CV is not root's own: not used"; fi
    done
    dk_socks="$dk_socks$dsocks"; dk_daemons="$dk_daemons$p$us$r$us$dsocks$nl"
  done
  IFS=$oifs0; set +f
  set -f; IFS=$nl
  for _r in $f_c; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} v=${2-}
    istrusted "$p" || continue
    canon "$v"
    if path_ok "$CV" s; then ct_socks="$ct_socks $CV"; elif path_seen "$CV"; then warn "containerd $p: its socket $CV is not root's own: not used"; fi
  done
  IFS=$oifs0; set +f
  for x in $c_conf; do
    case $x in
      C*) if path_ok "${x#C}" s; then ct_socks="$ct_socks ${x#C}"; elif path_seen "${x#C}"; then warn "containerd: its socket ${x#C} is not root's own: not used"; fi ;;
      R*) if path_ok "${x#R}" d; then ct_roots="$ct_roots ${x#R}"; elif path_seen "${x#R}"; then warn "containerd: its root ${x#R} is not root's own: not read"; fi ;;
    esac
  done
  set -f; IFS=$nl
  for _r in $f_r; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} v=${2-}
    istrusted "$p" || continue
    [ -n "$v" ] || { [ -n "$c_conf" ] && continue; v=/var/lib/containerd; }
    if path_ok "$v" d; then ct_roots="$ct_roots $v"; elif path_seen "$v"; then warn "containerd $p: its root $v is not root's own: not read"; fi
  done
  IFS=$oifs0; set +f
  set -f; IFS=$nl
  for rec in $f_m; do
    IFS=$oifs0
    p=${rec%%"$us"*}
    istrusted "$p" || continue
    IFS=$us
    # shellcheck disable=SC2086
    set -- $rec
    IFS=$oifs0
    shift
    keep= bad=
    for x do
      case $x in
        --root=*|--runroot=*|--tmpdir=*) if path_ok "${x#*=}" d; then keep="$keep$us$x"; else bad=${x#*=}; fi ;;
        --storage-driver=*|--cgroup-manager=*|--events-backend=*|--db-backend=*)
          case ${x#*=} in *[!A-Za-z0-9_.-]*) bad=$x ;; *) keep="$keep$us$x" ;; esac ;;
      esac
    done
    if [ -n "$bad" ]; then warn "conmon $p: its podman store $bad is not root's own (or not a plain value): not used"
    else case $nl$pm_stores$nl in *"$nl$keep$nl"*) ;; *) pm_stores="$pm_stores$keep$nl" ;; esac; fi
  done
  IFS=$oifs0; set +f
  seen_shims=
  set -f; IFS=$nl
  for _r in $f_s; do
    IFS=$us; set -- $_r; IFS=$oifs0; p=${1-} ns=${2-} a=${3-}
    istrusted "$p" || continue
    # The first shim of each containerd namespace: its bundle's siblings are all the namespace's tasks.
    case $nl$seen_shims in *"$nl$a$us$ns$nl"*) continue ;; esac
    seen_shims="$seen_shims$a$us$ns$nl"
    shim_paths="$shim_paths /proc/$p/cwd/../*/init.pid"
    [ "$ns" = k8s.io ] && k8s_paths="$k8s_paths /proc/$p/cwd/../*/config.json"
  done
  IFS=$oifs0; set +f
  for p in $f_o; do istrusted "$p" && crio=1; done
  # What was and was not trusted, for the snapshot: "PID ok", "PID exe" (not a root-owned executable),
  # "PID uids R E S F" (not root's own, or not in the probe's namespaces).
  # The values and engine processes found root's own, for the next run (--known-paths): the processes
  # that still run only.
  kp=
  for x in $vok; do
    case $x in
      /proc/*/exe@*) p=${x#/proc/}; p=${p%%/*}; istrusted "$p" || continue ;;
    esac
    kp="$kp $x"
  done
  say "${M}known-paths$kp"
  say "${M}engine-procs"
  for p in $trusted; do say "$p ok"; done
  set -f; IFS=$nl
  for l in $ucand; do
    IFS=$oifs0
    [ -n "$l" ] || continue
    p=${l%%"$us"*}; r=${l#*"$us"}
    case $r in exe|ctrl) say "$p $r" ;; *) say "$p uids $r" ;; esac
  done
  IFS=$oifs0; set +f
}
# The engines' own state files, read by one awk after verify: each trusted docker daemon's
# containers/*/config.v2.json and hostconfig.json under its data root, each podman store's
# containers.json (id, name and image of every container, running or not; conmon's child is the init of
# a running one), each containerd namespace's task bundles (a shim runs in its task's bundle directory;
# the namespace's other bundles sit beside it, each with the init's pid), and registered nspawn machines.
# Only regular files are passed (never a FIFO or a device). The docker CLI only for sockets whose
# daemon's files cannot be read.
eng_files() {
  covered=' '
  set --
  # (Here-document loops: the body globs and collects "$@".)
  while IFS=$us read -r dp droot dsocks; do
    [ -n "$dp" ] && [ -n "$droot" ] || continue
    for f in "$droot"/containers/*/config.v2.json "$droot"/containers/*/hostconfig.json; do [ -f "$f" ] && set -- "$@" "$f"; done
    covered="$covered$dsocks "
  done <<NSX_EOF
$dk_daemons
NSX_EOF
  pm_roots_list
  while IFS= read -r r; do
    [ -n "$r" ] || continue
    for f in "$r"/*-containers/containers.json; do [ -f "$f" ] && set -- "$@" "$f"; done
  done <<NSX_EOF
$roots
NSX_EOF
  # shellcheck disable=SC2086
  for f in $shim_paths /run/systemd/machines/*; do [ -f "$f" ] && set -- "$@" "$f"; done
  say "${M}state-files"
  [ $# = 0 ] || awk -v m=files "$ESC_AWK$FILES_AWK" "$@" 2>/dev/null
  if [ -n "$k8s_paths" ]; then
    set --
    # shellcheck disable=SC2086
    for f in $k8s_paths; do [ -f "$f" ] && set -- "$@" "$f"; done
    say "${M}cri-annotations"
    [ $# = 0 ] || awk -v m=ann "$ESC_AWK$FILES_AWK" "$@" 2>/dev/null
  fi
}
# The docker CLI, for sockets whose daemon's files the probe could not read (eng_files sets $covered).
# In scope full it runs after the tree part, so a wedged daemon never holds up the tree.
eng_docker_cli() {
  have docker || return 0
  socks=$dk_socks
  # The system's default socket, in root's /run: root's own socket there is root's.
  [ -S /run/docker.sock ] && [ -O /run/docker.sock ] && socks="$socks /run/docker.sock"
  # The SSH user's own choices (DOCKER_HOST, the docker-socket setting) are trusted as they are.
  case $DOCKER_HOST in unix://*) canon "${DOCKER_HOST#unix://}"; socks="$socks $CV" ;; esac
  for s in $extra_docker; do canon "$s"; socks="$socks $CV"; done
  done_socks=$covered
  fmt='[{{json .Id}},{{json .Name}},{{json .Config.Image}},{{json .State.Status}},{{json .State.Pid}},{{json .Config.Hostname}},{{json .HostConfig.NetworkMode}},{{json .HostConfig.Runtime}},{{json .HostConfig.PidMode}},{{json .Config.Labels}}]'
  for s in $socks; do
    case $done_socks in *" $s "*) continue ;; esac
    done_socks="$done_socks$s "
    [ -S "$s" ] || continue
    ids=$(bound "$bcli" docker -H "unix://$s" ps -aq 2>/dev/null); r=$?
    if [ $r = 0 ]; then
      say "${M}docker $s"
      # One inspect for all ids; a container removed in between only drops out of the list.
      # shellcheck disable=SC2086
      [ -n "$ids" ] && { bound "$bcli" docker -H "unix://$s" inspect --format "$fmt" $ids 2>/dev/null
        [ $? != 124 ] || say "${M}timeout docker $bcli $s"; }
    elif [ $r = 124 ]; then
      say "${M}timeout docker $bcli $s"
    else
      # A daemon that refused answered at once: ask again for its words.
      ids=$(bound "$bcli" docker -H "unix://$s" ps -aq 2>&1 >/dev/null)
      warn "docker on $s: ${ids%%"$nl"*}"
    fi
  done
}

# -------------------------------------------------------------------- engine CLIs (scope full)
# podman: the store flags conmon passes to its --exit-command (podman ... container cleanup ID) select
# exactly that store, so `podman FLAGS ps` lists it; verify kept only root's own paths and plain values.
eng_podman() {
  have podman || return 0
  pm_default=
  # The default store only when it holds containers (a podman call costs a hundred ms).
  for f in /var/lib/containers/storage/*-containers/containers.json; do
    [ -f "$f" ] && [ -s "$f" ] && read -r x <"$f" && [ "$x" != "[]" ] && pm_default=1
  done
  stores=
  set -f; IFS=$nl
  for rec in $pm_stores; do
    IFS=$oifs0
    [ -n "$rec" ] || continue
    case $rec in
      *"$us--root=/var/lib/containers/storage$us"*|*"$us--root=/var/lib/containers/storage") pm_default=1; continue ;;
      *"$us--root="*) stores="$stores$rec$nl" ;;
    esac
  done
  IFS=$oifs0; set +f
  if [ -n "$pm_default" ]; then
    say "${M}podman - -"
    bound "$bcli" podman ps -a --format json 2>/dev/null
    case $? in 0) ;; 124) say "${M}timeout podman $bcli /var/lib/containers/storage" ;; *) warn "podman ps failed" ;; esac
  fi
  set -f; IFS=$nl
  for rec in $stores; do
    IFS=$oifs0
    [ -n "$rec" ] || continue
    r=${rec#*"$us--root="}; r=${r%%"$us"*}
    rr=-
    case $rec in *"$us--runroot="*) rr=${rec#*"$us--runroot="}; rr=${rr%%"$us"*} ;; esac
    say "${M}podman $r $rr"
    set -f; oifs=$IFS; IFS=$us
    # shellcheck disable=SC2086
    set -- ${rec#"$us"}
    IFS=$oifs; set +f
    bound "$bcli" podman "$@" ps -a --format json 2>/dev/null
    case $? in 0) ;; 124) say "${M}timeout podman $bcli $r" ;; *) warn "podman ps failed for $r" ;; esac
  done
  IFS=$oifs0; set +f
}

eng_ctr() {
  have ctr || return 0
  socks=$ct_socks
  [ -S /run/containerd/containerd.sock ] && [ -O /run/containerd/containerd.sock ] && socks="$socks /run/containerd/containerd.sock"
  done_socks=' '
  for s in $socks; do
    case $done_socks in *" $s "*) continue ;; esac
    done_socks="$done_socks$s "
    [ -S "$s" ] || continue
    nss=$(bound "$bcli" ctr -a "$s" namespaces ls -q 2>/dev/null)
    case $? in
      0) ;;
      124) say "${M}timeout ctr $bcli $s"; continue ;;
      *) warn "ctr could not reach $s"; continue ;;
    esac
    # A daemon that did not answer once is not asked again in this run.
    for n in $nss; do
      case $n in *[!A-Za-z0-9_.-]*) continue ;; esac
      # Docker's own namespace only repeats the containers docker listed. Tasks (running or not, and
      # their init pids) come from the bundles in state-files.
      [ "$n" = moby ] && [ -n "$dk_socks" ] && continue
      say "${M}ctr-containers $s $n"
      bound "$bcli" ctr -a "$s" -n "$n" containers ls 2>/dev/null
      [ $? != 124 ] || { say "${M}timeout ctr $bcli $s"; break; }
      if have nerdctl; then
        say "${M}nerdctl $s $n"
        bound "$bcli" nerdctl -a "$s" -n "$n" ps -a --format '{{json .}}' 2>/dev/null
        [ $? != 124 ] || { say "${M}timeout nerdctl $bcli $s"; break; }
      fi
    done
  done
}

# CRI: crictl asks the runtime over its socket (its default, root's configuration). Under containerd its
# answers live in containerd's metadata database, so they are reused with ctr's (see job_cli); CRI-O
# keeps state elsewhere.
eng_crictl() {
  have crictl || return 0
  p=$(bound "$bcli" crictl pods -o json 2>/dev/null)
  case $? in
    0) say "${M}crictl-pods"; say "$p"
       say "${M}crictl-ps"; bound "$bcli" crictl ps -a -o json 2>/dev/null
       [ $? != 124 ] || say "${M}timeout crictl $bcli" ;;
    124) say "${M}timeout crictl $bcli" ;;
  esac
}
# LXC: the containers of the configured lxcpath are its directories with a config; a running one also
# has a "[lxc monitor] LXCPATH NAME" process (verified like the engines'), whose child is its init. The
# lxcpath (found by verify) counts only when it passes the path rules; names are printed escaped.
lxc_dirs() {
  [ -n "$lp" ] && path_ok "$lp" d || return 0
  set --
  for c in "$lp"/*/config; do
    [ -f "$c" ] || continue
    c=${c%/config}; set -- "$@" "${c##*/}"
  done
  say "${M}lxc-dirs $lp"
  [ $# = 0 ] || awk -v m=names "$ESC_AWK$FILES_AWK" "$@"
}

# podman's and containerd's CLIs cost a Go process start each (tens of ms). What they add to the state
# files (stopped podman containers' states, pods; containerd containers without a task, images) lives in
# their databases, so their output is reused while every database is unchanged: the fingerprint below
# (paths, inode, size, mtime in ns) is printed, and the caller passes the last one back (--cli-cache).
cli_fingerprint() {
  dbs=
  pm_roots_list
  for r in $roots; do dbs="$dbs $r/libpod/bolt_state.db $r/db.sql"; done
  for r in $ct_roots; do dbs="$dbs $r/io.containerd.metadata.v1.bolt/meta.db"; done
  # shellcheck disable=SC2086
  fp=$(stat -L -c '%n:%i:%s:%y' $dbs 2>/dev/null)
  set -f; oifs=$IFS; IFS=" $nl"
  # shellcheck disable=SC2086
  set -- $fp
  IFS=,; fp="$*"; IFS=$oifs; set +f
}
pm_roots_list() {
  roots=/var/lib/containers/storage$nl
  set -f; IFS=$nl
  for rec in $pm_stores; do
    IFS=$oifs0
    case $rec in *"$us--root="*) r=${rec#*"$us--root="}; r=${r%%"$us"*}
      case $nl$roots in *"$nl$r$nl"*) ;; *) roots="$roots$r$nl" ;; esac ;;
    esac
  done
  IFS=$oifs0; set +f
}
job_cli() {
  cached=
  if have podman || have ctr || have crictl; then
    cli_fingerprint
    say "${M}cli-fingerprint $fp"
    [ -n "$cli_cache" ] && [ "$cli_cache" = "$fp" ] && cached=1
  fi
  if [ -n "$cached" ]; then
    say "${M}cli-cached"
    # CRI-O keeps its state outside the fingerprinted databases.
    [ -z "$crio" ] || eng_crictl
  else
    eng_podman
    eng_ctr
    eng_crictl
  fi
}

# The first awk on PATH, found without a command substitution (each costs a fork): mawk and gawk read
# NUL-terminated command lines themselves (awkz=1).
awkz=0
oifs=$IFS; IFS=:
for d in $PATH; do
  [ -x "${d:-.}/awk" ] || continue
  for x in mawk gawk; do [ "${d:-.}/awk" -ef "${d:-.}/$x" ] || [ "${d:-.}/awk" -ef "/usr/bin/$x" ] && awkz=1; done
  break
done
IFS=$oifs
# grep -z prefixes each NUL-terminated argument with its file; only then do newlines inside arguments
# become \037 and NULs newlines, so no argument can forge a line of its own.
cmdlines_tr() { grep -asHz '' /proc/[0-9]*/cmdline | tr '\n\0' '\037\n'; }

# The cgroup v2 line: kernels since 4.5 print it whatever is mounted; older ones get their v1 lines.
cg='^[0-9][0-9]*:'
while IFS= read -r l; do case $l in 0::*) cg='^0::'; break ;; esac; done </proc/$self/cgroup
# Kernel threads (kthreadd's children, often half of all processes) are created in kthreadd's namespaces
# and do not leave them, but for the mount namespace (devtmpfs unshares one): of theirs only the mnt link
# is read, and the snapshot gives them kthreadd's others (host line kthreads=). Only when PID 2 is
# kthreadd, i.e. the probe sees the initial PID namespace, and on hosts of up to 600 processes: building
# the argument list costs time quadratic in its length (sh copies strings a character at a time; in
# chunks, about 60 ms at 2,000 processes), more than it saves beyond that.
kt=
{ read -r _ k2 </proc/2/status && [ "$k2" = kthreadd ] && { read -r kt </proc/2/task/2/children || :; }; } 2>/dev/null
say "kthreads=$kt"
nsf=
set -- /proc/[0-9]*
if [ -n "$kt" ] && [ $# -le 600 ]; then
  c= i=0
  for d do
    case " $kt " in
      *" ${d#/proc/} "*) c="$c $d/ns/mnt" ;;
      *) c="$c $d/ns/net $d/ns/pid $d/ns/mnt $d/ns/uts $d/ns/ipc $d/ns/user $d/ns/cgroup $d/ns/time" ;;
    esac
    i=$((i + 1))
    [ $i -lt 32 ] || { nsf="$nsf$c"; c= i=0; }
  done
  nsf="$nsf$c"
fi
ns_stat() {
  # shellcheck disable=SC2086
  if [ -n "$nsf" ]; then stat -L -c '%n %i' $nsf 2>/dev/null
  else stat -L -c '%n %i' /proc/[0-9]*/ns/net /proc/[0-9]*/ns/pid /proc/[0-9]*/ns/mnt /proc/[0-9]*/ns/uts \
    /proc/[0-9]*/ns/ipc /proc/[0-9]*/ns/user /proc/[0-9]*/ns/cgroup /proc/[0-9]*/ns/time 2>/dev/null; fi
}
# What the processes are: their namespace links (stat), then PROC_AWK (command lines, status, uid map,
# cgroup), with the probe's mountinfo (nsfs mounts) and its own netns interfaces' sysfs indexes. Sets
# $det to the engine findings and network namespaces.
job_procs() {
  exec 3>&1
  if [ $awkz = 1 ]; then
    det=$(ns_stat | awk -v out=/dev/stderr -v z=1 -v self=$self -v kt="$kt" -v cg="$cg" -v M="$M" "$ESC_AWK$PROC_AWK" /proc/[0-9]* \
      /proc/$self/mountinfo /sys/class/net/*/ifindex /sys/class/net/*/iflink 2>&1 >&3 3>&-)
  elif have awk; then
    det=$({ ns_stat; cmdlines_tr; } | awk -v out=/dev/stderr -v z=0 -v self=$self -v kt="$kt" -v cg="$cg" -v M="$M" "$ESC_AWK$PROC_AWK" \
      /proc/[0-9]* /proc/$self/mountinfo /sys/class/net/*/ifindex /sys/class/net/*/iflink 2>&1 >&3 3>&-)
  fi
  r=$?
  # An awk that failed or was killed part-way leaves a partial snapshot (maybe a cut line): say so.
  if [ $r != 0 ] && have awk; then
    say ""
    warn "reading the processes failed (awk exit status $r): the snapshot is partial"
  elif ! have awk; then
    det=
    say "${M}ns"
    ns_stat
    warn "awk is missing: no engine process can be verified, so containers come from the engines' default paths only"
    # Every line of these starts with its /proc or /sys path (grep -H, grep -z and tr): no name can
    # start a line of its own; they are printed as read, not escaped.
    say "${M}cmdline"
    cmdlines_tr | cut -c1-300
    say "${M}files-raw"
    grep -sH -e '^Name:' -e '^State:' -e '^PPid:' -e '^Uid:' -e '^NSpid:' -e '^ *[0-9][0-9]* ' -e '^[0-9][0-9]*$' -e "$cg" \
      /proc/[0-9]*/status /proc/[0-9]*/uid_map /proc/[0-9]*/cgroup /proc/$self/mountinfo /sys/class/net/*/ifindex /sys/class/net/*/iflink
  fi
  exec 3>&-
}

# ------------------------------------------------------------------- isolation (scope full)
# What the isolation report needs, per container init and never per process: the children of the
# verified engine processes ($trusted: shims, conmons, nspawns, LXC monitors; the kernel's
# /proc/PID/task/TID/children), at most 300 of them. For each, one awk prints "PID KEY VALUE" lines:
# status (the Cap* sets, NoNewPrivs, Seccomp, Seccomp_filters, as the kernel prints them), attr (the LSM
# label), uid_map, gid_map (up to 5 lines each) and mnt: "ROOT MOUNTPOINT OPTIONS FSTYPE" of the mounts
# that tell something (all but the tmpfs, devpts, mqueue and overlay mounts outside /, /proc and /sys, and but
# the first cgroup mount, when it is writable), up to 100 ("mnt-cut N" gives the count), as mountinfo
# escapes them (no space inside a field). Every value but the kernel's numbers is escaped (ESC_AWK). Host
# lines first: the probe's own bounding set and cap_last_cap. attr/current is read only when the probe's
# own can be (mawk ends on the EINVAL of a host without an LSM).
ISO_AWK='
BEGIN { escinit(); n = 0
  k = split(tr, T, " "); for (i = 1; i <= k; i++) TR[T[i]] = 1
  for (i = 1; i < ARGC; i++) { f = ARGV[i]
    while ((getline l < f) > 0) { m = split(l, C, " ")
      for (j = 1; j <= m; j++) { c = C[j]; if (c ~ /^[0-9]+$/ && !(c in TR) && !(c in SEEN) && n < 300) { SEEN[c] = 1; L[++n] = c } } }
    close(f) }
  f = "/proc/" self "/status"
  while ((getline l < f) > 0) if (l ~ /^CapBnd:/) { sub(/^CapBnd:[ \t]*/, "", l); print "host capbnd " esc(l) }
  close(f)
  f = "/proc/sys/kernel/cap_last_cap"; if ((getline l < f) > 0) print "host lastcap " esc(l); close(f)
  for (i = 1; i <= n; i++) { p = L[i]
    f = "/proc/" p "/status"
    while ((getline l < f) > 0) if (l ~ /^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):/) { sub(/:[ \t]*/, " ", l); print p " status " esc(l) }
    close(f)
    if (lsm) { f = "/proc/" p "/attr/current"; if ((getline l < f) > 0) print p " attr " esc(substr(l, 1, 256)); close(f) }
    for (x = 0; x < 2; x++) { f = "/proc/" p (x ? "/gid_map" : "/uid_map"); c = 0
      while (c < 5 && (getline l < f) > 0) { c++; print p (x ? " gid_map " : " uid_map ") esc(l) }
      close(f) }
    f = "/proc/" p "/mountinfo"; c = 0; cg = 0
    while ((getline l < f) > 0) { k = split(l, F, " "); for (j = 7; j < k && F[j] != "-"; j++) ; t = F[j + 1]; mp = F[5]
      if (mp != "/" && t ~ /^(tmpfs|devpts|mqueue|overlay|shm)$/ && mp !~ /^\/(proc|sys)\//) continue
      if (t ~ /^cgroup/ && (cg++ || F[6] !~ /(^|,)rw(,|$)/)) continue
      if (++c <= 100) print p " mnt " esc(substr(F[4] " " mp " " F[6] " " t, 1, 600)) }
    close(f); if (c > 100) print p " mnt-cut " c }
  exit }
'
job_isolation() {
  have awk || return 0
  cf=
  for p in $trusted; do
    for f in /proc/$p/task/*/children; do [ -r "$f" ] && cf="$cf $f"; done
  done
  lsm=0
  { read -r _l </proc/$self/attr/current && lsm=1; } 2>/dev/null
  say "${M}isolation"
  # shellcheck disable=SC2086
  awk -v self=$self -v tr="$trusted" -v lsm=$lsm "$ESC_AWK$ISO_AWK" $cf 2>/dev/null
}

# ---------------------------------------------------------------------------------------- main
# Everything runs in order, straight to stdout, but for lsns in scope full: on small VMs, commands that
# start processes side by side cost more CPU than they save (two ip -n workers were slower than one).
# lsns only reads, like the tree part it runs beside; its output waits in a pipe (lsns blocks while the
# pipe is full) and is printed after the interfaces. No file: nothing is left behind, whenever the probe
# is killed.
run_main() {
  job_procs
  detect
  verify
  eng_files
  lxc_dirs
  [ "$scope" != tree ] || eng_docker_cli
  read up1 _ </proc/uptime
  say "${M}tree-end $up1"
  [ "$scope" != tree ] || return 0
  eng_docker_cli
  job_nets
  job_cli
  job_isolation
}
if [ "$scope" != tree ]; then
  job_lsns 2>/dev/null | { run_main >&3 3>&-; cat; } 3>&1
else
  run_main
fi
read up1 _ </proc/uptime
say "${M}end $up1"
