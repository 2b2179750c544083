#!/bin/sh
# deps.sh: install the Debian/Ubuntu packages visitsd needs, if any are missing.
#
#   scripts/deps.sh build     libraries and tools to build and run visitsd
#   scripts/deps.sh check     ... plus what `make check` needs (Check, Node.js,
#                             Chromium, systemd-analyze and man for its
#                             unit check; promtool comes from
#                             scripts/promtool.sh)
#   scripts/deps.sh docker    ... plus what `make check-docker` needs
#   scripts/deps.sh fresh     what `make check-fresh` needs (debootstrap,
#                             Docker, git)
#   scripts/deps.sh demo      build, plus Python for `make demo`'s page server
#   scripts/deps.sh fuzz      libraries plus clang and its sanitizer and
#                             libFuzzer runtime, for `make fuzz`
#   scripts/deps.sh deb       build, plus debhelper and lintian for `make deb`
#   scripts/deps.sh bench     build, plus what `make bench` runs: wrk, nginx,
#                             gunicorn with Flask and boto3, Node.js and npm
#                             (its npm modules: bench/package.json), and
#                             perf and valgrind for the profiles of
#                             docs/performance.md
#
# It asks dpkg which packages are missing and installs only those: with
# apt-get when run as root, with sudo when that is available, and otherwise
# prints the exact command to run and fails.
set -eu

build="build-essential pkg-config libmicrohttpd-dev libjansson-dev libssl-dev
libsqlite3-dev libinih-dev libcurl4-openssl-dev"
check="$build check curl nodejs npm chromium systemd man-db wrk sqlite3 valgrind openssl"
docker="$check debootstrap docker.io docker-compose"
fuzz="$build clang libclang-rt-dev"
fresh="debootstrap docker.io git"
deb="$build debhelper dpkg-dev lintian fakeroot"
bench="$build curl nodejs npm wrk nginx-light gunicorn python3-flask python3-boto3
linux-perf valgrind"

case "${1:-build}" in
build) want=$build ;;
check) want=$check ;;
docker) want=$docker ;;
demo) want="$build python3" ;;
fuzz) want=$fuzz ;;
fresh) want=$fresh ;;
deb) want=$deb ;;
bench) want=$bench ;;
*) echo "usage: $0 build|check|docker|demo|fuzz|fresh|deb|bench" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	# Node.js and npm may come from elsewhere (nodesource, nvm): accept them.
	case $p in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "visitsd needs these packages:$missing" >&2
	echo "run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
