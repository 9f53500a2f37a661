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
    echo "SKIP: no $lib (configured with --disable-shared?)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# (1) defined dynamic symbols, code and data
nm -D --defined-only "$lib" | awk 'NF == 3 && $2 ~ /^[TtDdBbRrVvWwGgSsi]$/ {print $3}' \
    | sort -u > "$tmp/exported"
if [ ! -s "$tmp/exported" ]; then
    echo "FAIL: $lib exports nothing"
    exit 1
fi
grep -v '^sg_' "$tmp/exported" > "$tmp/bad" || true
if [ -s "$tmp/bad" ]; then
    echo "FAIL: libsigmat exports symbols without the sg_ prefix:"
    sed 's/^/  /' "$tmp/bad"
    echo "hint: rename them sg_... if they are public API (and declare them in a"
    echo "      header sigmat.h includes), else keep them out of sg_ so the export"
    echo "      list (-export-symbols-regex '^sg_') hides them"
    exit 1
fi

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
if [ -s "$tmp/undeclared" ]; then
    echo "FAIL: exported but declared in no header of sigmat.h:"
    sed 's/^/  /' "$tmp/undeclared"
    echo "hint: declare them in a public header, or give them a name without sg_"
    exit 1
fi

# (3) every declared function is exported
awk '$1 == "F" {print $2}' "$tmp/declared" | sort -u > "$tmp/functions"
comm -23 "$tmp/functions" "$tmp/exported" > "$tmp/missing"
if [ -s "$tmp/missing" ]; then
    echo "FAIL: declared in sigmat.h's headers but not exported by libsigmat:"
    sed 's/^/  /' "$tmp/missing"
    echo "hint: public functions are named sg_... and defined in lib/, messages/ or proto/"
    exit 1
fi

echo "ok: libsigmat exports $(wc -l < "$tmp/exported") symbols, all sg_, all declared through sigmat.h"
