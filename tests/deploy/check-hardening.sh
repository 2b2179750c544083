#!/bin/sh
# check-hardening.sh BINARY: the daemon was built with the Makefile's
# hardening flags, read back from the ELF file with readelf (binutils):
#   PIE          ELF type DYN and DT_FLAGS_1 PIE        (-fPIE -pie)
#   full RELRO   a GNU_RELRO segment and BIND_NOW / NOW (-Wl,-z,relro,-z,now)
#   stack guard  __stack_chk_fail imported              (-fstack-protector-strong)
#   FORTIFY      at least one __*_chk function imported (-D_FORTIFY_SOURCE=2)
# The dynamic symbol table survives strip(1), so this holds for the image's
# stripped binary too.
set -eu

bin=${1:?usage: check-hardening.sh BINARY}
fail() { echo "check-hardening: FAIL: $bin: $*" >&2; exit 1; }
command -v readelf >/dev/null || fail "readelf not found (install binutils)"
[ -f "$bin" ] || fail "no such file"

readelf -h "$bin" | grep -Eq '^ *Type: *DYN' || fail "not a PIE (ELF type is not DYN)"
dyn=$(readelf -d "$bin")
echo "$dyn" | grep -Eq '\(FLAGS_1\).*\bPIE\b' || fail "DT_FLAGS_1 lacks PIE"
readelf -lW "$bin" | grep -q 'GNU_RELRO' || fail "no GNU_RELRO segment (-z relro)"
echo "$dyn" | grep -Eq '\(BIND_NOW\)|\(FLAGS\).*\bBIND_NOW\b|\(FLAGS_1\).*\bNOW\b' ||
    fail "no BIND_NOW: RELRO is partial (-z now)"
syms=$(readelf --dyn-syms -W "$bin")
echo "$syms" | grep -q ' __stack_chk_fail@' ||
    fail "__stack_chk_fail not imported (-fstack-protector-strong)"
echo "$syms" | grep -Eq ' __[a-z0-9_]+_chk@' ||
    fail "no __*_chk function imported (-D_FORTIFY_SOURCE)"
echo "check-hardening: $bin: PIE, full RELRO, stack protector, FORTIFY"
