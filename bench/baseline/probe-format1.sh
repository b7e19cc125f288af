#!/bin/sh
# nsx probe, format 1. Source of PROBE_SCRIPT in probeScript.ts (regenerate with
# NSX_UPDATE_PROBE=1 npx mocha out/test/unit/discovery/probeScript.test.js); see that file for the format.
# Every process started costs milliseconds (more on small VMs), so each kind of data is read by one
# command for all PIDs, and forks (command substitutions, pipelines, background jobs) are few.
# Output up to `@@tree-end` is what the tree's first levels need (processes, namespaces, containers from
# the engines' own state files); interfaces and the engine CLIs' details follow in scope full.
export LC_ALL=C
[ -n "$NSX_KEEP_PATH" ] || PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
say() { printf '%s\n' "$*"; }
warn() { printf '@@warn %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
# Engine CLIs can hang on a dead daemon; bound each call when timeout(1) exists.
if have timeout; then t() { timeout 15 "$@"; }; else t() { "$@"; }; fi
nl='
'
us=
extra_docker=
scope=full
cli_cache=
while [ $# -gt 0 ]; do
  case $1 in
    --docker-socket) extra_docker="$extra_docker $2"; shift 2 ;;
    --scope) scope=$2; shift 2 ;;
    --cli-cache) cli_cache=$2; shift 2 ;;
    # The unit separator (\037), passed by the caller: $(printf) would cost a fork.
    --us) us=$2; shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$us" ] || us=$(printf '\037')
self=$$

read up0 _ </proc/uptime
say "@@nsx-probe 1"
say "@@host"
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

# ---------------------------------------------------------------------------------------- base jobs
job_lsns() {
  have lsns || return 0
  say "@@lsns"
  lsns -J -o NS,TYPE,PATH,NPROCS,PID,PNS,ONS 2>/dev/null || lsns -J -o NS,TYPE,NPROCS,PID 2>/dev/null ||
    warn "lsns failed: parent and owner namespaces are unknown"
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
  ipmode=json first=1
  [ -n "$nets" ] || nets=$(nets_list)
  while read -r ino p; do
    [ -n "$ino" ] || continue
    say "@@netns $ino $p"
    if [ -n "$first" ]; then
      # The first namespace (normally the probe's own, "-") tells what ip can do: JSON (iproute2 4.13
      # and later), one-line text (older iproute2, busybox), or nothing (no ip: /proc/net only).
      first=
      inns "$p" ip -j -d addr show 2>/dev/null && continue
      if ip -o link show >/dev/null 2>&1; then ipmode=text; else ipmode=proc; fi
      say "@@ipmode $ipmode"
      say "@@netns $ino $p"
    fi
    case $ipmode in
      json) if [ -n "$ipn" ] && case $p in /run/netns/*|/var/run/netns/*) ip -n "${p##*/}" -j -d addr show ;;
                   *) ip -n "../../../../../../../..$p" -j -d addr show ;; esac 2>/dev/null; then :
            else inns "$p" ip -j -d addr show 2>/dev/null || warn "ip failed in netns $ino"; fi ;;
      text) inns "$p" ip -o -d link show 2>/dev/null || inns "$p" ip -o link show 2>/dev/null
            say "@@netns-addr $ino"
            inns "$p" ip -o addr show 2>/dev/null ;;
      proc) say "@@netns-dev $ino"
            inns "$p" cat /proc/net/dev /proc/net/if_inet6 2>/dev/null ;;
    esac
  done <<NSX_EOF
$nets
NSX_EOF
}
inns() {
  p=$1; shift
  if [ "$p" = - ]; then "$@"; else nsenter --net="$p" "$@"; fi
}

# ---------------------------------------------------------------------------------------- engines
# PROC_AWK reads what the tree needs of every process, in one process (each one started costs
# milliseconds), and prints it compactly (at 2,000 processes the output is what costs most after that):
#   @@nsp    from stat's "/proc/PID/ns/TYPE INODE" lines (stdin): "PID NET PID MNT UTS IPC USER CGROUP
#            TIME", the inodes ("-": not read);
#   @@args   each argument of each command line: "PID:ARG" (ARG cut to 290 characters, newlines inside
#            it as \037);
#   @@procs  from status and cgroup: "PID<tab>NAME<tab>STATE<tab>PPID<tab>UID<tab>NSPID...[<tab>CGROUP
#            LINE]" (the kernel escapes tabs in NAME; the first cgroup line matching -v cg=REGEX);
#   @@files  "FILE:LINE": the uid_map of one process per user namespace (a uid map belongs to the
#            namespace), and every argument that is not a /proc/PID directory, whole.
# -v kt="PID ..." names kernel threads (their command lines are empty). mawk and gawk read the
# NUL-terminated command lines themselves (z=1); other awks get "/proc/PID/cmdline:ARG" lines on stdin
# after stat's (z=0, from grep -z and tr).
# Daemons and shims, told by their argv[0] in those command lines, give sockets, data roots, podman
# stores and containerd namespaces: one line per finding (fields separated by \037) goes to -v out=FILE
# (to stdout without it, where then nothing else goes):
#   D pid root sockets   a dockerd: data root ("" when unknown) and its API sockets
#   C socket | F config  a containerd: its socket, or its config file (the socket is inside)
#   S pid namespace sock the first shim of each containerd namespace (its bundle's siblings are the tasks)
#   R root               a containerd's root directory (its metadata database is under it)
#   M rec                a conmon's podman store flags, \037-separated (--root=…, --runroot=…)
#   O pid                a CRI-O daemon
#   N inode path         a network namespace and where to enter it ("-": the probe's own; -v self=PID)
PROC_AWK='
function flagval(j, f,   l) { l = length(f) + 1
  if (args[j] == f) { used = 1; return args[j + 1] }
  if (substr(args[j], 1, l) == f "=") { used = 1; return substr(args[j], l + 1) }
  return "" }
function sock(s) { if (s ~ /^unix:\/\//) s = substr(s, 8); else if (s ~ /^fd:\/\//) s = "/run/docker.sock"; else return ""
  if (s ~ /^\/var\/run\//) s = substr(s, 5); return s }
function pm(f) { return f ~ /^--(root|runroot|tmpdir|storage-driver|storage-opt|runtime|cgroup-manager|events-backend|network-config-dir|network-backend|volumepath|db-backend|imagestore|cni-config-dir)$/ }
function emit(s) { if (out != "") print s > out; else print s }
function fin(   j, v, r, socks, conf, hs, line, ns, a, sr, e, rs) {
  # Files read here are read by lines, whatever the record separator of the input.
  rs = RS; RS = "\n"
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
    if (r == "") { if (conf == "") conf = "/etc/docker/daemon.json"
      while ((getline line < ("/proc/" pid "/root" conf)) > 0)
        if (match(line, /"data-root"[ \t]*:[ \t]*"[^"]*"/)) { r = substr(line, RSTART, RLENGTH); sub(/^"data-root"[ \t]*:[ \t]*"/, "", r); sub(/"$/, "", r) }
      close("/proc/" pid "/root" conf) }
    # A daemon not run by root (rootless) keeps its data under its own home: leave it to the CLI.
    if (r == "") { while ((getline line < ("/proc/" pid "/status")) > 0) if (line ~ /^Uid:[ \t]+0[ \t]/) r = "/var/lib/docker"
      close("/proc/" pid "/status") }
    emit("D" US pid US r US substr(socks, 2))
  } else if (kind == "c") {
    hs = 0; r = ""; conf = "/etc/containerd/config.toml"
    for (j = 1; j < n; j++) {
      used = 0; v = flagval(j, "-a"); if (!used) v = flagval(j, "--address"); if (used) { hs = 1; emit("C" US v) }
      used = 0; v = flagval(j, "-c"); if (!used) v = flagval(j, "--config"); if (used) { hs = 1; emit("F" US v); conf = v }
      used = 0; v = flagval(j, "--root"); if (used) r = v
    }
    if (!hs) emit("C" US "/run/containerd/containerd.sock")
    if (r == "") { while ((getline line < conf) > 0) if (line ~ /^root[ \t]*=[ \t]*"/) { r = line; sub(/^root[ \t]*=[ \t]*"/, "", r); sub(/".*/, "", r) }
      close(conf) }
    emit("R" US (r == "" ? "/var/lib/containerd" : r))
  } else if (kind == "s") {
    ns = ""; a = ""
    for (j = 1; j < n; j++) {
      used = 0; v = flagval(j, "-namespace"); if (!used) v = flagval(j, "--namespace"); if (used) ns = v
      used = 0; v = flagval(j, "-address"); if (!used) v = flagval(j, "--address"); if (used) a = v
    }
    if (!((a SUBSEP ns) in seens)) { seens[a, ns] = 1; emit("S" US pid US ns US a) }
  } else if (kind == "m") {
    sr = ""; e = ""
    for (j = 1; j < n; j++) if (args[j - 1] == "--exit-command-arg") {
      if (pm(e)) sr = sr US e "=" args[j]
      v = args[j]; sub(/=.*/, "", v); if (pm(v) && v != args[j]) sr = sr US args[j]
      e = args[j]
    }
    if (sr != "" && !(sr in seenm)) { seenm[sr] = 1; emit("M" US sr) }
  } else if (kind == "o") emit("O" US pid)
  RS = rs
  kind = ""
}
function rec(f, v) {
  if (f != cur) { fin(); cur = f; pid = f; sub(/\/cmdline$/, "", pid); sub(/.*\//, "", pid); n = 0
    b = v; sub(/.*\//, "", b)
    if (b == "dockerd") kind = "d"; else if (b == "containerd") kind = "c"; else if (b == "conmon") kind = "m"; else if (b ~ /^containerd-shim/) kind = "s"; else if (b == "crio") kind = "o"; else kind = "" }
  if (out != "") print pid ":" substr(v, 1, 290)
  if (kind != "") args[n++] = v }
BEGIN { US = sprintf("%c", 31)
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
    print "@@nsp"
    for (k = 1; k <= np; k++) { p = nso[k]; q = p; sub(/.*\//, "", q)
      for (j = 1; j <= 8; j++) q = q " " (((p, nst[j]) in nsv) ? nsv[p, nst[j]] : "-")
      print q }
    print "@@args"
  }
  for (k = 1; k <= ncl; k++) { l = cl[k]; i = index(l, ":"); rec(substr(l, 1, i - 1), substr(l, i + 1)) }
  if (z == 1) {
    RS = "\0"
    for (i = 1; i < ARGC; i++) { d = ARGV[i]; if (d !~ /\/[0-9]+$/ || d in isk) continue
      f = d "/cmdline"
      while ((getline v < f) > 0) { gsub(/\n/, US, v); rec(f, v) }
      close(f) }
    RS = "\n"
  }
  fin()
  if (out == "") exit
  print "@@procs"
  for (i = 1; i < ARGC; i++) { d = ARGV[i]; if (d !~ /\/[0-9]+$/) continue
    f = d "/status"; pn = ""; st = ""; pp = ""; uid = ""; nsp = ""
    while ((getline l < f) > 0) {
      if (l ~ /^Name:/) pn = substr(l, 7)
      else if (l ~ /^State:/) { st = substr(l, 8); sub(/ .*/, "", st) }
      else if (l ~ /^PPid:/) pp = substr(l, 7)
      else if (l ~ /^Uid:/) { uid = substr(l, 6); sub(/\t.*/, "", uid) }
      else if (l ~ /^NSpid:/) { nsp = substr(l, 8); gsub(/\t/, " ", nsp) } }
    close(f)
    if (pn == "") continue
    q = d; sub(/.*\//, "", q); cgl = ""; hc = 0
    f = d "/cgroup"; while ((getline l < f) > 0) if (!hc && l ~ cg) { cgl = l; hc = 1 }; close(f)
    print q "\t" pn "\t" st "\t" pp "\t" uid "\t" nsp (hc ? "\t" cgl : "")
    u = usern[d]; if (u != "" && !(u in seenu)) { seenu[u] = 1; um[++nu] = d "/uid_map" }
  }
  print "@@files"
  for (k = 1; k <= nu; k++) { f = um[k]; while ((getline l < f) > 0) print f ":" l; close(f) }
  for (i = 1; i < ARGC; i++) { d = ARGV[i]; if (d ~ /\/[0-9]+$/) continue
    while ((getline l < d) > 0) { print d ":" l
      # nsfs mounts of network namespaces (mount points with escapes, such as spaces, cannot be passed on)
      if (d ~ /\/mountinfo$/) { split(l, a, " "); if (a[4] ~ /^net:\[[0-9]+\]$/ && a[5] !~ /\\/) {
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
CV=
canon() { case $1 in /var/run/*) CV=/run/${1#/var/run/} ;; *) CV=$1 ;; esac; }
# Reads the detector's lines (stdin) into dk_daemons ("PID<us>ROOT<us>SOCKS" lines), dk_socks,
# ct_socks, ct_confs, pm_stores (records, one per line), shim_paths and k8s_paths (bundle globs).
detect() {
  dk_daemons= dk_socks= ct_socks= ct_confs= ct_roots= pm_stores= shim_paths= k8s_paths= crio= nets=
  while IFS= read -r line; do
    kind=${line%%"$us"*}; rest=${line#*"$us"}
    # A conmon's record keeps its own \037 separators; the other findings are split into $1 $2 $3.
    [ "$kind" = M ] && { pm_stores="$pm_stores$rest$nl"; continue; }
    set -f; oifs=$IFS; IFS=$us
    # shellcheck disable=SC2086
    set -- $rest
    IFS=$oifs; set +f
    case $kind in
      D) dsocks=
         for s in $3; do
           [ -S "$s" ] || { [ -S "/proc/$1/root$s" ] && s=/proc/$1/root$s; }
           canon "$s"; dsocks="$dsocks $CV"
         done
         dk_socks="$dk_socks$dsocks"; dk_daemons="$dk_daemons$1$us$2$us$dsocks$nl" ;;
      C) ct_socks="$ct_socks $1" ;;
      F) ct_confs="$ct_confs $1" ;;
      R) ct_roots="$ct_roots $1" ;;
      O) crio=1 ;;
      N) nets="$nets$1 $2$nl" ;;
      S) shim_paths="$shim_paths /proc/$1/cwd/../*/init.pid"
         [ "$2" = k8s.io ] && k8s_paths="$k8s_paths /proc/$1/cwd/../*/config.json" ;;
    esac
  done
}
# The engines' own state files, read by one grep after PROC_AWK has found the daemons: each docker
# daemon's containers/*/config.v2.json and hostconfig.json under its data root (as the daemon sees its
# file system), each podman store's
# containers.json (id, name and image of every container, running or not; conmon's child is the init of
# a running one), each containerd namespace's task bundles (a shim runs in its task's bundle directory;
# the namespace's other bundles sit beside it, each with the init's pid), and registered nspawn machines.
# The docker CLI only for sockets whose daemon's files cannot be read.
eng_files() {
  files= covered=' '
  while IFS=$us read -r dp droot dsocks; do
    [ -n "$dp" ] || continue
    r=/proc/$dp/root$droot/containers
    [ -n "$droot" ] && [ -d "$r" ] && [ -x "$r" ] || continue
    files="$files $r/*/config.v2.json $r/*/hostconfig.json"
    covered="$covered$dsocks "
  done <<NSX_EOF
$dk_daemons
NSX_EOF
  pm_roots_list
  while IFS= read -r r; do
    [ -n "$r" ] && files="$files $r/*-containers/containers.json"
  done <<NSX_EOF
$roots
NSX_EOF
  say "@@files"
  # shellcheck disable=SC2086
  [ -z "$files$shim_paths" ] && ! [ -e /run/systemd/machines ] ||
    grep -sH -e '^[[{]' -e '^[0-9][0-9]*$' -e '^[A-Z_]*=' $files $shim_paths /run/systemd/machines/*
  if [ -n "$k8s_paths" ]; then
    say "@@cri-annotations"
    # shellcheck disable=SC2086
    grep -soH -e '"io.kubernetes.cri.[a-z-]*":"[^"]*"' $k8s_paths
  fi
  have docker || return 0
  socks=$dk_socks
  [ -S /var/run/docker.sock ] && socks="$socks /run/docker.sock"
  case $DOCKER_HOST in unix://*) canon "${DOCKER_HOST#unix://}"; socks="$socks $CV" ;; esac
  for s in $extra_docker; do canon "$s"; socks="$socks $CV"; done
  done_socks=$covered
  fmt='[{{json .Id}},{{json .Name}},{{json .Config.Image}},{{json .State.Status}},{{json .State.Pid}},{{json .Config.Hostname}},{{json .HostConfig.NetworkMode}},{{json .HostConfig.Runtime}},{{json .HostConfig.PidMode}},{{json .Config.Labels}}]'
  for s in $socks; do
    case $done_socks in *" $s "*) continue ;; esac
    done_socks="$done_socks$s "
    [ -S "$s" ] || continue
    if ids=$(t docker -H "unix://$s" ps -aq 2>&1); then
      say "@@docker $s"
      # One inspect for all ids; a container removed in between only drops out of the list.
      [ -n "$ids" ] && t docker -H "unix://$s" inspect --format "$fmt" $ids 2>/dev/null
    else
      warn "docker on $s: ${ids%%"$nl"*}"
    fi
  done
}

# -------------------------------------------------------------------- engine CLIs (scope full)
# podman: the store flags conmon passes to its --exit-command (podman ... container cleanup ID) select
# exactly that store, so `podman FLAGS ps` lists it.
eng_podman() {
  have podman || return 0
  pm_default=
  # The default store only when it holds containers (a podman call costs a hundred ms).
  for f in /var/lib/containers/storage/*-containers/containers.json; do
    [ -s "$f" ] && read -r x <"$f" && [ "$x" != "[]" ] && pm_default=1
  done
  stores=
  while IFS= read -r rec; do
    [ -n "$rec" ] || continue
    case $rec in
      *"$us--root=/var/lib/containers/storage$us"*|*"$us--root=/var/lib/containers/storage") pm_default=1; continue ;;
      *"$us--root="*) stores="$stores$rec$nl" ;;
    esac
  done <<NSX_EOF
$pm_stores
NSX_EOF
  if [ -n "$pm_default" ]; then
    say "@@podman - -"
    t podman ps -a --format json 2>/dev/null || warn "podman ps failed"
  fi
  while IFS= read -r rec; do
    [ -n "$rec" ] || continue
    r=${rec#*"$us--root="}; r=${r%%"$us"*}
    rr=-
    case $rec in *"$us--runroot="*) rr=${rec#*"$us--runroot="}; rr=${rr%%"$us"*} ;; esac
    say "@@podman $r $rr"
    set -f; oifs=$IFS; IFS=$us
    # shellcheck disable=SC2086
    set -- ${rec#"$us"}
    IFS=$oifs; set +f
    t podman "$@" ps -a --format json 2>/dev/null || warn "podman ps failed for $r"
  done <<NSX_EOF
$stores
NSX_EOF
}

eng_ctr() {
  have ctr || return 0
  socks=$ct_socks
  [ -S /run/containerd/containerd.sock ] && socks="$socks /run/containerd/containerd.sock"
  for c in $ct_confs; do
    s=$(sed -n '/^\[grpc\]/,/^\[/s/^[[:space:]]*address[[:space:]]*=[[:space:]]*"\(..*\)".*/\1/p' "$c" 2>/dev/null)
    socks="$socks ${s:-/run/containerd/containerd.sock}"
  done
  done_socks=' '
  for s in $socks; do
    canon "$s"; s=$CV
    case $done_socks in *" $s "*) continue ;; esac
    done_socks="$done_socks$s "
    [ -S "$s" ] || continue
    nss=$(t ctr -a "$s" namespaces ls -q 2>/dev/null) || { warn "ctr could not reach $s"; continue; }
    for n in $nss; do
      # Docker's own namespace only repeats the containers docker listed. Tasks (running or not, and
      # their init pids) come from the bundles in engine-files.
      [ "$n" = moby ] && [ -n "$dk_socks" ] && continue
      say "@@ctr-containers $s $n"
      t ctr -a "$s" -n "$n" containers ls 2>/dev/null
      if have nerdctl; then
        say "@@nerdctl $s $n"
        t nerdctl -a "$s" -n "$n" ps -a --format '{{json .}}' 2>/dev/null
      fi
    done
  done
}

# CRI: crictl asks the runtime over its socket. Under containerd its answers live in containerd's
# metadata database, so they are reused with ctr's (see job_cli); CRI-O keeps state elsewhere.
eng_crictl() {
  have crictl || return 0
  if p=$(t crictl pods -o json 2>/dev/null); then
    say "@@crictl-pods"; say "$p"
    say "@@crictl-ps"; t crictl ps -a -o json 2>/dev/null
  fi
}
# LXC: the containers of the configured lxcpath are its directories with a config; a running one also
# has a "[lxc monitor] LXCPATH NAME" process (in the command lines), whose child is its init.
lxc_dirs() {
  lp=/var/lib/lxc
  if [ -r /etc/lxc/lxc.conf ]; then
    while IFS=' =' read -r k v; do
      [ "$k" = lxc.lxcpath ] && [ -n "$v" ] && lp=$v
    done </etc/lxc/lxc.conf
  fi
  [ -d "$lp" ] || return 0
  say "@@lxc-dirs $lp"
  for c in "$lp"/*/config; do
    [ -f "$c" ] || continue
    c=${c%/config}; say "${c##*/}"
  done
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
  while IFS= read -r rec; do
    case $rec in *"$us--root="*) r=${rec#*"$us--root="}; r=${r%%"$us"*}
      case $nl$roots in *"$nl$r$nl"*) ;; *) roots="$roots$r$nl" ;; esac ;;
    esac
  done <<NSX_EOF
$pm_stores
NSX_EOF
}
job_cli() {
  cached=
  if have podman || have ctr || have crictl; then
    cli_fingerprint
    say "@@cli-fingerprint $fp"
    [ -n "$cli_cache" ] && [ "$cli_cache" = "$fp" ] && cached=1
  fi
  if [ -n "$cached" ]; then
    say "@@cli-cached"
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
    det=$(ns_stat | awk -v out=/dev/stderr -v z=1 -v self=$self -v kt="$kt" -v cg="$cg" "$PROC_AWK" /proc/[0-9]* \
      /proc/$self/mountinfo /sys/class/net/*/ifindex /sys/class/net/*/iflink 2>&1 >&3 3>&-)
  elif have awk; then
    det=$({ ns_stat; cmdlines_tr; } | awk -v out=/dev/stderr -v z=0 -v self=$self -v kt="$kt" -v cg="$cg" "$PROC_AWK" \
      /proc/[0-9]* /proc/$self/mountinfo /sys/class/net/*/ifindex /sys/class/net/*/iflink 2>&1 >&3 3>&-)
  fi
  r=$?
  # An awk that failed or was killed part-way leaves a partial snapshot (maybe a cut line): say so.
  if [ $r != 0 ] && have awk; then
    say ""
    warn "reading the processes failed (awk exit status $r): the snapshot is partial"
  elif ! have awk; then
    det=
    say "@@ns"
    ns_stat
    warn "awk is missing: engines are looked for at their default paths only"
    say "@@cmdline"
    cmdlines_tr | cut -c1-300
    say "@@files"
    grep -sH -e '^Name:' -e '^State:' -e '^PPid:' -e '^Uid:' -e '^NSpid:' -e '^ *[0-9][0-9]* ' -e '^[0-9][0-9]*$' -e "$cg" \
      /proc/[0-9]*/status /proc/[0-9]*/uid_map /proc/[0-9]*/cgroup /proc/$self/mountinfo /sys/class/net/*/ifindex /sys/class/net/*/iflink
  fi
  exec 3>&-
}

# ---------------------------------------------------------------------------------------- main
# Everything runs in order, straight to stdout, but for lsns in scope full: on small VMs, commands that
# start processes side by side cost more CPU than they save (two ip -n workers were slower than one).
# lsns only reads, like the tree part it runs beside, into a file under /run (as root: only root can
# create entries there, so no name can be planted) that is printed after the interfaces.
lf=
if [ "$scope" != tree ] && [ -O /run ] && [ -w /run ]; then
  lf=/run/.nsx-probe.$self.lsns
  trap 'rm -f "$lf"; exit 143' HUP INT TERM
  job_lsns >"$lf" 2>/dev/null &
fi
job_procs
detect <<NSX_EOF
$det
NSX_EOF
eng_files
lxc_dirs
read up1 _ </proc/uptime
say "@@tree-end $up1"
if [ "$scope" != tree ]; then
  if [ -n "$lf" ]; then
    job_nets
    job_cli
    wait
    cat "$lf"
    rm -f "$lf" </dev/null >/dev/null 2>&1 &
  else
    job_lsns
    job_nets
    job_cli
  fi
fi
read up1 _ </proc/uptime
say "@@end $up1"
