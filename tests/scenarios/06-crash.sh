#!/bin/sh
# 06-crash: kill -9 in the middle of traffic, restart, nothing lost and
# nothing applied twice. Chain: ci-adapter -> CI -> BF -> bf-adapter.
#  A. 10,000 messages (100,000 with SIGMAT_LONG=1) in flight; CI, the node
#     receiving them, is killed at a random moment and restarted: every
#     message the adapter got ACKed arrives at the BF adapter exactly
#     once (ids compared at the receiving client), in order per MRN.
#  B. The same with BF, the node delivering to the receiving client,
#     killed: everything arrives; a DELIVER the adapter had acknowledged
#     just before the crash may come again (at-least-once to adapters,
#     which deduplicate on the message id), never more than one window.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 06-crash

N=${SG_N:-10000}
[ "${SIGMAT_LONG:-0}" = 1 ] && N=100000

sg_node CI CI
sg_node BF BF
sg_ci_bf
sg_start CI
sg_start BF

rand_ms () { echo $(( $1 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % ($2 - $1) )); }
sleep_ms () { sleep "$(awk "BEGIN { print $1 / 1000 }")"; }

phase () {   # phase TAG NODE-TO-KILL
    tag=$1 victim=$2
    sg_bg "$SGTEST" listen $(sg_conn bf-adapter BF) --count $N --timeout 60 --out "$SG_DIR/$tag.got"
    L=$SG_BG
    sg_bg "$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
        --to BF000101 --count $N --mrns 53 --window 256 --timeout 60 --out "$SG_DIR/$tag.sent"
    S=$SG_BG
    # a random moment while messages are in flight
    t=$(rand_ms 300 1500)
    sleep_ms $t
    sent=$(grep -c '^ACK' "$SG_DIR/$tag.sent")
    sg_kill $victim
    sg_log "phase $tag: killed $victim after $t ms ($sent ACKed so far)"
    [ "$sent" -lt $N ] || sg_log "warning: phase $tag: all messages were ACKed before the kill"
    sg_start $victim
    sg_wait $S "phase $tag: the sender did not get every message acknowledged"
    [ "$(grep -c '^ACK' "$SG_DIR/$tag.sent")" = $N ] || sg_fail "phase $tag: not $N ACKs"
    sg_wait $L "phase $tag: the BF adapter did not get every message"
    n=$(sg_check_order "$SG_DIR/$tag.got") || sg_fail "phase $tag: out of order (or id twice)"
    [ "$n" = $N ] || sg_fail "phase $tag: $n distinct deliveries, expected $N"
    awk '{print $2}' "$SG_DIR/$tag.sent" | sort > "$SG_DIR/$tag.want"
    awk '$1 != "DUP" {print $1}' "$SG_DIR/$tag.got" | sort > "$SG_DIR/$tag.ids"
    cmp -s "$SG_DIR/$tag.want" "$SG_DIR/$tag.ids" || sg_fail "phase $tag: delivered ids differ from acknowledged ids"
    DUPS=$(grep -c '^DUP' "$SG_DIR/$tag.got")
}

phase A CI
[ "$DUPS" = 0 ] || sg_fail "phase A: $DUPS messages delivered twice to the receiving client"
[ "$(sg_sql BF "select count(*) from message")" = $N ] || sg_fail "phase A: BF stored a message twice"

phase B BF
[ "$DUPS" -le 64 ] || sg_fail "phase B: $DUPS redeliveries (more than one window)"
sg_log "phase B: $DUPS redeliveries of messages acknowledged just before the crash"
[ "$(sg_sql BF "select count(*) from message")" = $((2 * N)) ] || sg_fail "phase B: BF stored a message twice"
[ "$(sg_sql CI "select count(*) from message")" = $((2 * N)) ] || sg_fail "CI stored a message twice"

sg_stop CI
sg_stop BF
sg_pass
