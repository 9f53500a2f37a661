#!/bin/sh
# 65-availability-corridor: a corridor CI <-> BF where node CI runs as two
# active sigmatd processes on one database. Each CI process links to BF by
# itself; BF knows CI by both endpoints and the CI receiver lists both.
# Traffic flows both ways, through both CI processes, while the first CI
# process is killed with -9 and later started again: BF's link and the CI
# receiver move to the other process, which takes over the claims of the
# dead one. Every acknowledged message reaches its adapter exactly once as
# a business effect, in order per MRN, and both databases finish every
# delivery row.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 65-availability-corridor

N=${SG_N:-400}
[ "${SIGMAT_LONG:-0}" = 1 ] && N=10000

sg_node CI CI "lease_ttl 3s"
sg_node BF BF
for a in ci-adapter ci-border bf-adapter bf-border; do sg_adapter $a; done
sg_twin CI CIb
BOTH="tcp://127.0.0.1:$PORT_CI,tcp://127.0.0.1:$PORT_CIb"

sg_peer CI ci-adapter adapter CI000101
sg_peer CI ci-border adapter CI000401
sg_peer CI BF node BF "$(sg_endpoint BF)"
sg_route CI BF BF
sg_peer BF bf-adapter adapter BF000101
sg_peer BF bf-border adapter BF000401
sg_peer BF CI node CI "$BOTH"
sg_route BF CI CI

sg_start BF
sg_start CI
sg_start CIb
# ci CLIENT: sgtest options for a CI adapter with both endpoints, CI first.
ci () {
    echo "--node $BOTH --server-pub $SG_DIR/keys/CI.curve.pub --key $SG_DIR/keys/$1 --name $1"
}

sg_bg "$SGTEST" listen $(sg_conn bf-border BF) --count $((2 * N)) --timeout 240 --out "$SG_DIR/bf.out"
L_BF=$SG_BG
sg_bg "$SGTEST" listen $(ci ci-border) --count $((2 * N)) --timeout 240 --out "$SG_DIR/ci.out"
L_CI=$SG_BG
sg_until 20 grep -q "node BF: welcome" "$SG_DIR/CI.log" || sg_fail "BF did not link to CI"
sg_until 20 grep -q "peer BF: link up" "$SG_DIR/CIb.log" || sg_fail "CIb did not link to BF"

# CI -> BF through both CI processes; BF -> CI through BF's link.
sg_bg "$SGTEST" send $(ci ci-adapter) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to BF000401 --count $N --mrns 7 --timeout 180 --out "$SG_DIR/s1.out"
S1=$SG_BG
sg_bg "$SGTEST" send $(sg_conn ci-adapter CIb) --template "$SG_EXAMPLES/wof.xml" \
    --from CI000101 --to BF000401 --count $N --mrns 7 --timeout 180 --out "$SG_DIR/s2.out"
S2=$SG_BG
sg_bg "$SGTEST" send $(sg_conn bf-adapter BF) --template "$SG_EXAMPLES/wof.xml" \
    --from BF000101 --to CI000401 --count $((2 * N)) --mrns 7 --timeout 180 --out "$SG_DIR/s3.out"
S3=$SG_BG

sg_until 60 sh -c "[ \$(cat '$SG_DIR/ci.out' 2>/dev/null | wc -l) -ge $((N / 4)) ]" \
    || sg_fail "the CI receiver got too little before the kill"
sg_kill CI
sg_wait $S1 "the CI sender that started on CI did not get every ACK"
sg_wait $S2 "the CI sender on CIb did not get every ACK"
sg_wait $S3 "the BF sender did not get every ACK"
sg_until 30 grep -q "node BF: welcome" "$SG_DIR/CIb.log" || sg_fail "BF's link did not move to CIb"
sg_start CI
sg_wait $L_BF "the BF receiver did not get every message"
sg_wait $L_CI "the CI receiver did not get every message"

for side in bf ci; do
    n=$(sg_check_order "$SG_DIR/$side.out") || sg_fail "$side: a message applied twice or out of order"
    [ "$n" = $((2 * N)) ] || sg_fail "$side: $n business effects, expected $((2 * N))"
    sg_log "$side: $n delivered once each, $(grep -c '^DUP' "$SG_DIR/$side.out") redeliveries"
    awk '$1 != "DUP" {print $1}' "$SG_DIR/$side.out" | sort > "$SG_DIR/$side.have"
done
cat "$SG_DIR/s1.out" "$SG_DIR/s2.out" | awk '/^ACK/ {print $2}' | sort > "$SG_DIR/bf.want"
awk '/^ACK/ {print $2}' "$SG_DIR/s3.out" | sort > "$SG_DIR/ci.want"
cmp -s "$SG_DIR/bf.want" "$SG_DIR/bf.have" || sg_fail "BF got other ids than were acknowledged"
cmp -s "$SG_DIR/ci.want" "$SG_DIR/ci.have" || sg_fail "CI got other ids than were acknowledged"
for node in CI BF; do
    i=0
    while [ "$(sg_sql $node "select count(*) from delivery where state <> 'done'")" != 0 ] \
          && [ $i -lt 300 ]; do
        sleep 0.1; i=$((i + 1))     # the last ACKs are recorded within a pump or two
    done
    [ "$(sg_sql $node "select count(*) from delivery where state <> 'done'")" = 0 ] \
        || sg_fail "$node: undelivered rows"
done
sg_stop CIb
sg_stop CI
sg_stop BF
sg_pass
