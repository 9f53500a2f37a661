#!/bin/sh
# check-conf-man.sh - every key sigmatd knows (`sigmatd --print-config`) is
# documented in deploy/sigmatd.conf.5, so the man page cannot fall behind
# the key table in broker/node/nodeconf.c.
set -u
src=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${SIGMAT_BUILDDIR:-$src}
man=$src/deploy/sigmatd.conf.5
sigmatd=$build/broker/sigmatd
[ -x "$sigmatd" ] || { echo "FAIL: $sigmatd not built" >&2; exit 1; }
[ -f "$man" ] || { echo "FAIL: $man missing" >&2; exit 1; }
# keys at a value (`key value`) or unset (`# key (not set)`, `# key (none)`)
keys=$("$sigmatd" --print-config \
       | sed -n 's/^\([a-z_][a-z0-9_]*\) .*/\1/p; s/^# \([a-z_][a-z0-9_]*\) (\(not set\|none\))$/\1/p' | sort -u)
[ -n "$keys" ] || { echo "FAIL: no keys from sigmatd --print-config" >&2; exit 1; }
n=0 missing=""
for k in $keys; do
    n=$((n + 1))
    # a key is documented by a .BI/.B line that starts its entry
    grep -Eq "^\.BI? $k( |$)" "$man" || missing="$missing $k"
done
[ -z "$missing" ] || { echo "FAIL: sigmatd.conf.5 does not document:$missing" >&2; exit 1; }
echo "PASS: $n keys of sigmatd --print-config documented in sigmatd.conf(5)"
