#!/bin/sh
# 05-offline-peer: BF's node is down while CI accepts 5,000 messages for it
# (50,000 with SIGMAT_LONG=1); CI keeps only queue_memory of them in
# memory, the rest waits in its database. BF comes back: everything is
# delivered to the BF adapter exactly once and in order per MRN, and CI's
# queue drains to zero.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 05-offline-peer

N=${SG_N:-5000}
[ "${SIGMAT_LONG:-0}" = 1 ] && N=50000

sg_node CI CI "queue_memory 300" "page_size 200"
sg_node BF BF
sg_ci_bf

sg_start CI
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to BF000101 --count $N --mrns 37 --window 256 --timeout 60 --out "$SG_DIR/sent.out" \
    || sg_fail "CI did not accept everything while BF was down"
[ "$(sg_sql CI "select count(*) from delivery where next_hop = 'BF' and state = 'pending'")" = $N ] \
    || sg_fail "CI does not hold $N pending deliveries for BF"
sg_log "$N messages queued at CI for BF"

# CI's memory holds at most queue_memory of them (status row: queued + inflight).
sg_until 5 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select queued + inflight <= 300 and state = 'running' from node_status where name = 'CI'\")\" = t ]" \
    || sg_fail "CI holds more than queue_memory messages in memory"

sg_start BF
sg_bg "$SGTEST" listen $(sg_conn bf-adapter BF) --count $N --timeout 60 --out "$SG_DIR/bf.out"
sg_wait $SG_BG "the BF adapter did not get all $N messages"
sg_log "BF adapter received $N"

n=$(sg_check_order "$SG_DIR/bf.out") || sg_fail "duplicate or out-of-order delivery at BF"
[ "$n" = $N ] || sg_fail "$n deliveries, expected $N"
awk '{print $2}' "$SG_DIR/sent.out" | sort > "$SG_DIR/want"
awk '$1 != "DUP" {print $1}' "$SG_DIR/bf.out" | sort > "$SG_DIR/got"
cmp -s "$SG_DIR/want" "$SG_DIR/got" || sg_fail "BF received other ids than CI accepted"
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from delivery where state <> 'done'\")\" = 0 ]" \
    || sg_fail "CI's queue for BF did not drain"

sg_stop CI
sg_stop BF
sg_pass
