#!/bin/sh
# check-install.sh MAKE [VAR=value...]: `make install DESTDIR=<temp>` lays out
# the conventional tree under PREFIX=/usr/local, the installed unit runs the
# installed binary, a different PREFIX moves every path, and `make uninstall`
# removes what install put there.  Run from the top of the tree.
set -eu

make=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-install: FAIL: $*" >&2; exit 1; }

expect_tree() {	# DESTDIR PREFIX
	for f in sbin/visitsd share/man/man8/visitsd.8 \
	    share/doc/visitsd/config.example.ini \
	    share/doc/visitsd/visitsd.env.example \
	    lib/systemd/system/visitsd.service; do
		[ -f "$1$2/$f" ] || fail "$2/$f not installed"
	done
	[ -x "$1$2/sbin/visitsd" ] || fail "$2/sbin/visitsd is not executable"
	mode=$(stat -c %a "$1$2/lib/systemd/system/visitsd.service")
	[ "$mode" = 644 ] || fail "unit installed with mode $mode"
	# Exactly the files above, nothing stray.
	n=$(find "$1" -type f | wc -l)
	[ "$n" = 5 ] || fail "$n files installed, expected 5: $(find "$1" -type f)"
	unit=$1$2/lib/systemd/system/visitsd.service
	for key in ExecStart ExecStartPre; do
		cmd=$(sed -n "s/^$key=//p" "$unit")
		[ -n "$cmd" ] || fail "$key missing from the installed unit"
		bin=${cmd%% *}
		bin=${bin#-}
		[ "$bin" = "$2/sbin/visitsd" ] ||
		    fail "$key runs $bin, installed binary is $2/sbin/visitsd"
	done
	grep -q '^ExecStartPre=-\{0,1\}[^ ]*/visitsd -n$' "$unit" ||
	    fail "ExecStartPre is not 'visitsd -n'"
	# The unit differs from systemd/visitsd.service by the path only.
	sed "s|$2/sbin/|/usr/local/sbin/|g" "$unit" |
	    cmp -s - systemd/visitsd.service || fail "installed unit differs"
	"$1$2/sbin/visitsd" --version >/dev/null || fail "installed binary does not run"
}

$make -s install DESTDIR="$tmp/a" "$@" >/dev/null
expect_tree "$tmp/a" /usr/local

$make -s install DESTDIR="$tmp/b" PREFIX=/opt/visitsd "$@" >/dev/null
expect_tree "$tmp/b" /opt/visitsd

$make -s uninstall DESTDIR="$tmp/a" "$@" >/dev/null
left=$(find "$tmp/a" -type f)
[ -z "$left" ] || fail "uninstall left: $left"
echo "check-install: ok"
