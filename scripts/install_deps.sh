#!/bin/bash
# Installs the system packages the test suite needs (Debian/Ubuntu, apt). Idempotent and silent
# when everything is present; installs only what is missing. Not root and something missing:
# prints one line naming the packages and exits 1.
set -euo pipefail

# "package:check" pairs. A check is a command name, or an absolute path (for sshd, which lives
# in /usr/sbin and may be off a non-root PATH, and for the faketime preload library).
deps=(
  "zfs-fuse:zfs-fuse"
  "zfs-fuse:zpool"
  "openssh-server:/usr/sbin/sshd"
  "openssh-client:ssh"
  "openssh-client:ssh-keygen"
  "libfaketime:lib:faketime/libfaketime.so.1"
  "qemu-system-x86:qemu-system-x86_64"
  "qemu-utils:qemu-img"
  "mbuffer:mbuffer"
  "pv:pv"
  "zstd:zstd"
  "lz4:lz4"
  "pigz:pigz"
  "xz-utils:xz"
  "lzop:lzop"
  "gzip:gzip"
  "socat:socat"
  # --syslog tests: a python3 socket listener, util-linux logger.
  "python3:python3"
  "bsdutils:logger"
  # --prometheus tests: promtool check metrics (one ~19 MB package, ~30 s to install).
  "prometheus:promtool"
  # zfs-autoverify --fs-compare rsync.
  "rsync:rsync"
)

# `--demo`: only what `deno task demo` needs.
if [ "${1-}" = "--demo" ]; then
  deps=("zfs-fuse:zfs-fuse" "zfs-fuse:zpool")
fi

have() { # check
  case "$1" in
    lib:*) compgen -G "/usr/lib/*/${1#lib:}" >/dev/null || compgen -G "/usr/lib/${1#lib:}" >/dev/null ;;
    /*) [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] ;;
  esac
}

missing=()
for d in "${deps[@]}"; do
  pkg=${d%%:*}
  check=${d#*:}
  if ! have "$check"; then
    case " ${missing[*]-} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install_deps: missing packages (run as root or install them): ${missing[*]}" >&2
  exit 1
fi

echo "install_deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start services (sshd on port 22, the zfs-fuse init script): the
# harness starts its own instances. policy-rc.d exit 101 forbids it; only ours is removed.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
fi
cleanup() { [ "$own_policy" = 1 ] && rm -f "$policy"; return 0; }
trap cleanup EXIT

apt_install() { apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
# A fresh CI image usually has no package lists; update once and retry when install fails.
if ! apt_install; then
  apt-get update -q >&2
  apt_install
fi

still=()
for d in "${deps[@]}"; do
  have "${d#*:}" || still+=("${d%%:*}")
done
if [ ${#still[@]} -ne 0 ]; then
  echo "install_deps: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
