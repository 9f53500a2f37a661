#!/bin/sh
# 03-duplicates: the same SEND three times gives three ACKs and one stored
# row, one delivery; also across a restart of the node, and for many
# messages each sent three times on one connection.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 03-duplicates

sg_node CI CI
sg_adapter ci-adapter
sg_adapter ci-border
sg_peer CI ci-adapter adapter CI
sg_peer CI ci-border adapter CI000401     # exact office beats the country
sg_start CI

sg_bg "$SGTEST" listen $(sg_conn ci-border CI) --count 201 --timeout 30 --out "$SG_DIR/border.out"
L=$SG_BG

# One message file, sent three times (three connections), then once more
# after a restart.
sg_wof "$SG_DIR/one.xml"
for i in 1 2 3; do
    out=$("$SGTEST" body $(sg_conn ci-adapter CI) --body "$SG_DIR/one.xml" --timeout 10)
    [ "$out" = "ACK $id" ] || sg_fail "send $i of the same message: $out"
done
[ "$(sg_sql CI "select count(*) from message where id = '$id'")" = 1 ] || sg_fail "stored more than once"
[ "$(sg_sql CI "select count(*) from delivery where message_id = '$id'")" = 1 ] || sg_fail "queued more than once"

sg_stop CI
sg_start CI
out=$("$SGTEST" body $(sg_conn ci-adapter CI) --body "$SG_DIR/one.xml" --timeout 10)
[ "$out" = "ACK $id" ] || sg_fail "send after restart: $out"
[ "$(sg_sql CI "select count(*) from message where id = '$id'")" = 1 ] || sg_fail "stored again after restart"

# 200 messages, each SEND three times in a row on one connection.
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count 200 --mrns 7 --repeat 3 --timeout 30 --out "$SG_DIR/sent.out" \
    || sg_fail "sending failed"
[ "$(grep -c '^ACK' "$SG_DIR/sent.out")" = 600 ] || sg_fail "expected 600 ACKs"
[ "$(awk '{print $2}' "$SG_DIR/sent.out" | sort -u | wc -l)" = 200 ] || sg_fail "expected 200 ids"
[ "$(sg_sql CI "select count(*) from message")" = 201 ] || sg_fail "message rows != 201"
[ "$(sg_sql CI "select count(*) from delivery")" = 201 ] || sg_fail "delivery rows != 201"

sg_wait $L "the border adapter did not get 201 messages"
n=$(sg_check_order "$SG_DIR/border.out") || sg_fail "duplicate or out-of-order delivery"
[ "$n" = 201 ] || sg_fail "$n deliveries, expected 201"
dups=$(grep -c '^DUP' "$SG_DIR/border.out")
[ "$dups" = 0 ] || sg_fail "$dups duplicate deliveries"

sg_stop CI
sg_pass
