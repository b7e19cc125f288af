#!/bin/sh
# nsx probe, format 1. Source of PROBE_SCRIPT in probeScript.ts (regenerate with
# NSX_UPDATE_PROBE=1 npx mocha out/test/unit/discovery/probeScript.test.js); see that file for the format.
# Every fork costs (tens of ms on small VMs), so each kind of data is read by one command for all PIDs.
export LC_ALL=C
[ -n "$NSX_KEEP_PATH" ] || PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
say() { printf '%s\n' "$*"; }
warn() { printf '@@warn %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
# Engine CLIs can hang on a dead daemon; bound each call when timeout(1) exists.
if have timeout; then t() { timeout 15 "$@"; }; else t() { "$@"; }; fi
nl='
'
extra_docker=
scope=full
while [ $# -gt 0 ]; do
  case $1 in
    --docker-socket) extra_docker="$extra_docker $2"; shift 2 ;;
    --scope) scope=$2; shift 2 ;;
    *) shift ;;
  esac
done

read up0 _ </proc/uptime
say "@@nsx-probe 1"
say "@@host"
read h </proc/sys/kernel/hostname; say "hostname=$h"
read k </proc/sys/kernel/osrelease; say "kernel=$k"
say "uptime0=$up0"
say "shellpid=$$"
tools=
for x in lsns ip nsenter stat docker podman ctr crictl nerdctl machinectl lxc-ls timeout; do
  have $x && tools="$tools $x"
done
say "tools=$tools"

# status fields, non-identity checks need all uid_map lines, the cgroup v2 line (or v1 lines), nsfs
# mounts and the probe's own netns interfaces from sysfs: one grep over all of them. Status lines start
# with a letter; the others start with a digit or a space.
say "@@files"
grep -sH -e '^Name:' -e '^State:' -e '^PPid:' -e '^Uid:' -e '^NSpid:' -e '^ *[0-9]' \
  /proc/[0-9]*/status /proc/[0-9]*/uid_map /proc/[0-9]*/cgroup /proc/$$/mountinfo \
  /sys/class/net/*/ifindex /sys/class/net/*/iflink
say "@@cmdline"
# grep -z prefixes each NUL-terminated argument with its file; only then do newlines inside arguments
# become \037 and NULs newlines, so no argument can forge a line of its own. cut bounds each argument.
grep -asHz '' /proc/[0-9]*/cmdline | tr '\n\0' '\037\n' | cut -c1-300
say "@@ns"
nsl=$(stat -L -c '%n %i' /proc/[0-9]*/ns/* /proc/$$/ns/net 2>/dev/null)
say "$nsl"

if have lsns; then
  j=$(lsns -J -o NS,TYPE,PATH,NPROCS,PID,PNS,ONS 2>/dev/null) || j=$(lsns -J -o NS,TYPE,NPROCS,PID 2>/dev/null) || j=
  if [ -n "$j" ]; then say "@@lsns"; say "$j"; else warn "lsns failed: parent and owner namespaces are unknown"; fi
fi

# Network namespaces: one representative per distinct inode; nsfs mounts first (they outlive pids).
self=
cands=
while read -r f i; do
  case $f in
    /proc/$$/ns/net) self=$i ;;
    /proc/*/ns/net) cands="$cands$i $f$nl" ;;
  esac
done <<NSX_EOF
$nsl
NSX_EOF
mounts=
while read -r _ _ _ root mp _; do
  case $root in net:\[*\]) i=${root#net:[}; mounts="$mounts${i%]} $mp$nl" ;; esac
done </proc/$$/mountinfo
# Interfaces of every network namespace (scope full only): one ip per namespace, the costly part.
nets() {
inns() {
  p=$1; shift
  if [ "$p" = - ]; then "$@"; else nsenter --net="$p" "$@"; fi
}
ipmode=proc
if out=$(ip -j -d addr show 2>/dev/null); then ipmode=json
elif ip -o addr show >/dev/null 2>&1; then ipmode=text; fi
say "@@ipmode $ipmode"
seen=' '
while read -r ino p; do
  [ -n "$ino" ] || continue
  case $seen in *" $ino "*) continue ;; esac
  # Mount points with escapes (spaces, newlines) cannot be passed on; a pid path usually can.
  case $p in *\\*) continue ;; esac
  seen="$seen$ino "
  say "@@netns $ino $p"
  case $ipmode in
    json) if [ "$p" = - ]; then say "$out"; else inns "$p" ip -j -d addr show 2>/dev/null || warn "ip failed in netns $ino"; fi ;;
    text) inns "$p" ip -o -d link show 2>/dev/null || inns "$p" ip -o link show 2>/dev/null
          say "@@netns-addr $ino"
          inns "$p" ip -o addr show 2>/dev/null ;;
    proc) say "@@netns-dev $ino"
          inns "$p" cat /proc/net/dev /proc/net/if_inet6 2>/dev/null ;;
  esac
done <<NSX_EOF
$self -
$mounts$cands
NSX_EOF
}

# Engines: daemons and shims found in the process table give sockets, stores and ids. One grep finds
# them, one more reads all their command lines, however many there are.
us=$(printf '\037')
CV=
canon() { case $1 in /var/run/*) CV=/run/${1#/var/run/} ;; *) CV=$1 ;; esac; }
# podman global flags that select the store and its state; conmon passes them to its --exit-command
# (podman ... container cleanup ID), so `podman FLAGS ps` lists exactly that store.
pmflag() {
  case $1 in
    --root|--runroot|--tmpdir|--storage-driver|--storage-opt|--runtime|--cgroup-manager|--events-backend|\
    --network-config-dir|--network-backend|--volumepath|--db-backend|--imagestore|--cni-config-dir) return 0 ;;
  esac
  return 1
}
dockerd= conmon= containerd= shims= dpaths=
if have docker || have podman || have ctr; then
  daemons=$(grep -sHx -e 'Name:.dockerd' -e 'Name:.conmon' -e 'Name:.containerd' -e 'Name:.containerd-shim.*' /proc/[0-9]*/status)
  while IFS=: read -r f _ n; do
    [ -n "$f" ] || continue
    p=${f#/proc/}; p=${p%/status}
    case $n in
      *containerd-shim*) shims="$shims $p " ;;
      *dockerd) dockerd="$dockerd $p " ;;
      *conmon) conmon="$conmon $p " ;;
      *containerd) containerd="$containerd $p " ;;
      *) continue ;;
    esac
    dpaths="$dpaths /proc/$p/cmdline"
  done <<NSX_EOF
$daemons
NSX_EOF
fi
dk_socks= ct_socks= ct_confs= pm_stores=
# Called after the last argument of each daemon (kind $kind, pid $dp).
dend() {
  case $kind in
    dockerd) [ -n "$dh" ] || dk_socks="$dk_socks /run/docker.sock" ;;
    containerd) [ -n "$dh" ] || ct_socks="$ct_socks /run/containerd/containerd.sock" ;;
    conmon) [ -n "$rec" ] && case "$nl$pm_stores" in *"$nl$rec$nl"*) ;; *) pm_stores="$pm_stores$rec$nl" ;; esac ;;
  esac
  kind=
}
dhost() {
  case $1 in
    unix://*) s=${1#unix://} ;;
    fd://*) s=/var/run/docker.sock ;;
    *) return ;;
  esac
  [ -S "$s" ] || { [ -S "/proc/$dp/root$s" ] && s=/proc/$dp/root$s; }
  canon "$s"; dk_socks="$dk_socks $CV"
}
if [ -n "$dpaths" ]; then
  dargs=$(grep -asHz '' $dpaths | tr '\n\0' '\037\n')
  cur= kind= prev= eprev= rec= dh= dp=
  while IFS= read -r l; do
    f=${l%%:*}; x=${l#*:}
    if [ "$f" != "$cur" ]; then
      dend
      cur=$f; dp=${f#/proc/}; dp=${dp%/cmdline}; prev= eprev= rec= dh=
      case " $dockerd $containerd $shims $conmon " in
        *" $dp "*) ;;
        *) continue ;;
      esac
      case " $dockerd " in *" $dp "*) kind=dockerd ;; esac
      case " $containerd " in *" $dp "*) kind=containerd ;; esac
      case " $shims " in *" $dp "*) kind=shim ;; esac
      case " $conmon " in *" $dp "*) kind=conmon ;; esac
    fi
    case $kind in
      dockerd)
        case $prev in -H|--host) dh=1; dhost "$x" ;; esac
        case $x in --host=*|-H=*) dh=1; dhost "${x#*=}" ;; esac ;;
      containerd)
        case $prev in -a|--address) dh=1; ct_socks="$ct_socks $x" ;; -c|--config) dh=1; ct_confs="$ct_confs $x" ;; esac
        case $x in --address=*) dh=1; ct_socks="$ct_socks ${x#*=}" ;; --config=*) dh=1; ct_confs="$ct_confs ${x#*=}" ;; esac ;;
      shim)
        case $prev in -address|--address) ct_socks="$ct_socks $x" ;; esac ;;
      conmon)
        if [ "$prev" = --exit-command-arg ]; then
          pmflag "$eprev" && rec="$rec$us$eprev=$x"
          pmflag "${x%%=*}" && [ "$x" != "${x%%=*}" ] && rec="$rec$us$x"
          eprev=$x
        fi ;;
    esac
    prev=$x
  done <<NSX_EOF
$dargs
NSX_EOF
  dend
fi
eng_docker() {
  have docker || return 0
  socks=$dk_socks
  [ -S /var/run/docker.sock ] && socks="$socks /run/docker.sock"
  case $DOCKER_HOST in unix://*) canon "${DOCKER_HOST#unix://}"; socks="$socks $CV" ;; esac
  for s in $extra_docker; do canon "$s"; socks="$socks $CV"; done
  done_socks=' '
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

eng_podman() {
  have podman || return 0
  # The default store, then each store a running conmon names (stopped containers of a custom store
  # without any running one stay unseen).
  pm_default=
  # The default store only when it holds containers (a podman call costs hundreds of ms).
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
      # Docker's own namespace only repeats the containers docker listed.
      [ "$n" = moby ] && [ -n "$dk_socks" ] && have docker && continue
      say "@@ctr-containers $s $n"
      t ctr -a "$s" -n "$n" containers ls 2>/dev/null
      say "@@ctr-tasks $s $n"
      t ctr -a "$s" -n "$n" tasks ls 2>/dev/null
      if have nerdctl; then
        say "@@nerdctl $s $n"
        t nerdctl -a "$s" -n "$n" ps -a --format '{{json .}}' 2>/dev/null
      fi
    done
  done
}

eng_other() {
if have crictl; then
  if p=$(t crictl pods -o json 2>/dev/null); then
    say "@@crictl-pods"; say "$p"
    say "@@crictl-ps"; t crictl ps -a -o json 2>/dev/null
  fi
fi

if [ -d /run/systemd/machines ]; then
  say "@@machines"
  grep -sH '' /run/systemd/machines/*
fi
if have machinectl; then
  say "@@machinectl"
  t machinectl list --no-legend --no-pager 2>/dev/null
fi

if have lxc-ls; then
  say "@@lxc"
  t lxc-ls -f -F NAME,STATE,PID 2>/dev/null
elif [ -d /var/lib/lxc ]; then
  say "@@lxc-dirs"
  ls -1 /var/lib/lxc 2>/dev/null
fi
}

# Interfaces and each engine are independent and mostly wait on daemons: run them side by side, each
# into its own file, and print the files in a fixed order.
jobs="eng_docker eng_podman eng_ctr eng_other"
[ "$scope" = tree ] || jobs="nets $jobs"
tmpd=
case $jobs in *" "*) tmpd=$(mktemp -d 2>/dev/null) || tmpd= ;; esac
if [ -n "$tmpd" ] && [ -d "$tmpd" ]; then
  trap 'rm -rf "$tmpd"' EXIT
  for j in $jobs; do $j >"$tmpd/$j" 2>/dev/null & done
  wait
  for j in $jobs; do cat "$tmpd/$j"; done
else
  for j in $jobs; do $j; done
fi

read up1 _ </proc/uptime
say "@@end $up1"
