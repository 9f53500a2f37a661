#!/bin/sh
# tests/exports.sh - libsigmat's public API is exactly what sigmat.h
# declares, all of it prefixed sg_: (1) every symbol the shared library
# defines in its dynamic table starts with sg_; (2) each is declared in a
# header sigmat.h includes; (3) each function those headers declare is
# exported. SKIP (77) when the build made no shared library.
set -eu
src=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${SIGMAT_BUILDDIR:-.}
lib=$bld/.libs/libsigmat.so
if [ ! -f "$lib" ]; then
    # CI builds the shared library: there a missing one is a fault.
    [ "${CI:-}" = true ] && { echo "FAIL: no $lib" >&2; exit 1; }
    echo "SKIP: no $lib (configured with --disable-shared?)" >&2
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fail_if_any FILE WHAT HINT: FAIL, listing FILE's lines, when it is not empty
fail_if_any () {
    [ -s "$1" ] || return 0
    echo "FAIL: $2:"
    sed 's/^/  /' "$1"
    echo "hint: $3"
    exit 1
}

# (1) defined dynamic symbols, code and data
nm -D --defined-only "$lib" | awk 'NF == 3 && $2 ~ /^[TtDdBbRrVvWwGgSsi]$/ {print $3}' \
    | sort -u > "$tmp/exported"
if [ ! -s "$tmp/exported" ]; then
    echo "FAIL: $lib exports nothing"
    exit 1
fi
grep -v '^sg_' "$tmp/exported" > "$tmp/bad" || true
fail_if_any "$tmp/bad" "libsigmat exports symbols without the sg_ prefix" \
    "name them sg_... if they are public API (declared in a header sigmat.h includes), else keep them without sg_ so the export list (-export-symbols-regex '^sg_') hides them"

# the headers sigmat.h includes, found in the source tree
: > "$tmp/headers"
for h in $(sed -n 's/^#include <sigmat\/\([^>]*\)>.*/\1/p' "$src/sigmat.h"); do
    f=
    for d in lib messages proto; do
        [ -f "$src/$d/$h" ] && f=$src/$d/$h
    done
    if [ -z "$f" ]; then
        echo "FAIL: sigmat.h includes <sigmat/$h>, which is in none of lib/ messages/ proto/"
        exit 1
    fi
    echo "$f" >> "$tmp/headers"
done

# function and variable names declared by those headers
# shellcheck disable=SC2046
perl -0777 -ne '
    s{/\*.*?\*/}{}gs; s{//[^\n]*}{}g; s{^\s*#[^\n]*(\\\n[^\n]*)*}{}gm;
    1 while s/\{[^{}]*\}/;/gs;
    for my $st (split /;/) {
        next if $st =~ /^\s*(typedef|static)\b/;
        $st =~ s/__attribute__\s*\(\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)\)//g;
        if ($st =~ /\b([A-Za-z_]\w*)\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)\s*$/s) { print "F $1\n" }
        elsif ($st =~ /^\s*extern\b.*?\b([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*$/s) { print "V $1\n" }
    }' $(cat "$tmp/headers") | sort -u > "$tmp/declared"

# (2) every export is declared
awk '{print $2}' "$tmp/declared" | sort -u > "$tmp/names"
comm -23 "$tmp/exported" "$tmp/names" > "$tmp/undeclared"
fail_if_any "$tmp/undeclared" "exported but declared in no header of sigmat.h" \
    "declare them in a public header, or give them a name without sg_"

# (3) every declared function is exported
awk '$1 == "F" {print $2}' "$tmp/declared" | sort -u > "$tmp/functions"
comm -23 "$tmp/functions" "$tmp/exported" > "$tmp/missing"
fail_if_any "$tmp/missing" "declared in sigmat.h's headers but not exported by libsigmat" \
    "public functions are named sg_... and defined in lib/, messages/ or proto/"

echo "ok: libsigmat exports $(wc -l < "$tmp/exported") symbols, all sg_, all declared through sigmat.h"
