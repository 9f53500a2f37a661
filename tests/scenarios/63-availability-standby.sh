#!/bin/sh
# 63-availability-standby: two sigmatd processes of node CI on one database,
# with `standby yes` (the default is both active: 64-availability-active).
# Only the holder of the node lease serves: the second waits as a standby
# (does not bind, does not link, sends nothing). Messages are queued at the
# active process (no receiver yet) and it is killed with -9: the standby
# takes the lease over (at once, as the dead holder was a process of its own
# host; from another machine after lease_ttl), binds, and delivers the whole queue
# and new traffic exactly once, in order per MRN. A clean stop releases the
# lease at once; a standby stopped with SIGTERM exits 0. `sigmatctl status`
# shows the lease holder.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 63-availability-standby

N=${SG_N:-400}
[ "${SIGMAT_LONG:-0}" = 1 ] && N=10000

sg_node CI CI "lease_ttl 3s" "standby yes"
sg_adapter ci-adapter
sg_adapter ci-border
sg_peer CI ci-adapter adapter CI
sg_peer CI ci-border adapter CI000401
sg_twin CI CIb

# start_standby NAME: starts sigmatd NAME (not listening yet) and waits
# until it says it is a standby.
start_standby () {
    before=$(grep -c "waiting as a standby" "$SG_DIR/$1.log" 2>/dev/null)
    "$SIGMATD" -c "$SG_DIR/$1.conf" >> "$SG_DIR/$1.log" 2>&1 &
    eval "PID_$1=$!"
    SG_PIDS="$SG_PIDS $!"
    sg_until 30 sh -c "[ \$(grep -c 'waiting as a standby' '$SG_DIR/$1.log') -gt ${before:-0} ]" \
        || sg_fail "$1 is not a standby"
}
listening () { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

sg_start CI
start_standby CIb
listening "$PORT_CIb" && sg_fail "the standby listens"
sg_status_until "$(sg_conninfo CI)" "^lease: held by .*:$(sg_pid CI) until" \
    "^node CI (.*:$(sg_pid CI)): running" "^node CI (.*:$(sg_pid CIb)): standby"
echo "$out" | grep -q "^lease: held by .*:$(sg_pid CI) until" || sg_fail "status lacks the lease holder: $out"
echo "$out" | grep -q "^node CI (.*:$(sg_pid CI)): running" || sg_fail "status lacks the active process: $out"
echo "$out" | grep -q "^node CI (.*:$(sg_pid CIb)): standby" || sg_fail "status lacks the standby: $out"

# Traffic to the active process; nobody receives yet, so it stays queued.
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count $N --mrns 9 --timeout 60 --out "$SG_DIR/sent1.out" || sg_fail "sending to CI failed"
[ "$(grep -c '^ACK' "$SG_DIR/sent1.out")" = $N ] || sg_fail "not $N ACKs from CI"
sg_kill CI

# The standby takes over.
sg_until 30 listening "$PORT_CIb" || sg_fail "the standby did not take over"
grep -q "holds the node lease" "$SG_DIR/CIb.log" || sg_fail "CIb does not say it took the lease"
sg_bg "$SGTEST" listen $(sg_conn ci-border CIb) --count $((2 * N)) --timeout 120 --out "$SG_DIR/got.out"
L=$SG_BG
"$SGTEST" send $(sg_conn ci-adapter CIb) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count $N --mrns 9 --timeout 60 --out "$SG_DIR/sent2.out" || sg_fail "sending to CIb failed"
sg_wait $L "the receiver did not get every message through CIb"
n=$(sg_check_order "$SG_DIR/got.out") || sg_fail "duplicate or out-of-order delivery"
[ "$n" = $((2 * N)) ] || sg_fail "$n deliveries, expected $((2 * N))"
[ "$(grep -c '^DUP' "$SG_DIR/got.out")" = 0 ] || sg_fail "a message was delivered twice"
cat "$SG_DIR/sent1.out" "$SG_DIR/sent2.out" | awk '/^ACK/ {print $2}' | sort > "$SG_DIR/want"
awk '{print $1}' "$SG_DIR/got.out" | sort > "$SG_DIR/have"
cmp -s "$SG_DIR/want" "$SG_DIR/have" || sg_fail "the delivered ids are not the acknowledged ones"

# CI again, as the standby of CIb; a clean stop of CIb hands over at once.
start_standby CI
"$SIGMATCTL" status --db "$(sg_conninfo CI)" | grep -q "^lease: held by .*:$(sg_pid CIb) until" \
    || sg_fail "status: the lease is not CIb's"
sg_stop CIb
sg_until 10 listening "$PORT_CI" || sg_fail "CI did not take over after a clean stop"
[ "$(sg_sql CI "select count(*) from delivery where state <> 'done'")" = 0 ] || sg_fail "undelivered rows"

# A standby stopped with SIGTERM exits 0.
start_standby CIb
sg_stop CIb
sg_stop CI
sg_pass
