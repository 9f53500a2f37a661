#!/bin/sh
# tests/generic/openapi.sh: starts sigmat-generic alone (no node is needed:
# submissions wait in its state) and holds adapters/generic/openapi.yaml to
# it with openapi_check.py. Needs /usr/bin/python3 with PyYAML (python3-yaml).
set -u
SRC=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SIGMAT_BUILDDIR:-$SRC}
PY=/usr/bin/python3
: "${SIGMAT_SCHEMA_DIR:=$SRC/messages/schemas}"
export SIGMAT_SCHEMA_DIR
if ! "$PY" -c 'import yaml' 2>/dev/null; then
    echo "SKIP: python3 with PyYAML (python3-yaml) is needed"
    [ "${CI:-}" = true ] && exit 1
    exit 77
fi
DIR=$(mktemp -d /tmp/sigmat-openapi.XXXXXX) || exit 99
PID=
cleanup () { rc=$?; [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID"; [ $rc = 0 ] && rm -rf "$DIR"; exit $rc; }
trap cleanup EXIT
PORT=$(( 10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 22000 ))
cat > "$DIR/generic.conf" <<EOC
name openapi-check
node_endpoint tcp://127.0.0.1:1
http_listen 127.0.0.1:$PORT
state_db $DIR/state.db
http_token check openapi-check-token-0001 CI,BF
log_level warn
EOC
"$BUILD/adapters/generic/sigmat-generic" -c "$DIR/generic.conf" > "$DIR/generic.log" 2>&1 &
PID=$!
i=0
until curl -sf "http://127.0.0.1:$PORT/v1/health" -o /dev/null; do
    i=$((i + 1)); [ $i -gt 50 ] && { echo "FAIL: sigmat-generic did not start"; cat "$DIR/generic.log"; exit 1; }
    sleep 0.1
done
"$PY" "$SRC/tests/generic/openapi_check.py" "$SRC/adapters/generic/openapi.yaml" \
    "http://127.0.0.1:$PORT" openapi-check-token-0001
