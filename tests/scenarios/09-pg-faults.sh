#!/bin/sh
# 09-pg-faults: a PostgreSQL that stops or hangs under a running node never
# freezes it, and nothing is lost:
#  - stopped (pg_ctl stop): the node answers PING, acknowledges nothing,
#    and once PostgreSQL is back stores and delivers every message;
#  - frozen (SIGSTOP to the postmaster and its backends): the node's
#    watchdog cuts the connection after 2 x db_timeout, the node answers
#    PING meanwhile, also once its lease has lapsed, and after SIGCONT
#    everything flows;
#  - a delivery the receiver never answers (it takes the DELIVER and says
#    nothing) becomes a dead letter after delivery_attempts sends instead of
#    holding its MRN (and, 64 of them, the link) for ever, and the next
#    message of that MRN flows.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 09-pg-faults

sg_node CI CI "db_timeout 2s" "window 8" "delivery_attempts 3"
sg_adapter ci-adapter
sg_adapter ci-border
sg_peer CI ci-adapter adapter CI
sg_peer CI ci-border adapter CI000401
sg_start CI

PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -n 1)")
[ -x "$PGBIN/pg_ctl" ] || PGBIN=$(dirname "$(command -v pg_ctl)")
pgctl () {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$SG_PGDIR/data" "$@"
    else "$PGBIN/pg_ctl" -D "$SG_PGDIR/data" "$@"; fi
}
pong () {
    "$SGTEST" raw $(sg_conn ci-adapter CI) --frames PING --count 1 --timeout 60 2>/dev/null \
        | grep -q '^PONG'
}
send_bg () { # send_bg N OUT: N messages to the border office, in the background
    sg_bg "$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" \
        --from CI000101 --to CI000401 --count "$1" --mrns "$1" --timeout 240 --out "$2"
}

sg_bg "$SGTEST" listen $(sg_conn ci-border CI) --count 60 --timeout 300 --out "$SG_DIR/border.out"
L=$SG_BG

# ---- stopped --------------------------------------------------------------------
pgctl -m fast -w stop >/dev/null || sg_fail "pg_ctl stop"
sg_log "PostgreSQL stopped"
send_bg 30 "$SG_DIR/sent1.out"
S1=$SG_BG
pong || sg_fail "no PONG while PostgreSQL is stopped"
grep -q "cannot store a batch" "$SG_DIR/CI.log" || sg_until 20 grep -q "cannot store a batch" "$SG_DIR/CI.log" \
    || sg_fail "the node did not try (and fail) to store while PostgreSQL was stopped"
[ -s "$SG_DIR/sent1.out" ] && sg_fail "something was acknowledged with PostgreSQL stopped"
pgctl -l "$SG_PGDIR/server.log" -w -t 60 start >/dev/null || sg_fail "pg_ctl start"
sg_log "PostgreSQL started again"
sg_wait $S1 "the sender did not get its 30 answers after PostgreSQL came back"
[ "$(grep -c '^ACK' "$SG_DIR/sent1.out")" = 30 ] || sg_fail "not 30 ACKs: $(head -3 "$SG_DIR/sent1.out")"

# ---- frozen ---------------------------------------------------------------------
lapsed=$(grep -c "not serving until it is renewed" "$SG_DIR/CI.log")
pm=$(head -n 1 "$SG_PGDIR/data/postmaster.pid")
pids="$pm $(ps -o pid= --ppid "$pm" | tr '\n' ' ')"
kill -STOP $pids
sg_log "PostgreSQL frozen ($pids)"
send_bg 30 "$SG_DIR/sent2.out"
S2=$SG_BG
sg_until 30 grep -q "database: no answer within" "$SG_DIR/CI.log" \
    || { kill -CONT $pids; sg_fail "the watchdog did not cut the hung connection"; }
pong || { kill -CONT $pids; sg_fail "no PONG while PostgreSQL is frozen"; }
# Frozen for longer than the node lease lasts (15 s): the node cannot renew
# it and takes nothing in, but still says WELCOME and PONG to a new
# connection (it once stopped reading its socket here).
unserved () { [ "$(grep -c "not serving until it is renewed" "$SG_DIR/CI.log")" -gt "$lapsed" ]; }
sg_until 40 unserved || { kill -CONT $pids; sg_fail "the lease did not lapse while PostgreSQL was frozen"; }
pong || { kill -CONT $pids; sg_fail "no PONG while PostgreSQL is frozen past the lease"; }
kill -CONT $pids
sg_log "PostgreSQL thawed"
sg_wait $S2 "the sender did not get its 30 answers after PostgreSQL thawed"
[ "$(grep -c '^ACK' "$SG_DIR/sent2.out")" = 30 ] || sg_fail "not 30 ACKs after the freeze"

sg_wait $L "the border did not get all 60 messages"
n=$(sg_check_order "$SG_DIR/border.out") || sg_fail "duplicate or out-of-order delivery"
[ "$n" = 60 ] || sg_fail "$n deliveries, expected 60"
[ "$(sg_sql CI "select count(*) from message")" = 60 ] || sg_fail "message rows != 60"

# ---- poison ---------------------------------------------------------------------
# One message the receiver never answers: it is sent delivery_attempts (3)
# times, then dead-lettered; the next one of the same MRN is delivered.
mrn=$(sg_sql CI "select mrn from message limit 1")
printf '%s\n' "$mrn" > "$SG_DIR/mrn"
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count 1 --mrn-list "$SG_DIR/mrn" --timeout 30 --out "$SG_DIR/poison.out" \
    || sg_fail "send the poison"
p=$(awk '{ print $2 }' "$SG_DIR/poison.out")
# the receiver takes DELIVERs and never answers; the node resends after its
# timeout, three times in all, then gives up on that message
"$SGTEST" raw $(sg_conn ci-border CI) --frames PING --count 4 --timeout 60 > "$SG_DIR/poison.raw" \
    || sg_fail "the poison was not sent 3 times: $(cat "$SG_DIR/poison.raw")"
[ "$(grep -c "^DELIVER.*$p" "$SG_DIR/poison.raw")" = 3 ] || sg_fail "not 3 DELIVERs: $(cat "$SG_DIR/poison.raw")"
dead () { [ "$(sg_sql CI "select state || ' ' || coalesce(last_error, '') from delivery where message_id = '$p'")" = "dead no acknowledgement after 3 attempts" ]; }
sg_until 30 dead || sg_fail "the poison is not a dead letter: $(sg_sql CI "select state, last_error from delivery where message_id = '$p'")"
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count 1 --mrn-list "$SG_DIR/mrn" --timeout 30 --out "$SG_DIR/next.out" \
    || sg_fail "send the next one"
"$SGTEST" listen $(sg_conn ci-border CI) --count 1 --timeout 30 --out "$SG_DIR/next.recv" \
    || sg_fail "the next message of the poisoned MRN was not delivered"
grep -q "^$(awk '{ print $2 }' "$SG_DIR/next.out") " "$SG_DIR/next.recv" || sg_fail "not the next one"

sg_stop CI
sg_pass
