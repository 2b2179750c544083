#!/bin/bash
# check-systemd-live.sh IMAGE: run systemd/visitsd.service under a real
# systemd (PID 1 of a container) with the daemon from IMAGE (the visitsd
# image check-docker built), and check what the unit promises: start
# returns once visitsd is ready (Type=notify) with the whole sandbox on, the
# counts go to the StateDirectory as a non-root user, a 0600 root:root key
# file reaches the dynamic user through LoadCredential= (a restart picks up
# a new key, `systemctl reload` keeps serving), core dumps are off, the
# watchdog is fed, a bad setting fails with 78 and is not restarted, a crash
# is restarted, stop is clean, and without the key file the unit still
# starts on another key source.
#
# Called by check-docker.sh with DOCKER and DOCKER_HOST set.  The container
# shares the host network (there is no bridge), so visitsd listens on a free
# loopback port picked here.
set -euo pipefail

image=${1:?usage: check-systemd-live.sh IMAGE}
docker=${DOCKER:-docker}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
name=visitsd-systemd-$$
ctx=$(mktemp -d)
trap '$docker rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$ctx"' EXIT

log() { echo "check-systemd-live: $*"; }
fail() {
	echo "check-systemd-live: FAIL: $*" >&2
	$docker exec "$name" journalctl -u visitsd --no-pager 2>&1 | tail -20 >&2 || true
	exit 1
}
cx() { $docker exec "$name" "$@"; }
prop() { cx systemctl show visitsd -p "$1" --value; }

cp "$top/systemd/visitsd.service" "$ctx/"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $image AS app
FROM debian:bookworm
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
        systemd systemd-sysv dbus libmicrohttpd12 libjansson4 libssl3 \\
        libsqlite3-0 libinih1 libcurl4 ca-certificates \\
 && rm -rf /var/lib/apt/lists/* \\
 && systemctl mask getty@tty1.service console-getty.service \\
        systemd-logind.service systemd-networkd.service \\
        systemd-resolved.service systemd-timesyncd.service
COPY --from=app /usr/local/sbin/visitsd /usr/local/sbin/visitsd
COPY visitsd.service /usr/local/lib/systemd/system/visitsd.service
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
DOCKERFILE
$docker build --force-rm --network host -t visitsd:check-systemd "$ctx" \
    >"$ctx/build.log" 2>&1 || { tail -20 "$ctx/build.log" >&2; fail "build"; }

# --privileged would ask for every capability, which nested sandboxes may
# not grant; systemd needs these to set up the unit's sandbox.
caps=
for c in CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID \
    SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_ADMIN NET_RAW IPC_LOCK \
    IPC_OWNER SYS_CHROOT SYS_PTRACE SYS_ADMIN SYS_NICE MKNOD AUDIT_WRITE \
    SETFCAP; do
	caps="$caps --cap-add $c"
done
# shellcheck disable=SC2086
$docker run -d --name "$name" $caps --security-opt seccomp=unconfined \
    --security-opt apparmor=unconfined --network host --cgroupns=host \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    visitsd:check-systemd >/dev/null
for _ in $(seq 1 100); do
	state=$(cx systemctl is-system-running 2>/dev/null || true)
	case $state in running | degraded) break ;; esac
	sleep 0.2
done
case $state in running | degraded) ;; *) fail "systemd did not boot: $state" ;; esac
# systemd builds a unit's credential directory in a private mount namespace
# and moves it into /run/credentials, which reaches the unit only if /run
# propagates mounts, as on a booted host.  Docker's --tmpfs /run does not:
# without this, LoadCredential= leaves an empty root-only directory.
cx mount --make-rshared /run

port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
base=http://127.0.0.1:$port
# No static visitsd user: the service runs as a dynamic one, and the key
# file is root's alone; systemd copies it into $CREDENTIALS_DIRECTORY.
cx sh -c "install -d /etc/visitsd && umask 077 &&
    printf 'VISITSD_API_KEY_FILE=/run/credentials/visitsd.service/api-key\nVISITSD_LISTEN=127.0.0.1:$port\n' \
        >/etc/visitsd/visitsd.env &&
    install -m 0600 -o root -g root /dev/null /etc/visitsd/api-key &&
    printf k1 >/etc/visitsd/api-key"

# Type=notify: start returns only when visitsd said READY=1, so it answers
# at once, with no polling.
cx systemctl start visitsd || fail "systemctl start"
[ "$(prop ActiveState)" = active ] || fail "not active after start"
got=$(curl -sS -A 'Mozilla/5.0 (X11; Linux x86_64) visitsd-test' -X POST -H 'x-api-key: k1' "$base/api/visits/home")
[ "$got" = '{"user":"home","visits":1,"unique":1}' ] || fail "POST under systemd: $got"
log "Type=notify start, POST answered at once"

uid=$(cx stat -c %u /var/lib/private/visitsd/visits.db)
[ "$uid" != 0 ] || fail "visits.db owned by root"
mode=$(cx stat -c %a /var/lib/private/visitsd/visits.db)
[ "$mode" = 600 ] || fail "visits.db mode $mode"
pid=$(prop MainPID)
[ "$(cx awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" != 0 ] ||
    fail "visitsd runs as root"
[ "$(cx awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")" = 0000000000000000 ] ||
    fail "visitsd has capabilities"
log "state in StateDirectory, mode 600, uid $uid, no capabilities"

[ "$(cx stat -c '%a %U' /etc/visitsd/api-key)" = "600 root" ] || fail "key file not 0600 root"
[ "$(prop LimitCORE)" = 0 ] || fail "LimitCORE $(prop LimitCORE)"
[ "$(cx awk '/^Max core file size/ { print $5 }' "/proc/$pid/limits")" = 0 ] ||
    fail "core dumps allowed: $(cx grep core "/proc/$pid/limits")"
log "0600 root:root key file loaded as a credential, no core dumps"

cx sh -c 'printf k2,k1 >/etc/visitsd/api-key'
cx systemctl reload visitsd || fail "systemctl reload"
got=$(curl -sS -o /dev/null -w '%{http_code}' -H 'x-api-key: k1' "$base/api/visits/home")
[ "$got" = 200 ] || fail "old key after reload: $got"
cx systemctl restart visitsd || fail "systemctl restart"
got=$(curl -sS -o /dev/null -w '%{http_code}' -H 'x-api-key: k2' "$base/api/visits/home")
[ "$got" = 200 ] || fail "new key after restart: $got"
pid=$(prop MainPID)
log "reload keeps serving; restart loads the changed key file"

[ "$(prop WatchdogUSec)" != 0 ] || fail "no watchdog configured"
first=$(prop WatchdogTimestampMonotonic)
for _ in $(seq 1 100); do
	[ "$(prop WatchdogTimestampMonotonic)" != "$first" ] && break
	sleep 0.2
done
[ "$(prop WatchdogTimestampMonotonic)" != "$first" ] || fail "no WATCHDOG=1 within 20 s"
log "watchdog fed"

cx sh -c "kill -KILL $pid"
for _ in $(seq 1 100); do
	new=$(prop MainPID)
	[ "$new" != 0 ] && [ "$new" != "$pid" ] && [ "$(prop ActiveState)" = active ] && break
	sleep 0.1
done
[ "$(prop NRestarts)" = 1 ] || fail "not restarted after SIGKILL"
got=$(curl -sS -H 'x-api-key: k2' "$base/api/visits/home")
[ "$got" = '{"user":"home","visits":1,"unique":1}' ] || fail "count after restart: $got"
log "restarted after a crash, count kept"

cx systemctl stop visitsd
[ "$(prop Result)" = success ] || fail "stop result $(prop Result)"
log "stop: clean"

# Without the key file (another key source): the SetCredential= fallback
# lets the unit start.
cx sh -c "rm /etc/visitsd/api-key && umask 077 &&
    printf 'VISITSD_API_KEY=k3\nVISITSD_LISTEN=127.0.0.1:$port\n' >/etc/visitsd/visitsd.env"
cx systemctl start visitsd || fail "start without the key file"
got=$(curl -sS -o /dev/null -w '%{http_code}' -H 'x-api-key: k3' "$base/api/visits/home")
[ "$got" = 200 ] || fail "VISITSD_API_KEY without the key file: $got"
cx systemctl stop visitsd
log "no key file: starts on VISITSD_API_KEY"

cx sh -c 'echo VISITSD_THREADS=1 >>/etc/visitsd/visitsd.env'
cx systemctl reset-failed visitsd 2>/dev/null || true
if cx systemctl start visitsd 2>/dev/null; then fail "started with a bad setting"; fi
sleep 3
[ "$(prop ExecMainStatus)" = 78 ] || fail "bad setting exit status $(prop ExecMainStatus)"
[ "$(prop ActiveState)" = failed ] || fail "bad setting: $(prop ActiveState)"
[ "$(prop NRestarts)" = 0 ] || fail "bad setting restarted $(prop NRestarts) times"
log "bad setting: failed with 78, not restarted"
log "ok"
