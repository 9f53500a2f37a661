#!/bin/sh
# regress-schemas: found by the chaos run. A node restarted without its
# message schemas (SIGMAT_SCHEMA_DIR unset, files not installed) used to
# start, then NAK every message with code 12 for good: its peers moved them
# all to dead letters. It must refuse to start instead, saying why; with
# the schemas it gets past that check (and stops at the next: no keys here).
set -u
SRC=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SIGMAT_BUILDDIR:-$SRC/build}
T=$(mktemp -d /tmp/sigmat-regress.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT
fail () { echo "FAIL: regress-schemas: $*" >&2; exit 1; }
cat > "$T/n.conf" <<EOC
name XX
country CI
bind tcp://127.0.0.1:1
db "dbname=none host=$T/nosock"
curve_secret $T/missing.key
curve_public $T/missing.pub
sign_key $T/missing.sign
EOC
SIGMAT_SCHEMA_DIR=$T/no-schemas timeout 30 "$BUILD/broker/sigmatd" -c "$T/n.conf" > "$T/out" 2>&1
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || fail "sigmatd started without its schemas (exit $rc)"
grep -q "cannot load the message schemas from $T/no-schemas" "$T/out" \
    || fail "no clear error: $(cat "$T/out")"
SIGMAT_SCHEMA_DIR=$SRC/messages/schemas timeout 30 "$BUILD/broker/sigmatd" -c "$T/n.conf" \
    > "$T/out2" 2>&1
grep -q "message schemas" "$T/out2" && fail "schemas refused although present: $(cat "$T/out2")"
grep -q "CURVE secret key" "$T/out2" || fail "unexpected: $(cat "$T/out2")"
echo "PASS: regress-schemas"
