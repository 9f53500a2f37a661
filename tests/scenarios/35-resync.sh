#!/bin/sh
# 35-resync: the BF node's database is restored from a backup taken just
# after the movement was released: it has lost the crossing, the arrival,
# the control and the write-off (and nobody will resend them: they were
# acknowledged long ago). `sigmatctl movement resync MRN --peer CI` queues
# an STQ per BF view; the CI node answers each with an STR (its departure
# view and event history); BF applies the events it misses and both its
# views end DISCHARGED with intact chains.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 35-resync
. "$SG_SRC/tests/scenarios/lc.sh"

lc_nodes CI:CI:CI BF:BF:BF
lc_start_all
M=$("$SIGMATCTL" mrn new CI)
lc_send CI "$(lc_decl DEC "$M" BF000101 BF000201)" "$(lc_decl REL "$M" BF000101 BF000201)"
lc_wait BF "$M" BF000101 ANTICIPATED
lc_wait BF "$M" BF000201 ANTICIPATED
sleep 0.5
pg_dump -Fc -d "$(sg_conninfo BF)" -f "$SG_DIR/bf.dump" || sg_fail "pg_dump"

lc_send BF "$(lc_msg NCF "$M" BF000201 CI000101)"
lc_wait CI "$M" CI000101 EN_ROUTE
lc_send BF "$(lc_msg ARR "$M" BF000101 CI000101)"
lc_wait CI "$M" CI000101 ARRIVED
lc_send BF "$(lc_msg DCR "$M" BF000101 CI000101)"
lc_wait CI "$M" CI000101 DISCHARGED
lc_wait BF "$M" BF000101 DISCHARGED

sg_stop BF
admin=$(sg_conninfo BF | sed 's/dbname=[^ ]*/dbname=postgres/')
db=$(sg_conninfo BF | sed 's/.*dbname=\([^ ]*\).*/\1/')
psql -X -q -d "$admin" -c "DROP DATABASE $db" -c "CREATE DATABASE $db" || sg_fail "recreate BF db"
pg_restore -d "$(sg_conninfo BF)" "$SG_DIR/bf.dump" || sg_fail "pg_restore"
sg_start BF
[ "$(lc_state BF "$M" BF000101)" = ANTICIPATED ] || sg_fail "restore did not bring back the old state"
[ "$(lc_state BF "$M" BF000201)" = ANTICIPATED ] || sg_fail "restore did not bring back the old state"

"$SIGMATCTL" movement resync "$M" --peer CI --wait 20 --db "$(sg_conninfo BF)" > "$SG_DIR/resync.out" \
    || sg_fail "resync: $(cat "$SG_DIR/resync.out")"
[ "$(grep -c 'queued' "$SG_DIR/resync.out")" = 2 ] || sg_fail "resync: $(cat "$SG_DIR/resync.out")"
lc_wait BF "$M" BF000101 DISCHARGED
lc_wait BF "$M" BF000201 DISCHARGED
hist () { sg_sql BF "select string_agg(to_state, ' ' order by seq) from movement_event where mrn = '$M' and office = '$1'"; }
[ "$(hist BF000101)" = "ANTICIPATED ARRIVED CONTROLLED DISCHARGED" ] || sg_fail "BF000101: $(hist BF000101)"
[ "$(hist BF000201)" = "ANTICIPATED CROSSED DISCHARGED" ] || sg_fail "BF000201: $(hist BF000201)"
# The repaired events carry the ids of the messages that caused them at CI.
arr=$(sg_sql CI "select message_id from movement_event where mrn = '$M' and to_state = 'ARRIVED'")
[ "$(sg_sql BF "select count(*) from movement_event where mrn = '$M' and message_id = '$arr'")" = 1 ] \
    || sg_fail "ARRIVED event at BF does not name the ARR"
"$SIGMATCTL" movement verify "$M" --db "$(sg_conninfo BF)" >/dev/null || sg_fail "BF chain after resync"
# The STQ/STR were the nodes' own business: no adapter saw them.
grep -q " STQ \| STR " "$SG_DIR/CI.deliveries" "$SG_DIR/BF.deliveries" && sg_fail "STQ/STR reached an adapter"
# A second resync changes nothing.
"$SIGMATCTL" movement resync "$M" --peer CI --wait 20 --db "$(sg_conninfo BF)" >/dev/null || sg_fail "resync again"
[ "$(sg_sql BF "select count(*) from movement_event where mrn = '$M'")" = 7 ] || sg_fail "second resync added events"
for n in CI BF; do sg_stop $n; done
sg_pass
