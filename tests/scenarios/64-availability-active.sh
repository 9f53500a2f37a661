#!/bin/sh
# 64-availability-active: two sigmatd processes of node CI on one database,
# both active (the default). Adapters list both endpoints. Traffic goes in
# through both processes at once while the receiving adapter is connected
# to the first; that process is killed with -9 in the middle of the
# traffic: the senders and the receiver move to the second process by
# themselves, which takes over the dead one's claims and delivers the rest.
# The killed process is started again and takes traffic again. Every
# acknowledged message reaches the receiver exactly once as a business
# effect (a redelivery of the same id is allowed by the protocol and counted
# apart), in order per MRN; nothing is left undelivered; `sigmatctl status`
# shows both processes and their claims.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 64-availability-active

N=${SG_N:-600}
[ "${SIGMAT_LONG:-0}" = 1 ] && N=10000

sg_node CI CI "lease_ttl 3s"
sg_adapter ci-adapter
sg_adapter ci-border
sg_peer CI ci-adapter adapter CI
sg_peer CI ci-border adapter CI000401
sg_twin CI CIb
BOTH="tcp://127.0.0.1:$PORT_CI,tcp://127.0.0.1:$PORT_CIb"
# conn NAME: sgtest options for adapter NAME with both endpoints, CI first.
conn () {
    echo "--node $BOTH --server-pub $SG_DIR/keys/CI.curve.pub --key $SG_DIR/keys/$1 --name $1"
}

sg_start CI
sg_start CIb
grep -q "active process" "$SG_DIR/CIb.log" || sg_fail "CIb is not active"
sg_status_until "$(sg_conninfo CI)" "^node CI (.*:$(sg_pid CI)): running" \
    "^node CI (.*:$(sg_pid CIb)): running"
echo "$out" | grep -q "^node CI (.*:$(sg_pid CI)): running" || sg_fail "status lacks CI: $out"
echo "$out" | grep -q "^node CI (.*:$(sg_pid CIb)): running" || sg_fail "status lacks CIb: $out"

# The receiver on CI (first of its list); senders on each process.
sg_bg "$SGTEST" listen $(conn ci-border) --count $((3 * N)) --timeout 240 --out "$SG_DIR/got.out"
L=$SG_BG
sg_until 20 grep -q "ci-border: welcome" "$SG_DIR/CI.log" || sg_fail "the receiver is not on CI"
sg_bg "$SGTEST" send $(conn ci-adapter) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count $N --mrns 7 --timeout 180 --out "$SG_DIR/sent1.out"
S1=$SG_BG
sg_bg "$SGTEST" send $(sg_conn ci-adapter CIb) --template "$SG_EXAMPLES/wof.xml" \
    --from CI000101 --to CI000401 --count $N --mrns 7 --timeout 180 --out "$SG_DIR/sent2.out"
S2=$SG_BG

# Both processes send to the receiver before one dies.
sg_until 60 sh -c "[ \$(cat '$SG_DIR/got.out' 2>/dev/null | wc -l) -ge $((N / 3)) ]" \
    || sg_fail "the receiver got too little before the kill"
claims=$(sg_sql CI "select count(distinct holder) from delivery_claim where expires > now()")
sg_log "claims held by $claims process(es) before the kill"
sg_kill CI
sg_wait $S1 "the sender that started on CI did not get every ACK (through CIb)"
sg_wait $S2 "the sender on CIb did not get every ACK"
# The senders may finish before the receiver has reconnected or the dead
# process's claims have expired (lease_ttl): wait for either.
sg_until 30 grep -q -e "took over" -e "ci-border: welcome" "$SG_DIR/CIb.log" \
    || sg_fail "CIb neither took the receiver nor any claim over"

# CI again, with traffic through it.
sg_start CI
sg_until 20 grep -q "active process" "$SG_DIR/CI.log" || sg_fail "CI is not active again"
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count $N --mrns 7 --timeout 120 --out "$SG_DIR/sent3.out" \
    || sg_fail "sending to the restarted CI failed"
sg_wait $L "the receiver did not get every message"

n=$(sg_check_order "$SG_DIR/got.out") || sg_fail "a message applied twice or out of order per MRN"
[ "$n" = $((3 * N)) ] || sg_fail "$n business effects, expected $((3 * N))"
sg_log "$n delivered once each; $(grep -c '^DUP' "$SG_DIR/got.out") redeliveries of the same id"
cat "$SG_DIR/sent1.out" "$SG_DIR/sent2.out" "$SG_DIR/sent3.out" | awk '/^ACK/ {print $2}' \
    | sort > "$SG_DIR/want"
[ "$(wc -l < "$SG_DIR/want")" = $((3 * N)) ] || sg_fail "not $((3 * N)) ACKs"
awk '$1 != "DUP" {print $1}' "$SG_DIR/got.out" | sort > "$SG_DIR/have"
cmp -s "$SG_DIR/want" "$SG_DIR/have" || sg_fail "the delivered ids are not the acknowledged ones"
i=0
while [ "$(sg_sql CI "select count(*) from delivery where state <> 'done'")" != 0 ] && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1))     # the last ACKs are recorded within a pump or two
done
[ "$(sg_sql CI "select count(*) from delivery where state <> 'done'")" = 0 ] \
    || sg_fail "undelivered rows"
out=$("$SIGMATCTL" status --db "$(sg_conninfo CI)") || sg_fail "status: $out"
echo "$out" | grep -q "^claims: " || sg_fail "status lacks the claims: $out"
sg_stop CIb
sg_stop CI
sg_pass
