#!/usr/bin/env bash
# The project's test lab: a real target host on this machine (sshd, users, keys, a private dockerd,
# podman, named netns, veths, a nested PID tree), described in $NSX_LAB_DIR/lab.json.
#
#   lab.sh up | down | status | run -- CMD...
#
# Network rule: every address the lab creates is in 10.200.0.0/16 or loopback; nothing routes elsewhere.
# `down` is idempotent and removes everything `up` made, also after a crashed run.
set -euo pipefail

LAB_DIR=${NSX_LAB_DIR:-/run/nsx-lab}
SSH_PORT=${NSX_LAB_SSH_PORT:-2222}
DOCKER_DATA=${NSX_LAB_DOCKER_DATA:-/var/lib/nsx-lab-docker}
PODMAN_ROOT=${NSX_LAB_PODMAN_ROOT:-/var/lib/nsx-lab-podman}
SUDOERS_FILE=/etc/sudoers.d/nsx-lab
LAB_USERS=(nsxkey nsxpass nsxnosudo)
LAB_NETNS=(nsx_a nsx_b nsx_ssh)
HOST_LINKS=(nsxh0 nsxs0 nsxbr0)
IMAGE=nsx-busybox:lab
MARK=nsx-lab-          # argv[0] prefix of the lab's own long-running sleeps
SLEEP_SECS=100000000   # "long sleep" that busybox sleep also understands

EXEC_ROOT=$LAB_DIR/docker-exec
DOCKER_SOCK=$LAB_DIR/docker.sock
export DOCKER_HOST=unix://$DOCKER_SOCK DOCKER_CONFIG=$LAB_DIR/docker-cli

log() { printf 'lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }
vlog() { [[ -z ${NSX_LAB_VERBOSE:-} ]] || log "$*"; }

# wait_until TRIES INTERVAL DESCRIPTION CMD... : bounded in count and time, fails with DESCRIPTION.
wait_until() {
  local tries=$1 interval=$2 desc=$3 i
  shift 3
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep "$interval"
  done
  log "timed out waiting for $desc"
  return 1
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
read_pid() { [[ -s $1 ]] && tr -dc '0-9' <"$1" || true; }

# Process tree of a PID (children first is not needed: we SIGKILL the lot after a TERM grace period).
descendants() {
  local root=$1
  ps -e -o pid=,ppid= | awk -v r="$root" '
    { kids[$2] = kids[$2] " " $1 }
    END { q[1] = r; n = 1; h = 1
          while (h <= n) { p = q[h++]; split(kids[p], k, " "); for (i in k) if (k[i] != "") { q[++n] = k[i]; print k[i] } } }'
}

# kill_tree PID...: TERM the processes and their descendants, wait (bounded), then KILL survivors.
# kill_tree -9 PID...: KILL at once (sleeps that are PID 1 of their namespace ignore TERM).
kill_tree() {
  local pids=() p now=0
  [[ ${1:-} == -9 ]] && now=1 && shift
  for p in "$@"; do
    pid_alive "$p" || continue
    pids+=("$p")
    mapfile -t -O "${#pids[@]}" pids < <(descendants "$p")
  done
  ((${#pids[@]})) || return 0
  if ((now)); then
    kill -KILL "${pids[@]}" 2>/dev/null || true
    return 0
  fi
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local i alive
  for ((i = 0; i < 50; i++)); do
    alive=0
    for p in "${pids[@]}"; do pid_alive "$p" && alive=1 && break; done
    ((alive)) || return 0
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

# PIDs whose command line names a lab path or the lab's argv[0] mark (for leftovers of a crashed run:
# orphaned containerd, shims, conmon, sshd, sleeps). Never this script or its ancestors.
lab_process_pids() {
  local self_chain=" $$ " p=$$ pp f pid
  while [[ $p -gt 1 ]]; do
    # PPid from status: in stat, a command name with spaces shifts the fields.
    pp=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null) || break
    [[ $pp =~ ^[0-9]+$ ]] || break
    self_chain+="$pp "
    p=$pp
  done
  # One grep over all command lines (a fork per process would take seconds), then only the lab's own
  # daemons: other programs may well name lab paths (ssh -i $LAB_DIR/keys/...), and they are not ours.
  local comm
  grep -l -a -s -F -e "$MARK" -e "$LAB_DIR/" -e "$DOCKER_DATA" -e "$PODMAN_ROOT" /proc/[0-9]*/cmdline |
    while read -r f; do
      pid=${f#/proc/}
      pid=${pid%/cmdline}
      [[ $self_chain == *" $pid "* ]] && continue
      read -r comm 2>/dev/null <"/proc/$pid/comm" || continue
      case $comm in
        sshd | dockerd | containerd | containerd-shim* | conmon | podman | sleep | unshare) echo "$pid" ;;
      esac
    done
}

# Unmount everything at or below a path, deepest first.
umount_below() {
  local base=$1 m
  awk -v b="$base" '$5 == b || index($5, b "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
json_num_or_null() { if [[ -n ${1:-} ]]; then printf '%s' "$1"; else printf null; fi; }

require_tools() {
  local missing=() t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  ((${#missing[@]} == 0)) || die "missing: ${missing[*]} (run scripts/install-deps.sh lab)"
}

# ---------------------------------------------------------------------------------------------- down

# Paths outside the state dir that the engines, PAM and mount(8) create and never remove: runc shims'
# socket dir, dockerd's plugin dir, libmount's utab dir, pam_motd's file, podman's blob cache. Those
# that did not exist before `up` are removed by `down` (directories only when empty, except the cache).
SIDE_PATHS=(/run/containerd/s /run/containerd /run/docker/plugins /run/docker /run/mount /run/motd.dynamic
  /var/lib/containers/cache /var/lib/containers /run/sshd /run/sudo/ts /etc/docker/key.json /etc/docker
  /etc/subuid- /etc/subgid- /run/runc /run/crun /run/systemd/nspawn/locks /run/systemd/nspawn/propagate
  /run/systemd/nspawn /run/lxc)
# useradd/userdel rewrite these backups; down puts the originals back.
SHADOW_BACKUPS=(/etc/passwd- /etc/group- /etc/shadow- /etc/gshadow-)

record_side_paths() {
  local p
  for p in "${SIDE_PATHS[@]}"; do [[ -e $p ]] && echo "$p"; done >"$LAB_DIR/preexisting-paths"
  mkdir -p "$LAB_DIR/etc-backup"
  for p in "${SHADOW_BACKUPS[@]}"; do [[ -e $p ]] && cp -a "$p" "$LAB_DIR/etc-backup/"; done
  touch "$LAB_DIR/preexisting-paths.done"
}

remove_side_paths() {
  [[ -e $LAB_DIR/preexisting-paths.done ]] || return 0
  local p
  for p in "${SIDE_PATHS[@]}"; do
    grep -qxF "$p" "$LAB_DIR/preexisting-paths" && continue
    case $p in
      /var/lib/containers/cache | /run/motd.dynamic | /run/sudo/ts | /etc/docker/key.json | /etc/sub?id- | /run/lxc) rm -rf "$p" ;;
      /run/mount) [[ -s $p/utab ]] || rm -rf "$p" ;;
      *) [[ -d $p ]] && rmdir "$p" 2>/dev/null || true ;;
    esac
  done
  for p in "${SHADOW_BACKUPS[@]}"; do
    if [[ -e $LAB_DIR/etc-backup/${p##*/} ]]; then cp -a "$LAB_DIR/etc-backup/${p##*/}" "$p"; else rm -f "$p"; fi
  done
}

podman_flags() { # DRIVER RUNTIME
  local driver=${1:-vfs} runtime=${2:-crun}
  PODMAN=(podman --root "$PODMAN_ROOT/storage" --runroot "$LAB_DIR/podman/run" --tmpdir "$LAB_DIR/podman/tmp"
    --network-config-dir "$LAB_DIR/podman/net" --cgroup-manager cgroupfs --events-backend file
    --runtime "$runtime" --runtime-flag "root=$LAB_DIR/podman/$runtime" --storage-driver "$driver")
}

lab_down() {
  local t0 p ns
  t0=$(now_ms)
  # A hostile tenant (tenant.sh) that a killed test run left behind: its processes, files, PATH wrappers.
  if [[ -e ${NSX_TENANT_STATE:-/run/nsx-tenant} || -e /tmp/nsx-tenant ]]; then
    bash "$(dirname "${BASH_SOURCE[0]}")/tenant.sh" down || log "down: tenant.sh down failed"
  fi
  [[ -d $LAB_DIR || -d $DOCKER_DATA || -d $PODMAN_ROOT ]] || ip link show nsxbr0 >/dev/null 2>&1 ||
    getent passwd nsxkey >/dev/null || ip netns list 2>/dev/null | grep -q '^nsx_' || {
    lab_kill_leftovers
    log "down: nothing to do"
    return 0
  }

  # podman first: its conmon processes watch containers we are about to kill.
  if [[ -d $PODMAN_ROOT ]] && command -v podman >/dev/null; then
    podman_flags "$(cat "$LAB_DIR/podman/driver" 2>/dev/null || echo vfs)" "$(cat "$LAB_DIR/podman/runtime" 2>/dev/null || echo crun)"
    timeout 30 "${PODMAN[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
  fi

  vlog "down: podman done at $(($(now_ms) - t0)) ms"
  # docker: remove containers while dockerd runs, then stop dockerd (it stops its managed containerd).
  if [[ -S $DOCKER_SOCK ]] && command -v docker >/dev/null; then
    local ids
    ids=$(timeout 10 docker ps -aq 2>/dev/null || true)
    [[ -n $ids ]] && timeout 30 docker rm -f $ids >/dev/null 2>&1 || true
  fi
  ctr_down
  nspawn_down
  lxc_down
  vlog "down: docker rm done at $(($(now_ms) - t0)) ms"
  p=$(read_pid "$LAB_DIR/docker.pid")
  if pid_alive "$p"; then
    kill -TERM "$p" 2>/dev/null || true
    wait_until 150 0.1 "dockerd to exit" bash -c "! kill -0 $p" || kill_tree "$p"
  fi
  vlog "down: dockerd done at $(($(now_ms) - t0)) ms"
  p=$(read_pid "$EXEC_ROOT/containerd/containerd.pid")
  pid_alive "$p" && kill_tree "$p"

  vlog "down: containerd done at $(($(now_ms) - t0)) ms"
  # sshd listeners and their sessions, netns holders, the nested tree: by pidfile, then by mark.
  for f in sshd.pid sshd-inner.pid nested.pid hold-nsx_a.pid; do
    p=$(read_pid "$LAB_DIR/$f")
    pid_alive "$p" && kill_tree -9 "$p"
  done
  lab_kill_leftovers

  vlog "down: processes done at $(($(now_ms) - t0)) ms"
  for ns in "${LAB_NETNS[@]}"; do
    if [[ -e /run/netns/$ns ]]; then
      mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
      ((${#pids[@]})) && kill -KILL "${pids[@]}" 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  vlog "down: netns done at $(($(now_ms) - t0)) ms"
  for l in "${HOST_LINKS[@]}"; do ip link del "$l" 2>/dev/null || true; done

  local u
  for u in "${LAB_USERS[@]}"; do
    if getent passwd "$u" >/dev/null; then
      pkill -KILL -u "$u" 2>/dev/null || true
      userdel -r -f "$u" >/dev/null 2>&1 || userdel -f "$u" >/dev/null 2>&1 || log "down: could not remove user $u"
    fi
    getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null || true
  done
  vlog "down: users done at $(($(now_ms) - t0)) ms"
  rm -f "$SUDOERS_FILE"

  for d in "$EXEC_ROOT" "$DOCKER_DATA" "$PODMAN_ROOT" "$LAB_DIR"; do umount_below "$d"; done
  remove_side_paths
  rm -rf "$DOCKER_DATA" "$PODMAN_ROOT" "$LAB_DIR"
  log "down: done in $(($(now_ms) - t0)) ms"
}

lab_kill_leftovers() {
  local pids
  mapfile -t pids < <(lab_process_pids)
  ((${#pids[@]})) && kill_tree -9 "${pids[@]}"
  return 0
}

# ------------------------------------------------------------------------------------------------ up

gen_keys() {
  local k=$LAB_DIR/keys s=$LAB_DIR/ssh
  mkdir -p "$k" "$s"
  chmod 755 "$LAB_DIR" "$s"
  chmod 700 "$k"
  local jobs=()
  ssh-keygen -q -t ed25519 -N '' -C nsx-lab-ed25519 -f "$k/id_ed25519" &
  jobs+=($!)
  ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C nsx-lab-rsa-pem -f "$k/id_rsa_pem" &
  jobs+=($!)
  ssh-keygen -q -t ecdsa -b 256 -N '' -C nsx-lab-ecdsa -f "$k/id_ecdsa" &
  jobs+=($!)
  ssh-keygen -q -t ed25519 -N nsx-phrase -C nsx-lab-ed25519-enc -f "$k/id_ed25519_enc" &
  jobs+=($!)
  ssh-keygen -q -t ed25519 -N '' -C '' -f "$s/ssh_host_ed25519_key" &
  jobs+=($!)
  ssh-keygen -q -t rsa -b 2048 -N '' -C '' -f "$s/ssh_host_rsa_key" &
  jobs+=($!)
  ssh-keygen -q -t ecdsa -b 256 -N '' -C '' -f "$s/ssh_host_ecdsa_key" &
  jobs+=($!)
  ssh-keygen -q -t ed25519 -N '' -C '' -f "$s/inner_host_ed25519_key" &
  jobs+=($!)
  wait "${jobs[@]}" # not a bare wait: dockerd is a child too
  mkdir -p "$s/authorized_keys"
  local u
  for u in root "${LAB_USERS[@]}"; do
    [[ $u == nsxpass ]] && continue # password only
    cat "$k"/id_ed25519.pub "$k"/id_rsa_pem.pub "$k"/id_ecdsa.pub "$k"/id_ed25519_enc.pub >"$s/authorized_keys/$u"
    chmod 644 "$s/authorized_keys/$u"
  done
}

make_users() {
  mkdir -p "$LAB_DIR/home"
  chmod 755 "$LAB_DIR/home"
  local u
  for u in "${LAB_USERS[@]}"; do
    useradd -m -d "$LAB_DIR/home/$u" -s /bin/bash -U -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$u"
  done
  # "*" rather than useradd's "!": a locked account may be refused even for key logins.
  usermod -p '*' nsxkey
  printf '%s\n' 'nsxpass:nsx-pass-1' 'nsxnosudo:nsx-nosudo-1' | chpasswd
  local tmp=$LAB_DIR/sudoers.tmp
  printf '%s\n' '# nsx-lab test users; removed by test/lab/lab.sh down' \
    'nsxkey ALL=(ALL:ALL) NOPASSWD: ALL' 'nsxpass ALL=(ALL:ALL) ALL' >"$tmp"
  visudo -cqf "$tmp" || die "generated sudoers file does not validate"
  install -m 0440 "$tmp" "$SUDOERS_FILE"
  rm -f "$tmp"
}

write_sshd_config() { # FILE LISTEN PORT PIDFILE HOSTKEY...
  local file=$1 listen=$2 port=$3 pidfile=$4
  shift 4
  {
    echo "# nsx-lab sshd; generated by test/lab/lab.sh"
    echo "ListenAddress $listen"
    echo "Port $port"
    local hk
    for hk in "$@"; do echo "HostKey $hk"; done
    cat <<EOF
PidFile $pidfile
AuthorizedKeysFile $LAB_DIR/ssh/authorized_keys/%u
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
UsePAM yes
PermitRootLogin prohibit-password
AllowUsers root ${LAB_USERS[*]}
StrictModes yes
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 64
LogLevel VERBOSE
Subsystem sftp internal-sftp
EOF
  } >"$file"
  /usr/sbin/sshd -t -f "$file" || die "sshd rejects $file"
}

tcp_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

start_sshd() {
  [[ -d /run/sshd ]] || install -d -m 0755 /run/sshd # sshd's privilege separation directory
  local s=$LAB_DIR/ssh
  write_sshd_config "$s/sshd_config" 127.0.0.1 "$SSH_PORT" "$LAB_DIR/sshd.pid" \
    "$s/ssh_host_ed25519_key" "$s/ssh_host_rsa_key" "$s/ssh_host_ecdsa_key"
  tcp_open 127.0.0.1 "$SSH_PORT" && die "127.0.0.1:$SSH_PORT is already in use (set NSX_LAB_SSH_PORT)"
  /usr/sbin/sshd -f "$s/sshd_config" -E "$LAB_DIR/sshd.log"
  wait_until 50 0.1 "sshd on 127.0.0.1:$SSH_PORT" tcp_open 127.0.0.1 "$SSH_PORT" ||
    die "sshd did not start; see $LAB_DIR/sshd.log"
  # known_hosts: plain and hashed, for the loopback sshd and the one in nsx_ssh.
  local kh=$LAB_DIR/known_hosts t
  : >"$kh"
  for t in ed25519 rsa ecdsa; do
    printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$s/ssh_host_${t}_key.pub")" >>"$kh"
  done
  printf '10.200.9.2 %s\n' "$(cut -d' ' -f1,2 "$s/inner_host_ed25519_key.pub")" >>"$kh"
  cp "$kh" "$kh.hashed"
  ssh-keygen -q -H -f "$kh.hashed" >/dev/null 2>&1
  rm -f "$kh.hashed.old"
  chmod 644 "$kh" "$kh.hashed"
}

start_inner_sshd() {
  local s=$LAB_DIR/ssh
  ip netns add nsx_ssh
  ip link add nsxs0 type veth peer name nsxs1 netns nsx_ssh
  ip addr add 10.200.9.1/24 dev nsxs0
  ip link set nsxs0 up
  ip -n nsx_ssh addr add 10.200.9.2/24 dev nsxs1
  ip -n nsx_ssh link set nsxs1 up
  ip -n nsx_ssh link set lo up
  write_sshd_config "$s/sshd_inner_config" 10.200.9.2 22 "$LAB_DIR/sshd-inner.pid" "$s/inner_host_ed25519_key"
  ip netns exec nsx_ssh /usr/sbin/sshd -f "$s/sshd_inner_config" -E "$LAB_DIR/sshd-inner.log"
}

make_netns() {
  ip netns add nsx_a
  ip netns add nsx_b
  ip -n nsx_a link set lo up
  ip -n nsx_b link set lo up
  ip link add nsxa0 netns nsx_a type veth peer name nsxb0 netns nsx_b
  ip -n nsx_a addr add 10.200.1.1/24 dev nsxa0
  ip -n nsx_b addr add 10.200.1.2/24 dev nsxb0
  ip -n nsx_a link set nsxa0 up
  ip -n nsx_b link set nsxb0 up
  ip link add nsxh0 type veth peer name nsxa1 netns nsx_a
  ip addr add 10.200.2.1/24 dev nsxh0
  ip link set nsxh0 up
  ip -n nsx_a addr add 10.200.2.2/24 dev nsxa1
  ip -n nsx_a link set nsxa1 up
  # nsx_a holds a process; nsx_b deliberately holds none.
  ip netns exec nsx_a setsid bash -c "echo \$\$ >'$LAB_DIR/hold-nsx_a.pid'; exec -a ${MARK}hold-nsx_a sleep $SLEEP_SECS" \
    </dev/null >/dev/null 2>&1 &
  wait_until 50 0.1 "nsx_a holder" test -s "$LAB_DIR/hold-nsx_a.pid"
}

make_nested() {
  setsid unshare --pid --fork --mount-proc \
    unshare --pid --fork --mount-proc bash -c "exec -a ${MARK}nested sleep $SLEEP_SECS" </dev/null >/dev/null 2>&1 &
  echo $! >"$LAB_DIR/nested.pid"
  local p
  find_nested() {
    for p in $(descendants "$(read_pid "$LAB_DIR/nested.pid")"); do
      [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") == "${MARK}nested "* ]] && echo "$p" >"$LAB_DIR/nested-inner.pid" && return 0
    done
    return 1
  }
  wait_until 50 0.1 "nested unshare tree" find_nested
}

build_rootfs() {
  local r=$LAB_DIR/rootfs bb
  bb=$(command -v busybox)
  mkdir -p "$r"/{bin,etc,tmp,proc,sys,dev,root,var/run}
  cp "$bb" "$r/bin/busybox"
  # One symlink per applet; done by busybox itself inside the rootfs (a loop of ln is seconds slower).
  chroot "$r" /bin/busybox --install -s /bin
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/:/bin/false' >"$r/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$r/etc/group"
  chmod 1777 "$r/tmp"
  tar -C "$r" -cf "$LAB_DIR/rootfs.tar" .
  rm -rf "$r"
}

overlay_works() { # DIR: can overlayfs use DIR's filesystem as upper layer?
  local d
  d=$(mktemp -d "$1/.overlay-probe.XXXX")
  mkdir "$d"/{l,u,w,m}
  local ok=1
  mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m" 2>/dev/null && ok=0 && umount "$d/m"
  rm -rf "$d"
  return $ok
}

start_dockerd() {
  mkdir -p "$DOCKER_DATA" "$EXEC_ROOT" "$DOCKER_CONFIG"
  echo '{}' >"$DOCKER_CONFIG/config.json" # podman reads DOCKER_CONFIG too and fails if it is missing
  chmod 700 "$DOCKER_DATA"
  local driver=vfs
  overlay_works "$DOCKER_DATA" && driver=overlay2
  echo "$driver" >"$LAB_DIR/docker-driver"
  ip link add nsxbr0 type bridge
  ip addr add 10.200.100.1/24 dev nsxbr0
  ip link set nsxbr0 up
  # No iptables, no forwarding or masquerade: the lab never routes off 10.200.0.0/16. The address pool
  # keeps networks that tests create inside 10.200.0.0/16 too.
  # gVisor (runsc), when installed, as an extra runtime for the sandboxed container lab-gvisor; its own
  # network stack off (the container has no network anyway).
  local extra=()
  if command -v runsc >/dev/null; then
    printf '{ "runtimes": { "runsc": { "path": %s, "runtimeArgs": ["--network=none"] } } }\n' \
      "$(json_str "$(command -v runsc)")" >"$LAB_DIR/docker-daemon.json"
    extra=(--config-file "$LAB_DIR/docker-daemon.json")
  fi
  setsid /usr/sbin/dockerd -H "unix://$DOCKER_SOCK" --data-root "$DOCKER_DATA" --exec-root "$EXEC_ROOT" \
    --pidfile "$LAB_DIR/docker.pid" --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --bridge nsxbr0 --default-address-pool base=10.200.128.0/17,size=24 --userland-proxy=false \
    --storage-driver "$driver" --log-level warn "${extra[@]}" \
    </dev/null >"$LAB_DIR/dockerd.log" 2>&1 &
}

docker_up() { docker version --format '{{.Server.Version}}'; }

start_containers() {
  wait_until 300 0.1 "dockerd on $DOCKER_SOCK" docker_up || die "dockerd did not start; see $LAB_DIR/dockerd.log"
  docker import --change 'CMD ["/bin/sh"]' "$LAB_DIR/rootfs.tar" "$IMAGE" >/dev/null
  docker run -d -q --name lab-c1 --hostname lab-c1 "$IMAGE" sleep "$SLEEP_SECS" >/dev/null
  docker run -d -q --name lab-c2 --network container:lab-c1 "$IMAGE" sleep "$SLEEP_SECS" >/dev/null
  docker run -d -q --name lab-none --hostname lab-none --network none "$IMAGE" sleep "$SLEEP_SECS" >/dev/null
  docker create -q --name lab-stopped --network none "$IMAGE" sh -c 'exit 3' >/dev/null
  docker start -a lab-stopped >/dev/null || true # exits 3
  # Optional: a gVisor-sandboxed container (its workload runs inside the sandbox, not as host processes).
  if ! command -v runsc >/dev/null; then
    GVISOR_SKIPPED="runsc (gVisor) is not installed"
  elif ! timeout 60 docker run -d -q --name lab-gvisor --runtime runsc --network none "$IMAGE" sleep "$SLEEP_SECS" \
    >"$LAB_DIR/gvisor.log" 2>&1; then
    GVISOR_SKIPPED="docker run --runtime runsc failed: $(tail -n1 "$LAB_DIR/gvisor.log")"
    docker rm -f lab-gvisor >/dev/null 2>&1 || true
  fi
  # nsx_b <-> lab-c1's netns
  local c1
  c1=$(docker inspect -f '{{.State.Pid}}' lab-c1)
  ip link add nsxb1 netns nsx_b type veth peer name nsxc1 netns "$c1"
  ip -n nsx_b addr add 10.200.3.1/24 dev nsxb1
  ip -n nsx_b link set nsxb1 up
  nsenter -t "$c1" -n ip addr add 10.200.3.2/24 dev nsxc1
  nsenter -t "$c1" -n ip link set nsxc1 up
}

# Containers the isolation report classifies (test/lab/isolation.test.ts): one risky setting each. lab-c1
# is the plain one. All on the busybox image, all removed with the others by lab_down. The privileged one
# is podman's (start_podman): docker's --privileged asks runc for every capability the kernel knows, and
# root here lacks CAP_SYS_RESOURCE; podman's asks for root's own bounding set.
start_isolation_containers() {
  docker run -d -q --name lab-hostnet --network host "$IMAGE" sleep "$SLEEP_SECS" >/dev/null
  docker run -d -q --name lab-hostpid --network none --pid host "$IMAGE" sleep "$SLEEP_SECS" >/dev/null
  docker run -d -q --name lab-sysadmin --network none --cap-add SYS_ADMIN "$IMAGE" sleep "$SLEEP_SECS" >/dev/null
  docker run -d -q --name lab-sock --network none -v "$DOCKER_SOCK:/var/run/docker.sock" "$IMAGE" sleep "$SLEEP_SECS" >/dev/null
  docker run -d -q --name lab-ro --network none --read-only "$IMAGE" sleep "$SLEEP_SECS" >/dev/null
  docker run -d -q --name lab-nnp --network none --security-opt no-new-privileges "$IMAGE" sleep "$SLEEP_SECS" >/dev/null
}

PODMAN_SKIPPED=
start_podman() {
  if ! command -v podman >/dev/null; then PODMAN_SKIPPED="podman is not installed"; return 0; fi
  mkdir -p "$PODMAN_ROOT" "$LAB_DIR/podman"/{run,tmp,net}
  chmod 700 "$PODMAN_ROOT"
  local driver=vfs
  overlay_works "$PODMAN_ROOT" && driver=overlay
  echo "$driver" >"$LAB_DIR/podman/driver"
  podman_flags "$driver" crun
  if ! timeout 60 "${PODMAN[@]}" import -q "$LAB_DIR/rootfs.tar" "localhost/$IMAGE" >"$LAB_DIR/podman.log" 2>&1; then
    PODMAN_SKIPPED="podman import failed: $(tail -n1 "$LAB_DIR/podman.log")"
    return 0
  fi
  # Podman asks for RLIMIT_NOFILE and RLIMIT_NPROC of 1048576, and raising a limit needs
  # CAP_SYS_RESOURCE, which sandboxes drop: ask for small ones. crun refuses hybrid cgroup v1/v2
  # hosts, so runc is the fallback.
  local rt err=""
  for rt in crun runc; do
    command -v "$rt" >/dev/null || continue
    podman_flags "$driver" "$rt"
    mkdir -p "$LAB_DIR/podman/$rt"
    if timeout 60 "${PODMAN[@]}" run -d --name lab-p1 --hostname lab-p1 --network none \
      --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 "localhost/$IMAGE" sleep "$SLEEP_SECS" \
      >>"$LAB_DIR/podman.log" 2>&1; then
      echo "$rt" >"$LAB_DIR/podman/runtime"
      timeout 60 "${PODMAN[@]}" run -d --name lab-priv --hostname lab-priv --network none --privileged \
        --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 "localhost/$IMAGE" sleep "$SLEEP_SECS" >>"$LAB_DIR/podman.log" 2>&1 ||
        log "up: podman lab-priv (--privileged) failed: $(tail -n1 "$LAB_DIR/podman.log")"
      return 0
    fi
    err+="${err:+; }$rt: $(tail -n1 "$LAB_DIR/podman.log")"
    timeout 30 "${PODMAN[@]}" rm -f lab-p1 >/dev/null 2>&1 || true
  done
  PODMAN_SKIPPED="podman run failed: ${err:-no OCI runtime (crun, runc) installed}"
}

CTR_SKIPPED=
NSPAWN_SKIPPED=
GVISOR_SKIPPED=
LXC_SKIPPED=
CTR_NS=nsx-lab
CTR_SOCK=$EXEC_ROOT/containerd/containerd.sock
ctr_lab() { timeout 60 ctr -a "$CTR_SOCK" -n "$CTR_NS" "$@"; }
# Optional: a plain containerd container (ctr, namespace nsx-lab) on dockerd's managed containerd, with
# its own empty netns (no CNI), so discovery sees containerd next to docker's moby namespace.
start_ctr() {
  if ! command -v ctr >/dev/null; then CTR_SKIPPED="ctr is not installed"; return 0; fi
  wait_until 50 0.1 "containerd on $CTR_SOCK" test -S "$CTR_SOCK" || { CTR_SKIPPED="no containerd socket $CTR_SOCK"; return 0; }
  mkdir -p "$LAB_DIR/ctr/runc"
  if ! { timeout 60 docker save -o "$LAB_DIR/ctr/image.tar" "$IMAGE" &&
    ctr_lab images import "$LAB_DIR/ctr/image.tar"; } >"$LAB_DIR/ctr.log" 2>&1; then
    CTR_SKIPPED="ctr import failed: $(tail -n1 "$LAB_DIR/ctr.log")"
    return 0
  fi
  rm -f "$LAB_DIR/ctr/image.tar"
  local sn
  for sn in overlayfs native; do
    # runc state under the lab dir, not /run/containerd/runc
    if ctr_lab run -d --null-io --snapshotter "$sn" --runc-root "$LAB_DIR/ctr/runc" \
      "docker.io/library/$IMAGE" lab-ctr1 sleep "$SLEEP_SECS" >>"$LAB_DIR/ctr.log" 2>&1; then
      echo "$sn" >"$LAB_DIR/ctr/snapshotter"
      return 0
    fi
    ctr_lab containers delete lab-ctr1 >/dev/null 2>&1 || true
  done
  CTR_SKIPPED="ctr run failed: $(tail -n1 "$LAB_DIR/ctr.log")"
}

# Kills and deletes the ctr container while containerd still runs (before dockerd stops).
ctr_down() {
  [[ -S $CTR_SOCK ]] && command -v ctr >/dev/null || return 0
  ctr_lab tasks kill -s SIGKILL lab-ctr1 >/dev/null 2>&1 || true
  local i
  for ((i = 0; i < 50; i++)); do
    ctr_lab tasks delete lab-ctr1 >/dev/null 2>&1 && break
    ctr_lab tasks ls -q 2>/dev/null | grep -qx lab-ctr1 || break
    sleep 0.1
  done
  ctr_lab containers delete lab-ctr1 >/dev/null 2>&1 || true
}

ctr_json() {
  if [[ -n $CTR_SKIPPED ]]; then
    printf '{ "skipped": %s }' "$(json_str "$CTR_SKIPPED")"
    return
  fi
  local pid status
  read -r _ pid status < <(ctr_lab tasks ls 2>/dev/null | awk '$1 == "lab-ctr1"')
  printf '{ "socket": "%s", "namespace": "%s", "snapshotter": "%s",\n    "containers": { "lab-ctr1": { "id": "lab-ctr1", "pid": %s, "status": "%s", "image": "docker.io/library/%s" } } }' \
    "$CTR_SOCK" "$CTR_NS" "$(cat "$LAB_DIR/ctr/snapshotter")" "$(json_num_or_null "$pid")" "${status,,}" "$IMAGE"
}

# Optional: a systemd-nspawn container. No systemd runs here, so it is not registered with machined
# (--register=no); discovery finds it by its systemd-nspawn -M process. Its own netns, no interfaces.
NSPAWN_NAME=nsx-nspawn
nspawn_leader() { pgrep -P "$(read_pid "$LAB_DIR/nspawn.pid")" 2>/dev/null | head -n1; }
start_nspawn() {
  if ! command -v systemd-nspawn >/dev/null; then NSPAWN_SKIPPED="systemd-nspawn is not installed (systemd-container)"; return 0; fi
  local r=$LAB_DIR/nspawn/root
  mkdir -p "$r"
  tar -C "$r" -xf "$LAB_DIR/rootfs.tar"
  # nspawn wants a tree that looks like an OS: /usr and an os-release.
  mkdir -p "$r/usr"
  printf '%s\n' 'ID=nsx' 'NAME=nsx-lab' >"$r/etc/os-release"
  systemd-nspawn --register=no --keep-unit --private-network --console=pipe -q -M "$NSPAWN_NAME" -D "$r" \
    /bin/sleep "$SLEEP_SECS" </dev/null >"$LAB_DIR/nspawn.log" 2>&1 &
  echo $! >"$LAB_DIR/nspawn.pid"
  if ! wait_until 100 0.1 "the systemd-nspawn container" bash -c "[[ -n \$(pgrep -P $!) ]]"; then
    NSPAWN_SKIPPED="systemd-nspawn did not start: $(tail -n1 "$LAB_DIR/nspawn.log")"
    nspawn_down
  fi
}
nspawn_down() {
  local p
  p=$(read_pid "$LAB_DIR/nspawn.pid")
  # SIGTERM asks nspawn to stop its container; a PID-1 sleep ignores it, so nspawn is killed after.
  if pid_alive "$p"; then
    kill -TERM "$p" 2>/dev/null || true
    wait_until 30 0.1 "systemd-nspawn to exit" bash -c "! kill -0 $p 2>/dev/null" || kill_tree -9 "$p"
  fi
  pkill -KILL -f -- "-M $NSPAWN_NAME -D $LAB_DIR/nspawn/root" 2>/dev/null || true
  rm -rf "$LAB_DIR/nspawn" "$LAB_DIR/nspawn.pid"
}
nspawn_json() {
  if [[ -n $NSPAWN_SKIPPED ]]; then
    printf '{ "skipped": %s }' "$(json_str "$NSPAWN_SKIPPED")"
    return
  fi
  printf '{ "name": "%s", "nspawnPid": %s, "pid": %s }' "$NSPAWN_NAME" "$(read_pid "$LAB_DIR/nspawn.pid")" "$(json_num_or_null "$(nspawn_leader)")"
}

# Optional: an LXC container (busybox template, no network device: lxc.net.0.type = empty) under the
# lab's own lxcpath; discovery finds it by its "[lxc monitor] PATH NAME" process.
LXC_NAME=nsx-lxc
LXC_PATH=$LAB_DIR/lxc
lxc_lab() { local c=$1; shift; timeout 60 "lxc-$c" -P "$LXC_PATH" -n "$LXC_NAME" "$@"; }
start_lxc() {
  if ! command -v lxc-create >/dev/null || ! command -v lxc-start >/dev/null; then LXC_SKIPPED="LXC is not installed"; return 0; fi
  mkdir -p "$LXC_PATH"
  if ! lxc_lab create -t busybox >"$LAB_DIR/lxc.log" 2>&1; then
    LXC_SKIPPED="lxc-create failed: $(tail -n1 "$LAB_DIR/lxc.log")"
    return 0
  fi
  local conf=$LXC_PATH/$LXC_NAME/config
  sed -i -e '/^lxc\.net\./d' "$conf"
  echo 'lxc.net.0.type = empty' >>"$conf"
  if ! lxc_lab start -l WARN -o "$LAB_DIR/lxc.log" || ! wait_until 100 0.1 "the LXC container" lxc_running; then
    LXC_SKIPPED="lxc-start failed: $(tail -n1 "$LAB_DIR/lxc.log")"
    lxc_down
  fi
}
lxc_running() { [[ $(lxc_lab info -s -H 2>/dev/null) == RUNNING ]]; }
lxc_down() {
  [[ -d $LXC_PATH ]] || return 0
  if command -v lxc-stop >/dev/null; then
    lxc_lab stop -k >/dev/null 2>&1 || true
    lxc_lab destroy >/dev/null 2>&1 || true
  fi
  pkill -KILL -f -- "^\[lxc monitor\] $LXC_PATH " 2>/dev/null || true
  rm -rf "$LXC_PATH"
}
lxc_json() {
  if [[ -n $LXC_SKIPPED ]]; then
    printf '{ "skipped": %s }' "$(json_str "$LXC_SKIPPED")"
    return
  fi
  printf '{ "name": "%s", "path": "%s", "pid": %s }' "$LXC_NAME" "$LXC_PATH" "$(json_num_or_null "$(lxc_lab info -p -H 2>/dev/null)")"
}

netns_inode() { stat -L -c %i "/run/netns/$1"; }

write_lab_json() {
  local s=$LAB_DIR/ssh k=$LAB_DIR/keys out=$LAB_DIR/lab.json.tmp
  local c1pid nested_inner nspid
  nested_inner=$(read_pid "$LAB_DIR/nested-inner.pid")
  nspid=$(awk '/^NSpid:/ { $1 = ""; gsub(/^ +/, ""); gsub(/[ \t]+/, ", "); print }' "/proc/$nested_inner/status")
  hostkey() { # NAME PATH
    printf '"%s": { "path": %s, "publicKey": %s, "fingerprint": %s }' "$1" "$(json_str "$2")" \
      "$(json_str "$(cut -d' ' -f1,2 "$2.pub")")" "$(json_str "$(ssh-keygen -l -E sha256 -f "$2.pub" | cut -d' ' -f2)")"
  }
  key() { # NAME FILE FORMAT PASSPHRASE
    printf '"%s": { "path": %s, "publicKeyPath": %s, "publicKey": %s, "format": "%s", "passphrase": %s }' \
      "$1" "$(json_str "$k/$2")" "$(json_str "$k/$2.pub")" "$(json_str "$(cut -d' ' -f1,2 "$k/$2.pub")")" "$3" \
      "$([[ -n $4 ]] && json_str "$4" || echo null)"
  }
  user() { # NAME PASSWORD SUDO KEYS
    printf '"%s": { "uid": %s, "home": %s, "password": %s, "sudo": "%s", "keyLogin": %s }' "$1" \
      "$(id -u "$1")" "$(json_str "$(getent passwd "$1" | cut -d: -f6)")" \
      "$([[ -n $2 ]] && json_str "$2" || echo null)" "$3" "$4"
  }
  container() { # NAME NETWORK
    local f
    f=$(docker inspect -f '{{.Id}} {{.State.Pid}} {{.State.Status}} {{.State.ExitCode}} {{.Config.Hostname}} {{.NetworkSettings.IPAddress}}' "$1")
    set -- "$1" "$2" $f
    printf '"%s": { "id": "%s", "pid": %s, "status": "%s", "exitCode": %s, "hostname": "%s", "network": "%s", "ip": %s }' \
      "$1" "$3" "$([[ $4 == 0 ]] && echo null || echo "$4")" "$5" "$6" "$7" "$2" "$([[ -n ${8:-} ]] && json_str "$8" || echo null)"
  }
  veth() { # NAME NS ADDR PEER PEER_NS PEER_ADDR
    printf '{ "a": { "name": "%s", "netns": "%s", "address": "%s" }, "b": { "name": "%s", "netns": "%s", "address": "%s" } }' "$@"
  }
  c1pid=$(docker inspect -f '{{.State.Pid}}' lab-c1)
  local podman_json
  if [[ -n $PODMAN_SKIPPED ]]; then
    podman_json="{ \"skipped\": $(json_str "$PODMAN_SKIPPED") }"
  else
    local f flags="" pf
    pf=$("${PODMAN[@]}" inspect -f '{{.Id}} {{.State.Pid}} {{.State.Status}}' lab-p1)
    for f in "${PODMAN[@]:1}"; do flags+="${flags:+, }$(json_str "$f")"; done
    local p2="" q
    if q=$("${PODMAN[@]}" inspect -f '{{.Id}} {{.State.Pid}} {{.State.Status}}' lab-priv 2>/dev/null); then
      set -- $q
      p2=", \"lab-priv\": { \"id\": \"$1\", \"pid\": $2, \"status\": \"$3\", \"hostname\": \"lab-priv\", \"network\": \"none\", \"privileged\": true }"
    fi
    set -- $pf
    podman_json="{ \"flags\": [ $flags ], \"root\": \"$PODMAN_ROOT\", \"storageDriver\": \"$(cat "$LAB_DIR/podman/driver")\",
    \"image\": \"localhost/$IMAGE\",
    \"containers\": { \"lab-p1\": { \"id\": \"$1\", \"pid\": $2, \"status\": \"$3\", \"hostname\": \"lab-p1\", \"network\": \"none\" }$p2 } }"
  fi
  cat >"$out" <<EOF
{
  "version": 1,
  "stateDir": "$LAB_DIR",
  "createdAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "ssh": {
    "host": "127.0.0.1",
    "port": $SSH_PORT,
    "pid": $(read_pid "$LAB_DIR/sshd.pid"),
    "config": "$s/sshd_config",
    "log": "$LAB_DIR/sshd.log",
    "knownHosts": "$LAB_DIR/known_hosts",
    "knownHostsHashed": "$LAB_DIR/known_hosts.hashed",
    "hostKeys": {
      $(hostkey ed25519 "$s/ssh_host_ed25519_key"),
      $(hostkey rsa "$s/ssh_host_rsa_key"),
      $(hostkey ecdsa "$s/ssh_host_ecdsa_key")
    }
  },
  "sshInner": {
    "host": "10.200.9.2",
    "port": 22,
    "pid": $(read_pid "$LAB_DIR/sshd-inner.pid"),
    "netns": "nsx_ssh",
    "hostVeth": "nsxs0",
    "hostAddress": "10.200.9.1/24",
    "innerVeth": "nsxs1",
    "config": "$s/sshd_inner_config",
    "log": "$LAB_DIR/sshd-inner.log",
    "hostKeys": { $(hostkey ed25519 "$s/inner_host_ed25519_key") }
  },
  "keys": {
    $(key ed25519 id_ed25519 openssh ''),
    $(key rsaPem id_rsa_pem pem ''),
    $(key ecdsa id_ecdsa openssh ''),
    $(key ed25519Encrypted id_ed25519_enc openssh nsx-phrase)
  },
  "users": {
    $(user nsxkey '' nopasswd true),
    $(user nsxpass nsx-pass-1 password false),
    $(user nsxnosudo nsx-nosudo-1 none true),
    $(user root '' root true)
  },
  "sudoersFile": "$SUDOERS_FILE",
  "docker": {
    "socket": "$DOCKER_SOCK",
    "host": "$DOCKER_HOST",
    "env": { "DOCKER_HOST": "$DOCKER_HOST", "DOCKER_CONFIG": "$DOCKER_CONFIG" },
    "pid": $(read_pid "$LAB_DIR/docker.pid"),
    "containerdPid": $(json_num_or_null "$(read_pid "$EXEC_ROOT/containerd/containerd.pid")"),
    "dataRoot": "$DOCKER_DATA",
    "execRoot": "$EXEC_ROOT",
    "storageDriver": "$(cat "$LAB_DIR/docker-driver")",
    "bridge": { "name": "nsxbr0", "address": "10.200.100.1/24" },
    "image": "$IMAGE",
    "containers": {
      $(container lab-c1 default),
      $(container lab-c2 container:lab-c1),
      $(container lab-none none),
      $(container lab-stopped none)$([[ -n $GVISOR_SKIPPED ]] || printf ',\n      %s' "$(container lab-gvisor none)"),
      $(container lab-hostnet host),
      $(container lab-hostpid none),
      $(container lab-sysadmin none),
      $(container lab-sock none),
      $(container lab-ro none),
      $(container lab-nnp none)
    }
  },
  "podman": $podman_json,
  "ctr": $(ctr_json),
  "nspawn": $(nspawn_json),
  "gvisor": $([[ -n $GVISOR_SKIPPED ]] && printf '{ "skipped": %s }' "$(json_str "$GVISOR_SKIPPED")" || printf '{ "name": "lab-gvisor", "runtime": "runsc" }'),
  "lxc": $(lxc_json),
  "netns": {
    "nsx_a": { "inode": $(netns_inode nsx_a), "holderPid": $(read_pid "$LAB_DIR/hold-nsx_a.pid") },
    "nsx_b": { "inode": $(netns_inode nsx_b), "holderPid": null },
    "nsx_ssh": { "inode": $(netns_inode nsx_ssh), "holderPid": $(read_pid "$LAB_DIR/sshd-inner.pid") }
  },
  "veths": [
    $(veth nsxa0 nsx_a 10.200.1.1/24 nsxb0 nsx_b 10.200.1.2/24),
    $(veth nsxh0 host 10.200.2.1/24 nsxa1 nsx_a 10.200.2.2/24),
    $(veth nsxb1 nsx_b 10.200.3.1/24 nsxc1 container:lab-c1 10.200.3.2/24),
    $(veth nsxs0 host 10.200.9.1/24 nsxs1 nsx_ssh 10.200.9.2/24)
  ],
  "containerNetnsPid": { "lab-c1": $c1pid },
  "nested": {
    "outerPid": $(read_pid "$LAB_DIR/nested.pid"),
    "innermostPid": $nested_inner,
    "nspid": [ $nspid ],
    "levels": 3
  },
  "clientConfig": "$LAB_DIR/ssh_config"
}
EOF
  mv "$out" "$LAB_DIR/lab.json"
  chmod 644 "$LAB_DIR/lab.json"
}

write_client_config() {
  local k=$LAB_DIR/keys
  cat >"$LAB_DIR/ssh_config" <<EOF
# ssh -F $LAB_DIR/ssh_config lab   |   ssh -F $LAB_DIR/ssh_config lab-inner (ProxyJump via lab)
Host *
  UserKnownHostsFile $LAB_DIR/known_hosts
  StrictHostKeyChecking yes
  IdentityFile $k/id_ed25519
  IdentitiesOnly yes
  BatchMode yes
  ConnectTimeout 5
Host lab
  HostName 127.0.0.1
  Port $SSH_PORT
  User nsxkey
Host lab-inner
  HostName 10.200.9.2
  Port 22
  User nsxkey
  ProxyJump lab
EOF
}

step() {
  local t
  t=$(now_ms)
  "$@"
  [[ -z ${NSX_LAB_VERBOSE:-} ]] || log "up: $1 took $(($(now_ms) - t)) ms"
}

lab_up() {
  [[ $EUID -eq 0 ]] || die "lab.sh up must run as root"
  require_tools /usr/sbin/sshd ssh ssh-keygen ip unshare nsenter setsid useradd chpasswd visudo busybox \
    /usr/sbin/dockerd docker tar timeout
  local t0 t
  t0=$(now_ms)
  lab_down
  mkdir -p "$LAB_DIR"
  record_side_paths
  step build_rootfs
  step start_dockerd # starts in the background; waited for in start_containers
  step gen_keys
  step make_users
  step make_netns
  step start_sshd
  step start_inner_sshd
  step make_nested
  step start_containers
  step start_isolation_containers
  step start_podman
  step start_ctr
  step start_nspawn
  step start_lxc
  [[ -z $GVISOR_SKIPPED ]] || log "up: gVisor skipped: $GVISOR_SKIPPED"
  [[ -z $LXC_SKIPPED ]] || log "up: LXC skipped: $LXC_SKIPPED"
  [[ -z $CTR_SKIPPED ]] || log "up: ctr skipped: $CTR_SKIPPED"
  [[ -z $NSPAWN_SKIPPED ]] || log "up: systemd-nspawn skipped: $NSPAWN_SKIPPED"
  [[ -z $PODMAN_SKIPPED ]] || log "up: podman skipped: $PODMAN_SKIPPED"
  wait_until 50 0.1 "sshd in nsx_ssh on 10.200.9.2:22" tcp_open 10.200.9.2 22 ||
    die "inner sshd did not start; see $LAB_DIR/sshd-inner.log"
  write_client_config
  write_lab_json
  log "up: ready in $(($(now_ms) - t0)) ms; $LAB_DIR/lab.json"
}

lab_status() {
  if [[ ! -s $LAB_DIR/lab.json ]]; then
    echo "lab is down (no $LAB_DIR/lab.json)"
    return 3
  fi
  local bad=0 p
  for p in sshd.pid sshd-inner.pid docker.pid hold-nsx_a.pid nested-inner.pid; do
    if pid_alive "$(read_pid "$LAB_DIR/$p")"; then echo "ok   ${p%.pid}"; else echo "DOWN ${p%.pid}"; bad=1; fi
  done
  for ns in "${LAB_NETNS[@]}"; do
    if [[ -e /run/netns/$ns ]]; then echo "ok   netns $ns"; else echo "DOWN netns $ns"; bad=1; fi
  done
  if docker ps --format '{{.Names}}' 2>/dev/null | grep -qx lab-c1; then echo "ok   lab-c1"; else echo "DOWN lab-c1"; bad=1; fi
  echo "$LAB_DIR/lab.json"
  return $bad
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up) lab_up ;;
    down)
      [[ $EUID -eq 0 ]] || die "lab.sh down must run as root"
      lab_down
      ;;
    status) lab_status ;;
    run)
      [[ ${1:-} == -- ]] && shift
      (($#)) || die "usage: lab.sh run -- CMD..."
      trap 'trap - EXIT; lab_down || true' EXIT
      trap 'exit 130' INT
      trap 'exit 143' TERM
      lab_up
      local rc=0
      "$@" || rc=$?
      exit "$rc"
      ;;
    *)
      echo "usage: ${0##*/} up|down|status|run -- CMD..." >&2
      exit 64
      ;;
  esac
}

main "$@"
