#!/bin/sh
# check-systemd.sh MAKE [VAR=value...]: systemd/visitsd.service passes
# `systemd-analyze security --offline=yes` with an overall exposure of at most
# MAX_EXPOSURE (1.5), and `systemd-analyze verify` prints nothing for it.
#
# verify resolves ExecStart= and Documentation=man:visitsd(8), so it runs on
# the unit as installed with PREFIX=<temp>: the binary and the man page then
# exist where the unit says, and MANPATH points man(1) at them.
set -eu

make=$1
shift
unit=systemd/visitsd.service
max=${MAX_EXPOSURE:-1.5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-systemd: FAIL: $*" >&2; exit 1; }

out=$(systemd-analyze security --offline=yes "$unit" 2>&1) ||
    fail "systemd-analyze security: $out"
level=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$level" ] || fail "no exposure level in: $out"
awk -v l="$level" -v m="$max" 'BEGIN { exit !(l + 0 <= m + 0) }' ||
    fail "exposure $level > $max; $(echo "$out" | grep '✗')"
echo "check-systemd: exposure $level (limit $max)"

$make -s install PREFIX="$tmp" "$@" >/dev/null
out=$(MANPATH="$tmp/share/man" systemd-analyze verify \
    "$tmp/lib/systemd/system/visitsd.service" 2>&1) ||
    fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
echo "check-systemd: verify clean"
