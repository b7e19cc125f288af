#!/usr/bin/env bash
# Installs the Debian packages the test layers need.
#
#   scripts/install-deps.sh [unit|lab|browser|all]     (default: all)
#
# Idempotent: installs only what is missing, runs `apt-get update` at most once, and keeps package
# scripts from starting system services (a temporary policy-rc.d). Prints one line per thing still
# missing. Exit: 0 all present, 1 something could not be installed, 2 not root or no apt (callers
# report the layer as skipped).
set -uo pipefail

# What unit tests run: the probe under busybox's sh and applets and each awk; ssh -G and ssh-keygen for
# ssh config and known_hosts; script(1) for a real pty; capsh (libcap2-bin) to decode capability masks.
UNIT_PKGS=(busybox-static mawk gawk iproute2 util-linux procps openssh-client bsdutils libcap2-bin)
# netcat-openbsd: the lab tests' "ProxyCommand nc %h %p".
LAB_PKGS=(netcat-openbsd iputils-ping docker.io podman openssh-server openssh-client busybox-static sudo iptables iproute2 util-linux procps
  uidmap crun systemd-container runsc lxc tcpdump)
# libkrb5-dev: code-server's native modules build against it. fonts-wqy-zenhei: Chinese text in the zh-cn screenshots.
BROWSER_PKGS=(chromium libkrb5-dev fonts-wqy-zenhei)

case ${1:-all} in
  unit) PKGS=("${UNIT_PKGS[@]}") ;;
  lab) PKGS=("${UNIT_PKGS[@]}" "${LAB_PKGS[@]}") ;;
  browser) PKGS=("${BROWSER_PKGS[@]}") ;;
  all) PKGS=("${UNIT_PKGS[@]}" "${LAB_PKGS[@]}" "${BROWSER_PKGS[@]}") ;;
  *)
    echo "usage: ${0##*/} [unit|lab|browser|all]" >&2
    exit 64
    ;;
esac

installed() { [[ $(dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null) == installed ]]; }

missing_pkgs() {
  local p
  for p in "${PKGS[@]}"; do installed "$p" || echo "$p"; done
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "skipped: apt-get/dpkg not available on this machine; install by hand: ${PKGS[*]}"
  exit 2
fi

mapfile -t MISSING < <(missing_pkgs)
((${#MISSING[@]})) || exit 0

if [[ $EUID -ne 0 ]]; then
  echo "skipped: not root; missing: ${MISSING[*]} (run: sudo ${0} ${1:-all})"
  exit 2
fi

POLICY=/usr/sbin/policy-rc.d
if [[ ! -e $POLICY ]]; then
  # 101 = "action forbidden": postinst scripts must not start dockerd, sshd, ... on this machine.
  trap 'rm -f "$POLICY"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || echo "warning: apt-get update failed; trying the cached package lists"
if ! apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/tmp/install-deps.$$.log 2>&1; then
  # One by one, so a single unavailable package does not keep the others out.
  for p in "${MISSING[@]}"; do
    apt-get install -y -qq --no-install-recommends "$p" >>/tmp/install-deps.$$.log 2>&1 || true
  done
fi

mapfile -t STILL < <(missing_pkgs)
rc=0
for p in "${STILL[@]}"; do
  echo "missing: $p (apt-get install failed; see /tmp/install-deps.$$.log)"
  rc=1
done
((rc)) || rm -f "/tmp/install-deps.$$.log"
exit "$rc"
