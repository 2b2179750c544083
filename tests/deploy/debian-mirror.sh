#!/bin/sh
# debian-mirror.sh: print the Debian mirror and security mirror this machine's
# apt uses for bookworm, one per line ("main <url>", "security <url>"), read
# from /etc/apt/sources.list and /etc/apt/sources.list.d/ (one-line and
# deb822 formats).  DEBIAN_MIRROR overrides the main mirror.  Exits 1 when
# no bookworm mirror is configured.
set -eu

files=$(ls /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$files" ] || { echo "debian-mirror: no apt sources" >&2; exit 1; }

# shellcheck disable=SC2086
awk '
function emit(types, uris, suites,   n, i, s, u, kind) {
	if (types !~ /(^|[ \t])deb([ \t]|$)/)
		return
	n = split(suites, s, /[ \t]+/)
	for (i = 1; i <= n; i++) {
		if (s[i] == "bookworm") kind = "main"
		else if (s[i] == "bookworm-security") kind = "security"
		else continue
		split(uris, u, /[ \t]+/)
		if (!(kind in seen)) { seen[kind] = 1; print kind, u[1] }
	}
}
FNR == 1 { emit(types, uris, suites); types = uris = suites = "" }
FILENAME ~ /\.sources$/ {
	if ($0 ~ /^[ \t]*$/) { emit(types, uris, suites); types = uris = suites = ""; next }
	if ($1 == "Types:") { $1 = ""; types = $0 }
	if ($1 == "URIs:") { $1 = ""; sub(/^[ \t]+/, ""); uris = $0 }
	if ($1 == "Suites:") { $1 = ""; suites = $0 }
	next
}
/^[ \t]*deb[ \t]/ {
	line = $0
	gsub(/\[[^]]*\]/, "", line)
	split(line, f, /[ \t]+/)
	emit("deb", f[2], f[3])
}
END { emit(types, uris, suites) }
' $files | {
	main= security=
	while read -r kind url; do
		case $kind in
		main) main=${url%/} ;;
		security) security=${url%/} ;;
		esac
	done
	main=${DEBIAN_MIRROR:-$main}
	[ -n "$main" ] || { echo "debian-mirror: no bookworm mirror in apt sources" >&2; exit 1; }
	echo "main $main"
	[ -z "$security" ] || echo "security $security"
}
