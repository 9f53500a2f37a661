#!/bin/sh
# check-lib-deps.sh - libsigmat's packaging dependencies match what the
# built library links: every shared library libsigmat.so needs (objdump -p)
# is named in libsigmat.pc (Requires or Requires.private) and its -dev
# package in libsigmat-dev's Depends (debian/control), and nothing else is:
# libsigmat-dev must not pull libpq-dev while libsigmat does not link libpq.
set -u
src=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${SIGMAT_BUILDDIR:-$src}
so=$build/.libs/libsigmat.so
pc=$src/libsigmat.pc.in
control=$src/debian/control
[ -f "$so" ] || { echo "FAIL: $so not built" >&2; exit 1; }
if ! command -v objdump >/dev/null; then
    # binutils comes with build-essential: under CI its absence is a fault.
    [ "${CI:-}" = true ] && { echo "FAIL: no objdump (binutils)" >&2; exit 1; }
    echo "SKIP: no objdump (binutils)" >&2
    exit 77
fi

# library soname prefix -> pkg-config module -> Debian -dev package
map="libxml2:libxml-2.0:libxml2-dev libzmq:libzmq:libzmq3-dev libcrypto:libcrypto:libssl-dev
libssl:libssl:libssl-dev libuuid:uuid:uuid-dev libz:zlib:zlib1g-dev libpq:libpq:libpq-dev
libmicrohttpd:libmicrohttpd:libmicrohttpd-dev"
fails=0
fail () { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

needed=$(objdump -p "$so" | sed -n 's/^ *NEEDED *\(lib[a-z0-9_+-]*\)\.so.*/\1/p' | sort -u)
[ -n "$needed" ] || { echo "FAIL: no NEEDED entries in $so" >&2; exit 1; }
requires=$(sed -n 's/^Requires\(\.private\)\{0,1\}: *//p' "$pc" | tr ', ' '\n\n' | sed '/^$/d' | sort -u)
# libsigmat-dev's Depends, one package per line, without versions or substvars
depends=$(awk '/^Package: /{p = ($2 == "libsigmat-dev")} p && /^Depends:/{d=1} p && d{print} p && d && !/,$/{d=0}' "$control" \
          | sed 's/^Depends://' | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/^ *//; s/ *$//' \
          | grep -v '^\$\|^libsigmat0$\|^$' | sort -u)

wanted_pc="" wanted_dev=""
for lib in $needed; do
    case $lib in libc|ld-linux*|libm|libpthread|libdl) continue ;; esac
    entry=$(echo "$map" | tr ' ' '\n' | grep "^$lib:") \
        || { fail "$so needs $lib, which this check does not know: add it to the map"; continue; }
    mod=$(echo "$entry" | cut -d: -f2) dev=$(echo "$entry" | cut -d: -f3)
    wanted_pc="$wanted_pc $mod" wanted_dev="$wanted_dev $dev"
    echo "$requires" | grep -qx "$mod" || fail "libsigmat links $lib: libsigmat.pc.in must name $mod"
    echo "$depends" | grep -qx "$dev" || fail "libsigmat links $lib: libsigmat-dev must depend on $dev"
done
for mod in $requires; do
    echo " $wanted_pc " | grep -q " $mod " || fail "libsigmat.pc.in names $mod, which libsigmat does not link"
done
for dev in $depends; do
    echo " $wanted_dev " | grep -q " $dev " || fail "libsigmat-dev depends on $dev, which libsigmat does not link"
done
[ "$fails" = 0 ] || exit 1
echo "PASS: libsigmat links$(echo $needed | sed 's/^/ /'); libsigmat.pc and libsigmat-dev name exactly those"
