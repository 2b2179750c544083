#!/bin/sh
# promtool.sh DIR: print the path of a promtool for make check's alerting
# rule tests, fetching one into DIR when the machine has none.
#
# Debian ships promtool only inside the prometheus package, whose install
# would also enable and start a Prometheus server on a systemd machine, a
# side effect no test run should have.  So the package is downloaded
# (apt-get download, no root needed) and only its statically linked
# /usr/bin/promtool (Apache-2.0) is extracted into DIR.
set -eu

dir=${1:?usage: promtool.sh DIR}
if command -v promtool >/dev/null 2>&1; then
	command -v promtool
	exit 0
fi
if [ -x "$dir/promtool" ]; then
	echo "$dir/promtool"
	exit 0
fi
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
	# No package lists yet (a fresh machine whose packages were all there).
	[ "$(id -u)" = 0 ] || { echo "promtool.sh: run apt-get update first" >&2; exit 1; }
	apt-get update -qq
	(cd "$tmp" && apt-get download prometheus >/dev/null)
fi
dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
cp "$tmp/root/usr/bin/promtool" "$dir/promtool.tmp"
mv "$dir/promtool.tmp" "$dir/promtool"
echo "$dir/promtool"
