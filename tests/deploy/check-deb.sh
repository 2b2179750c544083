#!/bin/bash
# check-deb.sh DEB_DIR CACHE_DIR: install the package `make deb` built in
# DEB_DIR into a fresh Debian 12 root (the debootstrap image debian-base.sh
# imports, in a throwaway container) with `apt-get install ./visitsd_*.deb`,
# as a user would, and check what the package promises:
#
#  - the files are in place: /usr/sbin/visitsd, the unit in
#    /lib/systemd/system pointing at it, visitsd(8), and
#    /etc/visitsd/visitsd.env as a conffile, mode 0600, with no key in it;
#  - the service is installed but neither enabled nor started, and without
#    a key source `visitsd -n` refuses the settings (exit 78), so it could
#    not start anyway; with a key added to the env file, `visitsd -n` says
#    "configuration OK";
#  - `apt-get remove` keeps the edited conffile, `apt-get purge` removes
#    everything the package installed but leaves the state in
#    /var/lib/visitsd.
#
# Uses the dockerd that answers, or starts one (dockerd.sh).  Containers
# use the host network (there is no bridge); apt reaches the same mirror as
# the host's apt.
set -euo pipefail

debdir=$(cd "${1:?usage: check-deb.sh DEB_DIR CACHE_DIR}" && pwd)
cache=$(mkdir -p "${2:?usage: check-deb.sh DEB_DIR CACHE_DIR}" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
name=visitsd-deb-$$

# Prefer the CLI of the Debian package, which matches its dockerd.
if [ -x /usr/bin/docker ]; then docker=/usr/bin/docker; else docker=docker; fi
export DOCKER="$docker"
# shellcheck source=tests/deploy/dockerd.sh
. "$here/dockerd.sh"
trap '$docker rm -f "$name" >/dev/null 2>&1 || true; dockerd_down' EXIT

log() { echo "check-deb: $*"; }
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }

deb=$(cd "$debdir" && ls visitsd_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no visitsd_*.deb in $debdir (make deb)"
dockerd_up "$cache"
"$here/debian-base.sh" "$cache"

# A TLS-intercepting proxy's CA, where the machine has one, so that apt or
# anything the package pulls in can reach the registries as the host does.
certs=()
for c in /usr/local/share/ca-certificates/*.crt; do
	[ -f "$c" ] && certs+=(-v "$c:$c:ro")
done

log "installing $deb into a fresh debian:bookworm"
# The script runs in the container; every check prints "ok: ..." or fails.
if ! $docker run --rm --name "$name" --network host "${certs[@]}" \
    -v "$debdir:/deb:ro" -e DEB="$deb" debian:bookworm bash -c '
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
apt-get update -qq
# systemd first, so that `systemctl is-enabled` can answer for the unit.
apt-get install -y -qq systemd >/dev/null
cd /deb
apt-get install -y -qq "./$DEB" >/tmp/install.log 2>&1 ||
    { cat /tmp/install.log; fail "apt-get install ./$DEB"; }
ok "apt-get install ./$DEB"

[ -x /usr/sbin/visitsd ] || fail "no /usr/sbin/visitsd"
unit=/lib/systemd/system/visitsd.service
[ -f $unit ] || fail "no $unit"
grep -qx "ExecStart=/usr/sbin/visitsd" $unit || fail "unit does not start /usr/sbin/visitsd"
grep -E "^Exec.*/usr/local" $unit && fail "unit still runs from /usr/local"
[ -f /usr/share/man/man8/visitsd.8.gz ] || fail "no visitsd(8)"
env=/etc/visitsd/visitsd.env
[ -f $env ] || fail "no $env"
dpkg-query -W -f="\${Conffiles}\n" visitsd | grep -q " $env " ||
    fail "$env is not a conffile"
[ "$(stat -c %a $env)" = 600 ] || fail "$env mode $(stat -c %a $env), want 600"
grep -Eq "^[[:space:]]*VISITSD_API_KEY" $env && fail "$env sets a key"
ok "files in place: /usr/sbin/visitsd, $unit, visitsd(8), conffile $env"

state=$(systemctl is-enabled visitsd 2>&1 || true)
[ "$state" = disabled ] || fail "systemctl is-enabled visitsd: $state, want disabled"
ls /etc/systemd/system/*.wants/visitsd.service >/dev/null 2>&1 &&
    fail "the unit is linked into a .wants directory"
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/visitsd ] &&
	    fail "visitsd is running (pid ${p#/proc/})"
done
dpkg-deb --ctrl-tarfile "/deb/$DEB" | tar -xO ./postinst |
    grep -q "deb-systemd-invoke.*start" && fail "postinst starts the service"
ok "service installed, not enabled, not started"

# As systemd would run ExecStartPre=: the unit environment, then the file.
check() { env -i VISITSD_SQLITE_PATH=/var/lib/visitsd/visits.db \
    bash -c "set -a; . $env; exec /usr/sbin/visitsd -n" 2>&1; }
rc=0; out=$(check) || rc=$?
[ $rc = 78 ] || fail "visitsd -n without a key source: exit $rc, want 78: $out"
ok "without a key source visitsd -n exits 78: $out"
install -d -m 0700 /var/lib/visitsd
echo VISITSD_API_KEY=check-deb-0123456789abcdef >>$env
out=$(check) || fail "visitsd -n with a key: $out"
[ "$out" = "configuration OK" ] || fail "visitsd -n: $out"
ok "with VISITSD_API_KEY in $env: visitsd -n says $out"

# Some state, as the service would leave it.
echo counts >/var/lib/visitsd/visits.db
apt-get remove -y -qq visitsd >/dev/null
[ -e /usr/sbin/visitsd ] && fail "remove left /usr/sbin/visitsd"
grep -q check-deb $env || fail "remove lost the edited conffile"
ok "apt-get remove keeps the edited $env"
apt-get purge -y -qq visitsd >/dev/null
for f in /usr/sbin/visitsd $unit /usr/share/man/man8/visitsd.8.gz \
    /etc/visitsd /usr/share/doc/visitsd; do
	[ -e $f ] && fail "purge left $f"
done
dpkg-query -W -f="\${db:Status-Status}" visitsd 2>/dev/null | grep -q . &&
    [ "$(dpkg-query -W -f="\${db:Status-Status}" visitsd)" != not-installed ] &&
    fail "dpkg still knows visitsd: $(dpkg-query -W -f="\${db:Status-Status}" visitsd)"
[ -f /var/lib/visitsd/visits.db ] || fail "purge removed the state"
ok "apt-get purge removes the package files and keeps /var/lib/visitsd"
'; then
	fail "see above"
fi
log "ok"
