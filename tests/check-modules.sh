#!/bin/sh
# check-modules.sh: no module circles at link level in src/.
#
#   tests/check-modules.sh BUILD_DIR [src/x.o ...]
#                                        check the objects under BUILD_DIR/src
#                                        (or those named, relative to BUILD_DIR:
#                                        the Makefile names the current ones, so
#                                        a stale object of a removed file is not
#                                        read)
#   tests/check-modules.sh --self-test   check the checker on throwaway objects
#
# Reads the symbol tables of every object of src/ (main.o excepted: it is the
# top that uses everything and that nobody uses) with nm, draws an edge
# "A -> B" when A.o uses a global symbol that B.o defines, and fails if any
# object can reach itself along those edges: a strongly connected component
# of two or more objects.  For each such circle it lists its objects and one
# shortest way round, with a symbol that makes each step, so the seam to cut
# is on the screen.  On success it prints one summary line.
#
# POSIX sh, awk and nm (binutils) only: a fresh Debian has no python3.
set -eu

# The awk half.  Input: "O obj" for each object, then "D sym obj" for each
# global symbol obj defines and "U sym obj" for each it uses.  Objects are
# numbered in input order (sorted), so the output does not depend on awk's
# hash order.  Reachability is the transitive closure (Warshall; src/ has a
# few dozen objects), a circle is a set of objects that reach each other,
# and the way round is a breadth-first search inside the circle.
GRAPH_AWK='
function incircle(j, c) { return (j in comp) && comp[j] == c }
$1 == "O" { id[$2] = ++n; name[n] = $2; next }
$1 == "D" { if (!($2 in def)) def[$2] = id[$3]; next }
$1 == "U" { use[++nu] = $2; user[nu] = id[$3]; next }
END {
	for (k = 1; k <= nu; k++) {
		if (!(use[k] in def))
			continue;	# libc, libcurl, ...: outside src/
		a = user[k]; b = def[use[k]];
		if (a == b)
			continue;
		if (!((a, b) in edge)) { edge[a, b] = use[k]; ne++ }
		else if (use[k] < edge[a, b])
			edge[a, b] = use[k];	# the same symbol whatever the order
	}
	for (i = 1; i <= n; i++)
		for (j = 1; j <= n; j++)
			reach[i, j] = ((i, j) in edge);
	for (k = 1; k <= n; k++)
		for (i = 1; i <= n; i++)
			if (reach[i, k])
				for (j = 1; j <= n; j++)
					if (reach[k, j])
						reach[i, j] = 1;
	circles = 0;
	for (i = 1; i <= n; i++) {
		if ((i in comp) || !reach[i, i])
			continue;
		circles++;
		members = name[i];
		comp[i] = circles;
		for (j = i + 1; j <= n; j++)
			if (reach[i, j] && reach[j, i]) {
				comp[j] = circles;
				members = members " " name[j];
			}
		printf "check-modules: circle %d: %s\n", circles, members;
		# Shortest way from i back to i inside the circle.
		split("", parent); split("", seen);
		head = 1; tail = 0;
		for (j = 1; j <= n; j++)
			if (((i, j) in edge) && incircle(j, circles)) {
				queue[++tail] = j; parent[j] = i; seen[j] = 1;
			}
		found = 0;
		while (head <= tail && !found) {
			u = queue[head++];
			for (v = 1; v <= n; v++) {
				if (!((u, v) in edge) || !incircle(v, circles))
					continue;
				if (v == i) { last = u; found = 1; break }
				if (!(v in seen)) {
					seen[v] = 1; parent[v] = u; queue[++tail] = v;
				}
			}
		}
		if (!found) {
			print "check-modules: internal error: no way round" > "/dev/stderr";
			exit 2;
		}
		steps = 0; v = i; u = last;
		while (1) {
			path[++steps] = sprintf("    %s -> %s (%s)", name[u], name[v], edge[u, v]);
			if (u == i)
				break;
			v = u; u = parent[u];
		}
		for (k = steps; k >= 1; k--)
			print path[k];
	}
	if (circles > 0) {
		printf "check-modules: %d circle(s) among %d objects of %s\n", circles, n, what;
		exit 1;
	}
	printf "check-modules: %d objects, %d edges, no circle (%s)\n", n, ne, what;
}'

# graph DIR [OBJ...]: the circle check on the objects OBJ (relative to DIR),
# by default every one under DIR/src; exit 0 or 1, 2 when there is nothing
# to check.
graph() {
	[ -d "$1/src" ] || { echo "check-modules: no $1/src" >&2; return 2; }
	dir=$1
	shift
	if [ $# -gt 0 ]; then
		objs=$(for o in "$@"; do echo "$o"; done | grep -v '/main\.o$' | LC_ALL=C sort)
	else
		objs=$(cd "$dir" && find src -name '*.o' ! -name main.o | LC_ALL=C sort)
	fi
	[ -n "$objs" ] || { echo "check-modules: no objects in $dir/src" >&2; return 2; }
	(
		cd "$dir"
		for o in $objs; do echo "O $o"; done
		for o in $objs; do
			nm -P -g --defined-only "$o" | awk -v o="$o" '{ print "D", $1, o }'
			nm -P -u "$o" | awk -v o="$o" '{ print "U", $1, o }'
		done
	) | awk -v what="$dir/src" "$GRAPH_AWK"
}

# selftest: throwaway objects with and without circles; each case must come
# out as expected, or the checker proves nothing.
selftest() {
	t=$(mktemp -d "${TMPDIR:-/tmp}/check-modules.XXXXXX")
	trap 'rm -rf "$t"' EXIT
	cc=${CC:-cc}

	# obj CASE NAME DEFINES USES...: CASE/src/NAME.o defining function
	# DEFINES and calling each of USES.
	obj() {
		c=$1 f=$2 d=$3
		shift 3
		mkdir -p "$(dirname "$t/$c/src/$f.c")"
		{
			for u in "$@"; do echo "void $u(void);"; done
			echo "void $d(void);"
			echo "void $d(void) {"
			for u in "$@"; do echo "	$u();"; done
			echo "}"
		} > "$t/$c/src/$f.c"
		"$cc" -c -o "$t/$c/src/$f.o" "$t/$c/src/$f.c"
	}
	# expect CASE STATUS PATTERN: the check on CASE exits STATUS and its
	# output matches PATTERN (grep -E).
	expect() {
		set +e
		out=$(graph "$t/$1" 2>&1)
		rc=$?
		set -e
		if [ "$rc" != "$2" ] || ! printf '%s\n' "$out" | grep -Eq "$3"; then
			echo "check-modules self-test: case $1: exit $rc, expected $2 and /$3/:" >&2
			printf '%s\n' "$out" >&2
			exit 1
		fi
	}

	obj chain a a_fn b_fn
	obj chain b b_fn c_fn
	obj chain c c_fn outside_fn
	obj chain main main a_fn b_fn c_fn
	expect chain 0 '^check-modules: 3 objects, 2 edges, no circle'

	# main.o uses everyone and is used back; it is not a module of src/.
	obj top a a_fn main_helper
	obj top main main_helper a_fn
	expect top 0 '^check-modules: 1 objects, 0 edges, no circle'

	obj pair a a_fn b_fn
	obj pair b b_fn a_fn
	expect pair 1 'circle 1: src/a.o src/b.o$'
	expect pair 1 'src/b.o -> src/a.o \(a_fn\)'

	# Three round, one object beside it, in subfolders as src/aws/ is.
	obj ring x x_fn y_fn
	obj ring aws/y y_fn z_fn
	obj ring aws/z z_fn x_fn
	obj ring w w_fn x_fn
	expect ring 1 'circle 1: src/aws/y.o src/aws/z.o src/x.o$'
	expect ring 1 'src/aws/z.o -> src/x.o \(x_fn\)'
	expect ring 1 '1 circle\(s\) among 4 objects'

	# Two separate circles are two.
	obj two a a_fn b_fn
	obj two b b_fn a_fn
	obj two c c_fn d_fn
	obj two d d_fn c_fn
	expect two 1 '2 circle\(s\) among 4 objects'

	echo "check-modules self-test: chain, main, pair, ring and two circles as expected"
}

case ${1:-} in
--self-test) selftest ;;
-*|'') echo "usage: $0 BUILD_DIR [OBJECT...] | --self-test" >&2; exit 2 ;;
*) graph "$@" ;;
esac
