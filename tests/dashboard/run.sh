#!/bin/sh
# tests/dashboard/run.sh - the corridor dashboard in a real headless
# Chromium. Starts a 3-node corridor CI -> hub -> BF (tests/scenarios/
# lib.sh), the hub's monitor with a token and its peers' monitors in
# http_peers, then runs dashboard.test.js (playwright-core), which checks
# the page, stops BF, watches the queue rise, restarts BF, watches it fall,
# and searches an MRN. Needs /usr/bin/chromium (or $CHROMIUM) and
# `npm ci` in tests/dashboard (or SG_DASHBOARD_MODULES=that node_modules);
# without them it skips (fails under CI=true, but in a read-only tree).
# SG_SCREENSHOT=path saves a screenshot (docs/dashboard.png is made so).
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"

sg_browser dashboard

sg_setup dashboard
"$SIGMATD" --print-config 2>/dev/null | grep -q '^#* *http_listen' || {
    [ "${CI:-}" = true ] && sg_fail "sigmatd has no http_listen (monitor not integrated)"
    sg_skip "sigmatd has no http_listen (monitor not integrated)"; }
TOKEN=dash-$$
HTTP_CI=$(sg_port)
HTTP_HUB=$(sg_port)
HTTP_BF=$(sg_port)
sg_node CI CI "http_listen 127.0.0.1:$HTTP_CI" "http_sample 500ms"
sg_node BF BF "http_listen 127.0.0.1:$HTTP_BF" "http_sample 500ms"
sg_node hub ZZ "http_listen 127.0.0.1:$HTTP_HUB" "http_token $TOKEN" "http_sample 500ms" \
    "http_peers http://127.0.0.1:$HTTP_CI http://127.0.0.1:$HTTP_BF"
sg_ci_hub_bf
for n in CI hub BF; do sg_start $n; done

# Two departure views at CI for the corridor table (the figures themselves
# are checked against the real lifecycle in 51-corridor-figures): one
# discharged, one in discrepancy, which the hub lists from CI's monitor.
sg_sql CI "insert into movement (mrn, office, role, state, departure, destination, created,
    released, arrived, finished, state_since) values
    ('26CI00000000000D11', 'CI000101', 'DEPARTURE', 'DISCHARGED', 'CI000101', 'BF000101',
     now() - interval '50 hours', now() - interval '48 hours', now() - interval '30 hours',
     now() - interval '28 hours', now() - interval '28 hours'),
    ('26CI00000000000D22', 'CI000101', 'DEPARTURE', 'DISCREPANCY', 'CI000101', 'BF000101',
     now() - interval '26 hours', now() - interval '24 hours', now() - interval '4 hours',
     NULL, now() - interval '3 hours')" >/dev/null || sg_fail "cannot add the movements"

# Some traffic first, so the links have numbers and an MRN has a journey.
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/aar.xml" --from CI000101 \
    --to BF000101 --count 20 --mrns 4 --timeout 20 --out "$SG_DIR/sent0.out" >/dev/null \
    || sg_fail "first sending failed"
MRN=$(awk '/^ACK/ { print $3; exit }' "$SG_DIR/sent0.out")

export SG_DIR TOKEN MRN SIGMATD SGTEST CHROMIUM
export SG_HUB_URL="http://127.0.0.1:$HTTP_HUB"
export SG_BF_PID=$(sg_pid BF) SG_BF_CONF="$SG_DIR/BF.conf"
export SG_SEND_ARGS="send $(sg_conn ci-adapter CI) --template $SG_EXAMPLES/wof.xml --from CI000101 --to BF000101 --count 30 --mrns 6 --timeout 20"
export NODE_PATH=$NODE_MODULES
node "$HERE/dashboard.test.js" || { rc=$?; [ -f "$SG_DIR/bf2.pid" ] && SG_PIDS="$SG_PIDS $(cat "$SG_DIR/bf2.pid")"; sg_fail "dashboard test failed ($rc)"; }
# The test restarted BF itself: stop that process cleanly.
pid=$(cat "$SG_DIR/bf2.pid")
kill -TERM "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; sg_fail "restarted BF did not stop"; }
sg_stop hub
sg_stop CI
sg_pass
