#!/bin/sh
# unit-sandbox.sh USER RW_PATH ALLOWED_FILE SECCOMP_EXEC -- COMMAND [ARG...]
#
# t/600's emulation of djass-worker.service's sandbox without systemd as
# PID 1 (a test has none). Run as root under
#   unshare --mount --ipc --uts --propagation private
# (PrivateMounts=, PrivateIPC=, ProtectHostname=: namespaces of its own);
# here, in that mount namespace:
#   ReadWritePaths=RW_PATH    bound onto itself, left writable
#   PrivateDevices=yes        a /dev of its own: null zero full random
#                             urandom tty, shm, pts, fd (no disks, no kmsg:
#                             ProtectKernelLogs=)
#   PrivateTmp=yes            empty /tmp and /var/tmp (but for
#                             /tmp/.unit-sandbox: the filter's program)
#   ProtectHome=yes           empty, read-only /home /root /run/user
#   ProtectSystem=strict      every other mount read-only (/sys and its
#                             cgroups included: ProtectKernelTunables=,
#                             ProtectControlGroups=)
#   ProtectProc=invisible,
#   ProcSubset=pid            a /proc of its own, hidepid=invisible,subset=pid
#   UMask=0022
#   User=, Group=, CapabilityBoundingSet=, AmbientCapabilities=,
#   NoNewPrivileges=          setpriv: the user's ids, no capability at all
#   SystemCallFilter=, SystemCallErrorNumber=, SystemCallArchitectures=,
#   RestrictAddressFamilies=, MemoryDenyWriteExecute=
#                             seccomp-exec (t/deb/seccomp-exec.c)
# then runs COMMAND. Not emulated: IPAddressDeny= (cgroup BPF),
# RestrictNamespaces=, RestrictRealtime=, RestrictSUIDSGID=,
# LockPersonality= (systemd's own seccomp rules on arguments), RemoveIPC=.
set -eu

user=$1 rw=$2 allowed=$3 seccomp=$4
shift 4
[ "${1:-}" = "--" ] && shift

# what stays writable
mount --bind "$rw" "$rw"

# PrivateDevices=: the old /dev kept aside to take the few nodes from
old=$(mktemp -d)
mount --rbind /dev "$old"
mount -t tmpfs -o mode=0755,nosuid,noexec tmpfs /dev
for n in null zero full random urandom tty; do
    touch "/dev/$n"
    mount --bind "$old/$n" "/dev/$n"
done
mkdir /dev/shm /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
umount -l "$old"
rmdir "$old"

# PrivateTmp=; the filter's program and list go there, where USER can
# read them (the test's own folder is root's)
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
mkdir -m 0755 /tmp/.unit-sandbox
cp "$seccomp" /tmp/.unit-sandbox/seccomp-exec
cp "$allowed" /tmp/.unit-sandbox/allowed
chmod 0755 /tmp/.unit-sandbox/seccomp-exec
chmod 0644 /tmp/.unit-sandbox/allowed

# ProtectHome=
for d in /home /root /run/user; do
    if [ -d "$d" ]; then
        mount -t tmpfs -o mode=0755,ro,nosuid,nodev tmpfs "$d"
    fi
done

# ProtectSystem=strict: every mount read-only but the writable ones
# (field 5 of mountinfo, octal escapes undone)
awk '{ print $5 }' /proc/self/mountinfo | sort -u | while read -r m; do
    m=$(printf '%b' "$m")
    case "$m" in
        "$rw"|/tmp|/var/tmp|/dev|/dev/*|/proc|/proc/*) continue ;;
    esac
    mount -o remount,bind,ro "$m" 2>/dev/null || true
done

# ProtectProc=invisible, ProcSubset=pid
mount -t proc -o nosuid,nodev,noexec,hidepid=invisible,subset=pid proc /proc

umask 0022
exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
    --inh-caps=-all --ambient-caps=-all --bounding-set=-all \
    --no-new-privs -- /tmp/.unit-sandbox/seccomp-exec \
    /tmp/.unit-sandbox/allowed -- "$@"
