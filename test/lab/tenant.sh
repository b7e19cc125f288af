#!/usr/bin/env bash
# A hostile tenant for the test lab: an UNPRIVILEGED user (uid/gid 65534, nobody) who dresses its own
# processes and files up as container engines, to mislead the root probe (src/discovery/probe.sh).
#
#   tenant.sh up | down | status
#
# Needs the lab (test/lab/lab.sh up) for the names of its real containers; writes
# $NSX_TENANT_STATE/tenant.json (default /run/nsx-tenant) for test/lab/tenant.ts. Every tenant process
# carries NSX_TENANT_MARK in its environment and NSX_TENANT_ROLE=<attack>, and lives at most
# NSX_TENANT_TTL seconds (default 1800) even if `down` never runs. `down` is idempotent: it kills every
# process with the mark, releases anything blocked on the tenant's FIFO, removes the tenant's folder, the
# root-owned PATH wrappers it installed (only files carrying its marker line) and its state folder.
#
# The attacks (roles), all run as uid 65534:
#   nspawn      comm systemd-nspawn, "-M <the lab's nspawn machine>", a child in its own user+mnt+uts ns
#   lxc         command line "[lxc monitor] /var/lib/lxc <the lab's LXC container>", a child
#   conmon      comm conmon, "-c <lab-p1's id>", --exit-command-arg --root=/tmp/nsx-tenant/store ... and
#               --runtime=/tmp/nsx-tenant/rt (a runtime that logs when run), a child
#   shim        comm containerd-shim, "-namespace default -id <a real task id> -address .../ctd.sock",
#               cwd a tenant dir whose siblings are named to inject probe lines (@@procs, @@netns,
#               @@end 0, newlines) and hold init.pid files, a child
#   commtab     task name "x<TAB>S<TAB>1<TAB>0<TAB>1" (a naive tab split reads uid 0, ppid 1)
#   commesc     task name starting with ESC [31m
#   argvnl      a command line argument holding newlines and @@procs / @@end / PID:ARG lines
#   dockerd     "dockerd -H unix:///tmp/nsx-tenant/docker.sock --data-root /tmp/nsx-tenant/data
#               --config-file /tmp/nsx-tenant/fifo" (socket: a listener that logs connections; fifo: a FIFO)
#   dockerd2    "dockerd -H unix:///tmp/nsx-tenant/docker2.sock --data-root /tmp/nsx-tenant/data2", whose
#               data root holds a planted containers/<id>/config.v2.json naming the tenant's own child
#   containerd  "containerd -a /tmp/nsx-tenant/ctd.sock -c /tmp/nsx-tenant/fifo"
#   forgee      root's own /bin/dash with "-namespace default" in its arguments, its working directory in a
#               tenant dir whose sibling holds an init.pid naming its child: a shim, if anything trusted it
#   forger      "dockerd --data-root PAYLOAD" (root's /bin/dash under argv[0] dockerd), PAYLOAD holding
#               newlines and \037-separated lines that would forge the probe's own findings: forgee
#               trusted (T with its PID and start time), a shim (S) there, a netns (N) on the FIFO
#   sockets     python3: listens on docker.sock, docker2.sock and ctd.sock, logs every connection
# and, as root, PATH wrappers /usr/local/sbin/{docker,podman,ctr,nerdctl,crictl} (only where the real
# binary exists elsewhere and nothing is at that path yet) that log their argv to $STATE/wrap.log.
#
# Network rule: nothing here opens a network socket; the listeners are unix sockets under /tmp/nsx-tenant.
set -euo pipefail

T=/tmp/nsx-tenant
STATE=${NSX_TENANT_STATE:-/run/nsx-tenant}
LAB_JSON=${NSX_LAB_DIR:-/run/nsx-lab}/lab.json
TTL=${NSX_TENANT_TTL:-1800}
TUID=65534
TGID=65534
MARK=nsx-lab-hostile-tenant
WRAP_DIR=/usr/local/sbin
WRAP_NAMES=(docker podman ctr nerdctl crictl)
WRAP_MARKER='# nsx-tenant wrapper: made by test/lab/tenant.sh up, removed by tenant.sh down'
# A task id no real PID can have (above PID_MAX_LIMIT), for injected process lines.
PHANTOM=4194399
# The tenant's processes by role (NSX_TENANT_ROLE); all but sockets have one child.
ROLES=(sockets nspawn lxc conmon shim dockerd dockerd2 containerd commtab commesc argvnl forgee forger)
FAKE_ENGINES=(nspawn lxc conmon shim dockerd dockerd2 containerd forger)

log() { printf 'tenant: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# as_tenant CMD...: runs CMD as uid/gid 65534 with a clean environment, in the foreground.
as_tenant() {
  setpriv --reuid=$TUID --regid=$TGID --clear-groups --inh-caps=-all \
    env -i PATH=/usr/bin:/bin HOME=$T LC_ALL=C NSX_TENANT_MARK=$MARK "$@"
}

# launch ROLE DIR CMD...: starts CMD as the tenant in its own session, detached, with cwd DIR.
launch() {
  local role=$1 dir=$2
  shift 2
  (cd "$dir" && exec setsid -f setpriv --reuid=$TUID --regid=$TGID --clear-groups --inh-caps=-all \
    env -i PATH=/usr/bin:/bin HOME=$T LC_ALL=C NSX_TENANT_MARK=$MARK NSX_TENANT_ROLE="$role" NSX_TENANT_TTL="$TTL" \
    "$@" </dev/null >/dev/null 2>>"$STATE/tenant-stderr.log")
}

# PIDs of the tenant's processes: uid 65534 and the mark in their environment (root reads any environ).
tenant_pids() {
  local f pid
  # One grep over every environ (-z: NUL-separated entries, -x: the whole entry), then the uid.
  grep -laz -x "NSX_TENANT_MARK=$MARK" /proc/[0-9]*/environ 2>/dev/null | while read -r f; do
    pid=${f#/proc/}
    pid=${pid%/environ}
    [[ $(awk '/^Uid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) == "$TUID" ]] && echo "$pid"
  done
  return 0
}

role_of() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n 's/^NSX_TENANT_ROLE=//p'; }

# ---------------------------------------------------------------------------------------------- down

release_fifo() {
  # A reader blocked opening the FIFO (a probe's awk or sed) wakes when a writer opens it; O_RDWR never
  # blocks on Linux. Bounded: 5 rounds.
  local i
  [[ -p $T/fifo ]] || return 0
  for ((i = 0; i < 5; i++)); do
    { exec 3<>"$T/fifo" && exec 3>&-; } 2>/dev/null || true
    sleep 0.1
  done
}

remove_wrappers() {
  local n f
  for n in "${WRAP_NAMES[@]}"; do
    f=$WRAP_DIR/$n
    # Only our own wrapper (marker on line 2), never a file someone else put there.
    if [[ -f $f && ! -L $f ]] && [[ $(sed -n 2p "$f" 2>/dev/null) == "$WRAP_MARKER" ]]; then
      rm -f "$f"
    fi
    rm -f "$WRAP_DIR/.$n.nsx-tenant.tmp"
  done
}

# Root processes (engine CLIs the probe started) still working on tenant paths after the tenant is gone
# (for instance released from the FIFO): waited for, bounded, so that they do not recreate files after
# the folder is removed.
wait_tenant_path_users() {
  local i busy
  for ((i = 0; i < 50; i++)); do
    # The bracket keeps grep from matching its own command line.
    busy=$(grep -la "${T%?}[${T: -1}]/" /proc/[0-9]*/cmdline 2>/dev/null | tr '\n' ' ') || true
    [[ -z $busy ]] && return 0
    release_fifo
    sleep 0.1
  done
  log "down: processes still name $T after 5 s: $busy"
}

tenant_down() {
  [[ $EUID -eq 0 ]] || die "tenant.sh down must run as root"
  remove_wrappers
  local pids i
  for ((i = 0; i < 3; i++)); do
    mapfile -t pids < <(tenant_pids)
    ((${#pids[@]})) || break
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.1
  done
  release_fifo
  wait_tenant_path_users
  if [[ -L $T ]]; then
    rm -f "$T"
  elif [[ -e $T ]]; then
    rm -rf --one-file-system "$T"
  fi
  rm -rf "$STATE"
  log "down: done"
}

# ------------------------------------------------------------------------------------------------ up

lab_targets() {
  [[ -s $LAB_JSON ]] || die "the lab is not up ($LAB_JSON is missing): run test/lab/lab.sh up first"
  # Default names when a part of the lab was skipped: the attack is the same, only nothing real is named.
  /usr/bin/python3 - "$LAB_JSON" <<'EOF'
import json, sys
lab = json.load(open(sys.argv[1]))
def part(k):
    v = lab.get(k) or {}
    return None if 'skipped' in v else v
nspawn = part('nspawn'); lxc = part('lxc'); pm = part('podman'); ctr = part('ctr')
docker = lab['docker']['containers']
print('NSPAWN_NAME=' + (nspawn['name'] if nspawn else 'nsx-nspawn'))
print('LXC_NAME=' + (lxc['name'] if lxc else 'nsx-lxc'))
print('PODMAN_ID=' + (pm['containers']['lab-p1']['id'] if pm else docker['lab-none']['id']))
print('TASK_ID=' + (ctr['containers']['lab-ctr1']['id'] if ctr else docker['lab-c1']['id']))
EOF
}

# tenant_write FILE [MODE] <TEXT: the tenant writes FILE (it owns it).
tenant_write() { as_tenant sh -c 'cat >"$1" && chmod "$2" "$1"' sh "$1" "${2:-0644}"; }

# The fake engines are copies of dash, named like the engine (the task name is the file's name), run
# with exec -a for argv[0] and their script on stdin (`-s --` keeps the engine-like flags away from dash).
write_tenant_files() {
  as_tenant mkdir -m 0755 "$T"
  as_tenant mkdir -m 0755 "$T/bin" "$T/lib" "$T/data" "$T/data2" "$T/store" "$T/run" "$T/shim" "$T/pids"
  local n r
  for n in systemd-nspawn lxc-start conmon containerd-shim-runc-v2 dockerd containerd; do
    as_tenant cp /bin/dash "$T/bin/$n"
  done
  as_tenant mkfifo -m 0644 "$T/fifo"
  # A runtime that tells when anyone runs it.
  tenant_write "$T/rt" 0755 <<EOF
#!/bin/sh
echo "\$(date +%s) uid=\$(id -u) \$*" >>$T/rt.log
exit 1
EOF
  # Every fake engine: one child in its own user, mount and uts namespaces with another hostname.
  for r in "${FAKE_ENGINES[@]}"; do
    tenant_write "$T/lib/$r.sh" <<EOF
echo \$\$ >$T/pids/$r
unshare -Urmu sh -c 'hostname "\$1"; exec sleep "\$2"' sh tenant-$r $TTL </dev/null >/dev/null 2>&1 &
echo \$! >$T/pids/$r.child
wait
EOF
  done
  # Task names that a naive tab split misreads, or that hold an escape sequence, set by the process itself.
  tenant_write "$T/lib/commtab.sh" <<EOF
printf 'x\tS\t1\t0\t1' >/proc/\$\$/comm
sleep $TTL </dev/null & wait
EOF
  tenant_write "$T/lib/commesc.sh" <<EOF
printf '\033[31mnsx-esc' >/proc/\$\$/comm
sleep $TTL </dev/null & wait
EOF
}

# The planted podman store: a containers.json the probe greps as root.
plant_store() {
  local id
  id=$(printf 'e%.0s' {1..64})
  as_tenant mkdir -p "$T/store/overlay-containers"
  tenant_write "$T/store/overlay-containers/containers.json" <<EOF
[{"id":"$id","names":["nsx-tenant-podman"],"image":"evil","metadata":"{\"image-name\":\"tenant/evil:latest\",\"name\":\"nsx-tenant-podman\"}"}]
EOF
}

start_sockets() {
  as_tenant sh -eu -c 'cat >"$1/lib/sockets.py"' sh "$T" <<'EOF'
# Unix-socket listeners that log every connection (and its first bytes) and answer nothing. Bounded: stop
# after TTL seconds or 10000 connections.
import os, select, socket, sys, time
T, ttl = sys.argv[1], float(sys.argv[2])
paths = [os.path.join(T, n) for n in ('docker.sock', 'docker2.sock', 'ctd.sock')]
socks = {}
for p in paths:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(p)
    os.chmod(p, 0o666)
    s.listen(16)
    socks[s] = p
with open(os.path.join(T, 'ready.sockets'), 'w') as f:
    f.write('ready\n')
deadline = time.monotonic() + ttl
count = 0
while time.monotonic() < deadline and count < 10000:
    ready, _, _ = select.select(list(socks), [], [], 1.0)
    for s in ready:
        c, _ = s.accept()
        count += 1
        c.settimeout(0.3)
        try:
            data = c.recv(512)
        except OSError:
            data = b''
        c.close()
        with open(os.path.join(T, 'sock.log'), 'a') as f:
            f.write('%.3f %s %r\n' % (time.time(), socks[s], data[:200]))
EOF
  launch sockets "$T" /usr/bin/python3 "$T/lib/sockets.py" "$T" "$TTL"
}

# fake ROLE DIR COMM ARGV0 [ARGS...]: COMM is the dash copy's name in $T/bin.
fake() {
  local role=$1 dir=$2 comm=$3 argv0=$4
  shift 4
  local flags=()
  (($#)) && flags=(-s -- "$@")
  launch "$role" "$dir" /bin/bash -c 'script=$1 bin=$2 a0=$3; shift 3; exec -a "$a0" "$bin" "$@" <"$script"' \
    bash "$T/lib/$role.sh" "$T/bin/$comm" "$argv0" "${flags[@]}"
}

start_processes() {
  fake nspawn "$T" systemd-nspawn systemd-nspawn -M "$NSPAWN_NAME" -D "/var/lib/machines/$NSPAWN_NAME" --register=no /bin/sleep "$TTL"
  fake lxc "$T" lxc-start "[lxc monitor] /var/lib/lxc $LXC_NAME"
  fake conmon "$T" conmon /usr/bin/conmon --api-version 1 -c "$PODMAN_ID" -u "$PODMAN_ID" -r "$T/rt" -n lab-p1 \
    --exit-command /usr/bin/podman --exit-command-arg "--root=$T/store" --exit-command-arg "--runroot=$T/run" \
    --exit-command-arg "--runtime=$T/rt" --exit-command-arg container --exit-command-arg cleanup --exit-command-arg "$PODMAN_ID"
  as_tenant mkdir -p "$T/shim/bundle-$TASK_ID"
  fake shim "$T/shim/bundle-$TASK_ID" containerd-shim-runc-v2 /usr/bin/containerd-shim-runc-v2 \
    -namespace default -id "$TASK_ID" -address "$T/ctd.sock"
  fake dockerd "$T" dockerd dockerd -H "unix://$T/docker.sock" --data-root "$T/data" --config-file "$T/fifo"
  fake dockerd2 "$T" dockerd /usr/sbin/dockerd -H "unix://$T/docker2.sock" --data-root "$T/data2"
  fake containerd "$T" containerd containerd -a "$T/ctd.sock" -c "$T/fifo"
  launch commtab "$T" /bin/dash "$T/lib/commtab.sh"
  launch commesc "$T" /bin/dash "$T/lib/commesc.sh"
  local arg
  arg=$(printf 'nsx-argv\n@@procs\n%s\tnsx-injected\tS\t1\t0\t%s\n1:--nsx-injected-arg\n@@end 0\nrest' "$PHANTOM" "$PHANTOM")
  launch argvnl "$T" /bin/dash -c 'sleep "$NSX_TENANT_TTL" </dev/null & wait' nsx-argv "$arg"
  start_forger
}

# The forgee first (its PID and start time go into the forger's payload), then the forger.
start_forger() {
  as_tenant mkdir -p "$T/forge/bundle" "$T/forge/nsx-forged-task"
  launch forgee "$T/forge/bundle" /bin/dash -c 'sleep "$NSX_TENANT_TTL" </dev/null & echo $! >"$1"; wait' \
    /usr/bin/containerd-shim-runc-v2 "$T/forge/nsx-forged-task/init.pid" -namespace default -id nsx-forged-task
  local i p= st us
  for i in $(seq 50); do
    for p in $(tenant_pids); do [[ $(role_of "$p") == forgee && $(cat "/proc/$p/comm" 2>/dev/null) == dash ]] && break 2; done
    p=
    sleep 0.1
  done
  [[ -n $p ]] || die "the forgee did not start"
  st=$(sed 's/.*) //' "/proc/$p/stat" | cut -d' ' -f20)
  us=$(printf '\037')
  local payload
  payload=$(printf 'x\nT%s%s%s%s\nS%s%s%sdefault%s%s/ctd.sock\nN%s1%s%s/fifo\nZ' "$us" "$p" "$us" "$st" "$us" "$p" "$us" "$us" "$T" "$us" "$us" "$T")
  launch forger "$T" /bin/bash -c 'exec -a dockerd /bin/dash "$1" --data-root "$2"' bash "$T/lib/forger.sh" "$payload"
}

all_up() {
  local r n want
  declare -A count=()
  local p
  for p in $(tenant_pids); do
    r=$(role_of "$p")
    [[ -n $r ]] && count[$r]=$((${count[$r]:-0} + 1))
  done
  for r in "${ROLES[@]}"; do
    want=2
    [[ $r == sockets ]] && want=1
    n=${count[$r]:-0}
    ((n >= want)) || return 1
  done
  [[ -s $T/ready.sockets && -s $T/pids/dockerd2.child && -s $T/pids/shim.child ]] || return 1
  # The unshared children have reached their sleep (hostname set).
  for r in "${FAKE_ENGINES[@]}"; do
    p=$(cat "$T/pids/$r.child" 2>/dev/null) || return 1
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == sleep ]] || return 1
  done
}

wait_up() {
  local i
  for ((i = 0; i < 100; i++)); do
    all_up && return 0
    sleep 0.1
  done
  die "the tenant's processes did not all start in 10 s (see $STATE/tenant-stderr.log)"
}

# After the processes exist (their PIDs are part of the bait): the planted docker container naming the
# tenant's own child, and the shim's sibling directories.
plant_after_start() {
  local d2child shimchild argvpid= netino p id
  d2child=$(cat "$T/pids/dockerd2.child")
  shimchild=$(cat "$T/pids/shim.child")
  for p in $(tenant_pids); do
    [[ $(role_of "$p") == argvnl && $(cat "/proc/$p/comm") == dash ]] && argvpid=$p
  done
  [[ -n $argvpid ]] || die "no argvnl process"
  id=$(printf 'd%.0s' {1..64})
  as_tenant mkdir -p "$T/data2/containers/$id"
  tenant_write "$T/data2/containers/$id/config.v2.json" <<EOF
{"ID":"$id","Name":"/nsx-tenant-docker","State":{"Running":true,"Pid":$d2child,"StartedAt":"2026-01-01T00:00:00Z"},"Config":{"Image":"tenant/evil:latest","Labels":{}}}
EOF
  echo '{"Runtime":"runc"}' | tenant_write "$T/data2/containers/$id/hostconfig.json"
  netino=$(as_tenant readlink /proc/self/ns/net | tr -dc 0-9)
  sib() { # NAME INIT_PID: a sibling of the shim's bundle, with an init.pid
    as_tenant mkdir -p "$T/shim/$1"
    echo "$2" | tenant_write "$T/shim/$1/init.pid"
  }
  # The real task id under namespace default, its init the tenant's child; a task whose init is PID 1.
  sib "$TASK_ID" "$shimchild"
  sib nsx-tenant-task 1
  # Injected probe lines (the glob sorts them: a, b, c, then z with @@end last).
  sib "$(printf 'a\n@@procs\n%s\tnsx-injected\tS\t1\t0\t%s\n%s\tsystemd-nspawn\tS\t1\t0\t%s\n@@files\nx' "$PHANTOM" "$PHANTOM" "$argvpid" "$argvpid")" "$shimchild"
  sib "$(printf 'b\n@@netns %s -\n[{"ifindex":4999,"ifname":"nsx-evil0","mtu":1500,"link_type":"ether","address":"02:00:00:00:00:01","operstate":"UP","addr_info":[{"family":"inet","local":"10.200.77.1","prefixlen":24}]}]\n@@files\nx' "$netino")" "$shimchild"
  sib "$(printf 'c\n@@args\n1:--nsx-injected-arg\n%s:nsx-injected-arg\n@@files\nx' "$argvpid")" "$shimchild"
  sib "$(printf 'z\n@@end 0\n_')" "$shimchild"
}

install_wrappers() {
  : >"$STATE/wrap.log"
  chmod 0644 "$STATE/wrap.log"
  local n d real tmp installed=() skipped=()
  for n in "${WRAP_NAMES[@]}"; do
    if [[ -e $WRAP_DIR/$n || -L $WRAP_DIR/$n ]]; then
      skipped+=("$n: $WRAP_DIR/$n exists")
      continue
    fi
    real=
    for d in /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
      [[ -x $d/$n && ! -d $d/$n ]] && real=$d/$n && break
    done
    if [[ -z $real ]]; then
      skipped+=("$n: not installed")
      continue
    fi
    tmp=$WRAP_DIR/.$n.nsx-tenant.tmp
    cat >"$tmp" <<EOF
#!/bin/bash
$WRAP_MARKER
{ printf '%s uid=%s' "\${EPOCHREALTIME:-0}" "\$EUID"; printf ' %q' "\$0" "\$@"; printf '\n'; } >>$STATE/wrap.log 2>/dev/null
exec $real "\$@"
EOF
    chmod 0755 "$tmp"
    # ln never replaces an existing file: whatever appeared there meanwhile wins.
    if ln "$tmp" "$WRAP_DIR/$n" 2>/dev/null; then installed+=("$n=$real"); else skipped+=("$n: $WRAP_DIR/$n appeared"); fi
    rm -f "$tmp"
  done
  printf '%s\n' "${installed[@]}" >"$STATE/wrappers"
  printf '%s\n' "${skipped[@]}" >"$STATE/wrappers-skipped"
}

json_str() { /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
json_list() { /usr/bin/python3 -c 'import json,sys; print(json.dumps([l for l in open(sys.argv[1]).read().split("\n") if l]))' "$1"; }

write_tenant_json() {
  local out=$STATE/tenant.json.tmp roles
  roles=$(printf '"%s", ' "${FAKE_ENGINES[@]}")
  roles=${roles%, }
  cat >"$out" <<EOF
{
  "version": 1,
  "uid": $TUID,
  "mark": "$MARK",
  "dir": "$T",
  "stateDir": "$STATE",
  "ttl": $TTL,
  "fifo": "$T/fifo",
  "store": "$T/store",
  "runroot": "$T/run",
  "runtime": "$T/rt",
  "runtimeLog": "$T/rt.log",
  "socketLog": "$T/sock.log",
  "sockets": ["$T/docker.sock", "$T/docker2.sock", "$T/ctd.sock"],
  "wrapLog": "$STATE/wrap.log",
  "wrappers": $(json_list "$STATE/wrappers"),
  "wrappersSkipped": $(json_list "$STATE/wrappers-skipped"),
  "fakeEngineRoles": [$roles],
  "phantomPid": $PHANTOM,
  "targets": { "nspawn": $(json_str "$NSPAWN_NAME"), "lxc": $(json_str "$LXC_NAME"), "podmanId": $(json_str "$PODMAN_ID"), "taskId": $(json_str "$TASK_ID") }
}
EOF
  mv "$out" "$STATE/tenant.json"
  chmod 0644 "$STATE/tenant.json"
}

tenant_up() {
  [[ $EUID -eq 0 ]] || die "tenant.sh up must run as root"
  command -v setpriv >/dev/null && command -v unshare >/dev/null && [[ -x /usr/bin/python3 && -x /bin/dash ]] ||
    die "needs setpriv, unshare (util-linux), /usr/bin/python3 and /bin/dash"
  getent passwd $TUID >/dev/null || die "no user with uid $TUID"
  local targets
  targets=$(lab_targets)
  eval "$targets" # NSPAWN_NAME LXC_NAME PODMAN_ID TASK_ID, from lab.json (plain names and hex ids)
  [[ $NSPAWN_NAME$LXC_NAME$PODMAN_ID$TASK_ID =~ ^[A-Za-z0-9._-]+$ ]] || die "unexpected names in $LAB_JSON"
  tenant_down 2>/dev/null
  mkdir -p "$STATE"
  chmod 0755 "$STATE"
  write_tenant_files
  plant_store
  start_sockets
  start_processes
  wait_up
  plant_after_start
  install_wrappers
  write_tenant_json
  log "up: $(tenant_pids | wc -l) tenant processes; $STATE/tenant.json"
}

tenant_status() {
  [[ -s $STATE/tenant.json ]] || { echo "tenant is down"; return 3; }
  local p
  for p in $(tenant_pids); do
    printf '%s\t%s\t%q\n' "$p" "$(role_of "$p")" "$(cat "/proc/$p/comm" 2>/dev/null)"
  done
}

case ${1:-} in
  up) tenant_up ;;
  down) tenant_down ;;
  status) tenant_status ;;
  *)
    echo "usage: ${0##*/} up|down|status" >&2
    exit 64
    ;;
esac
