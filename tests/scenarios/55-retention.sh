#!/bin/sh
# 55-retention: a node with retention on archives and removes old delivered
# messages in batches from its own housekeeping, and keeps what is still
# queued; the archives verify offline with `sigmatctl archive verify`, a
# tampered one does not; a late copy of an archived message is ACKed as a
# duplicate and neither stored nor delivered again. (Age is given to the
# rows with SQL: the node's retention is the shortest it allows, 1 minute.)
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 55-retention

sg_node CI CI "archive_dir $SG_DIR/archive" "retention 1m" "retention_interval 100ms" \
    "retention_batch 7"
sg_adapter ci-adapter
sg_adapter ci-border
sg_adapter BF
sg_peer CI ci-adapter adapter CI
sg_peer CI ci-border adapter CI000401
sg_peer CI BF node BF "tcp://127.0.0.1:$(sg_port)"      # nobody listens: its queue waits
sg_route CI BF BF
sg_start CI

sg_bg "$SGTEST" listen $(sg_conn ci-border CI) --count 21 --timeout 30 --out "$SG_DIR/border.out"
L=$SG_BG
sg_wof "$SG_DIR/one.xml"
out=$("$SGTEST" body $(sg_conn ci-adapter CI) --body "$SG_DIR/one.xml" --timeout 10)
[ "$out" = "ACK $id" ] || sg_fail "send: $out"
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count 20 --mrns 4 --timeout 30 --out "$SG_DIR/sent.out" || sg_fail "sending"
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to BF000101 --count 3 --mrns 1 --timeout 30 --out "$SG_DIR/queued.out" || sg_fail "sending to BF"
sg_wait $L "the border adapter did not get 21 messages"
sg_until 20 sh -c "[ \"\$(psql -X -A -t -d '$(sg_conninfo CI)' -c \"select count(*) from delivery where state = 'done'\")\" = 21 ]" \
    || sg_fail "deliveries not all done"

# Everything is now two days old; the node's housekeeping takes over.
sg_sql CI "update message set received = now() - interval '2 days'" >/dev/null
sg_until 30 sh -c "[ \"\$(psql -X -A -t -d '$(sg_conninfo CI)' -c 'select count(*) from message')\" = 3 ]" \
    || sg_fail "old delivered messages were not removed: $(sg_sql CI 'select count(*) from message') left"
[ "$(sg_sql CI "select count(*) from delivery where state = 'pending' and next_hop = 'BF'")" = 3 ] \
    || sg_fail "the queued messages for BF did not stay"
[ "$(sg_sql CI "select count(*) from message_seen")" = 21 ] || sg_fail "message_seen != 21"
grep -q "retention: archived and removed 7 messages" "$SG_DIR/CI.log" \
    || sg_fail "no batch of 7 in the log"

# The archives: three or more files, all verify, 21 messages in all.
set -- "$SG_DIR"/archive/*.jsonl.gz
[ $# -ge 3 ] || sg_fail "expected at least 3 archives (batches of 7), got $#"
"$SIGMATCTL" archive verify "$@" --keys "$SG_DIR/keys" > "$SG_DIR/verify.out" \
    || sg_fail "archive verify: $(cat "$SG_DIR/verify.out")"
n=$(awk '/^ok/ { s += $3 } END { print s }' "$SG_DIR/verify.out")
[ "$n" = 21 ] || sg_fail "archives hold $n messages, expected 21"
# A tampered copy (one record more claimed) fails; a body changed fails.
zcat "$1" | sed 's/"kind": "end", "records": \([0-9]*\)/"kind": "end", "records": 9\1/' \
    | gzip > "$SG_DIR/bad1.jsonl.gz"
"$SIGMATCTL" archive verify "$SG_DIR/bad1.jsonl.gz" --keys "$SG_DIR/keys" > "$SG_DIR/bad1.out" \
    && sg_fail "a tampered archive verified"
grep -q "^FAIL" "$SG_DIR/bad1.out" || sg_fail "no FAIL line: $(cat "$SG_DIR/bad1.out")"
"$SIGMATCTL" archive verify "$1" > /dev/null 2>&1 && sg_fail "verify without keys succeeded"

# A late copy of an archived message: a duplicate (ACK), not stored, not queued.
out=$("$SGTEST" body $(sg_conn ci-adapter CI) --body "$SG_DIR/one.xml" --timeout 10)
[ "$out" = "ACK $id" ] || sg_fail "resend of an archived message: $out"
[ "$(sg_sql CI "select count(*) from message where id = '$id'")" = 0 ] \
    || sg_fail "an archived message was stored again"
[ "$(sg_sql CI "select count(*) from delivery where message_id = '$id'")" = 0 ] \
    || sg_fail "an archived message was queued again"
sg_stop CI
sg_pass
