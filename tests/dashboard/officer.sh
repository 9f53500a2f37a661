#!/bin/sh
# tests/dashboard/officer.sh - the officer screen of sigmat-asycuda in a real
# headless Chromium. Two nodes (CI departure, BF destination) with their
# ASYCUDA adapters and officer tokens; a T1 Abidjan -> Ouagadougou is
# released; officer.test.js (playwright-core) opens Ouagadougou's screen in
# French, finds the truck with its seals and plate, sees a refusal in
# French, records the arrival through the form, and sees the departure
# office's screen show the movement arrived; then switches to English.
# sigmat-generic serves the same screen over its own API: in French, its
# refusals (problem titles) in French too.
# Needs /usr/bin/chromium (or $CHROMIUM) and `npm ci` in tests/dashboard
# (or SG_DASHBOARD_MODULES); without them it skips (fails under CI=true).
# SG_SCREENSHOT=path saves a screenshot.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"

sg_browser "officer screen"

sg_setup officer-screen
SG_LIFECYCLE=yes
. "$SG_SRC/tests/scenarios/asy.sh"
[ -x "$ASY" ] || sg_fail "sigmat-asycuda not built ($ASY)"

sg_node CI CI
sg_node BF BF
for a in ci-asycuda bf-asycuda bf-generic; do sg_adapter $a; done
sg_peer CI ci-asycuda adapter CI
sg_route CI CI ci-asycuda
sg_peer CI BF node BF "$(sg_endpoint BF)"
sg_route CI BF BF
sg_peer BF bf-asycuda adapter BF
sg_peer BF bf-generic adapter BF
sg_route BF BF bf-asycuda
sg_peer BF CI node CI "$(sg_endpoint CI)"
sg_route BF CI CI
sg_start CI
sg_start BF

BF_TOKEN=ouaga-screen-0123456789
CI_TOKEN=abidjan-screen-0123456789
echo "a.ouedraogo $(echo $BF_TOKEN | "$ASY" hash-token) BF000101" > "$SG_DIR/bf-officers"
echo "k.kouassi $(echo $CI_TOKEN | "$ASY" hash-token) CI000101" > "$SG_DIR/ci-officers"
for c in CI BF; do
    n=$(echo $c | tr A-Z a-z)-asycuda
    asy_write "$n" "$c" "http_officers $SG_DIR/$(echo $c | tr A-Z a-z)-officers"
    d=$SG_DIR/$n
    port=$(eval "echo \$HTTP_$c")
    "$ASY" -c "$d.conf" run >>"$d.log" 2>&1 &
    SG_PIDS="$SG_PIDS $!"
    sg_until 20 curl -fsS "http://127.0.0.1:$port/v1/health" -o /dev/null 2>/dev/null || sg_fail "$n API not up"
done

GP=$(sg_port)
cat > "$SG_DIR/bf-generic.conf" <<EOC
$(sg_adapter_link bf-generic BF)
http_listen 127.0.0.1:$GP
state_db $SG_DIR/bf-generic.db
http_officers $SG_DIR/bf-officers
EOC
"$SG_BUILD/adapters/generic/sigmat-generic" -c "$SG_DIR/bf-generic.conf" >> "$SG_DIR/bf-generic.log" 2>&1 &
SG_PIDS="$SG_PIDS $!"
sg_until 20 curl -fsS "http://127.0.0.1:$GP/v1/health" -o /dev/null 2>/dev/null || sg_fail "bf-generic API not up"
export GEN_URL="http://127.0.0.1:$GP"

cp "$SG_SRC/tests/asycuda/t1-abidjan-ouaga-released.xml" "$SG_DIR/ci-asycuda/spool/.t1.tmp"
mv "$SG_DIR/ci-asycuda/spool/.t1.tmp" "$SG_DIR/ci-asycuda/spool/t1.xml"
sg_until 30 sh -c "ls '$SG_DIR/bf-asycuda/inbox' | grep -q '^AAR_'" || sg_fail "no AAR at the BF adapter"
MRN=$(ls "$SG_DIR/bf-asycuda/inbox" | grep '^AAR_' | head -1 | cut -d_ -f2)

export CHROMIUM MRN BF_TOKEN CI_TOKEN
export BF_URL="http://127.0.0.1:$HTTP_BF" CI_URL="http://127.0.0.1:$HTTP_CI"
export SEAL=CI-DGD-0045872 PLATE=2841HJ01
export NODE_PATH=$NODE_MODULES
node "$HERE/officer.test.js" || sg_fail "officer screen test failed"
# What the browser did reached the node: the ARR from Ouagadougou's screen.
[ "$(sg_sql BF "select count(*) from message where type = 'ARR' and mrn = '$MRN'")" = 1 ] \
    || sg_fail "the arrival recorded on the screen is not at the BF node"
sg_pass
