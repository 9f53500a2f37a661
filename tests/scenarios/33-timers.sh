#!/bin/sh
# 33-timers: time moves (the nodes' clock_file) past the time limit of
# movements released at CI for BF: each departure view becomes OVERDUE,
# enquiry_after later ENQ goes once to each office and the view is
# UNDER_ENQUIRY; a late ARR (and DCR) during the enquiry still completes
# a movement; the others, with no answer for recovery_after, go to
# RECOVERY. Two sigmatd processes serve the CI database at once: every
# timer fires exactly once (one OVERDUE event, one ENQ per office).
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 33-timers
. "$SG_SRC/tests/scenarios/lc.sh"

N=${SG_N:-20}
[ "${SIGMAT_LONG:-0}" = 1 ] && N=200
LC_CONF="enquiry_after 2d
recovery_after 5d"
lc_nodes CI:CI:CI BF:BF:BF
# A second process on CI's database (HA): same name, keys and peers.
PORT_CIb=$(sg_port)
echo "lease_ttl 0" >> "$SG_DIR/CI.conf"      # both serve: the timers' own claims are tested
sed -e "s|^bind .*|bind tcp://127.0.0.1:$PORT_CIb|" "$SG_DIR/CI.conf" > "$SG_DIR/CIb.conf"
lc_start_all
sg_start CIb

"$SIGMATCTL" mrn new CI --count "$N" > "$SG_DIR/mrns"
files=""
for m in $(cat "$SG_DIR/mrns"); do
    files="$files $(lc_decl DEC "$m" BF000101 BF000201) $(lc_decl REL "$m" BF000101 BF000201)"
done
lc_send CI $files
LATE=$(head -1 "$SG_DIR/mrns")
cnt () { sg_sql "$1" "select count(*) from movement where role = 'DEPARTURE' and state = '$2'"; }
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from movement where state = 'RELEASED'\")\" = $N ]" \
    || sg_fail "not all $N released"
lc_wait BF "$LATE" BF000101 ANTICIPATED

# The day after the time limit (2026-03-08): OVERDUE, no enquiry yet.
lc_clock 2026-03-09T06:00:00Z
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from movement where state = 'OVERDUE'\")\" = $N ]" \
    || sg_fail "OVERDUE: $(cnt CI OVERDUE) of $N"
"$SIGMATCTL" movement overdue --db "$(sg_conninfo CI)" > "$SG_DIR/overdue.out"
[ "$(wc -l < "$SG_DIR/overdue.out")" = "$N" ] || sg_fail "movement overdue lists $(wc -l < "$SG_DIR/overdue.out")"
sleep 1
[ "$(sg_sql CI "select count(*) from message where type = 'ENQ'")" = 0 ] || sg_fail "ENQ before enquiry_after"

# Two days later: one ENQ to each office of each movement.
lc_clock 2026-03-11T07:00:00Z
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from movement where state = 'UNDER_ENQUIRY'\")\" = $N ]" \
    || sg_fail "UNDER_ENQUIRY: $(cnt CI UNDER_ENQUIRY) of $N"
sg_until 20 sh -c "[ \$(awk '\$3 == \"ENQ\"' '$SG_DIR/BF.deliveries' | wc -l) = $((2 * N)) ]" \
    || sg_fail "BF adapter got $(awk '$3 == "ENQ"' "$SG_DIR/BF.deliveries" | wc -l) ENQs, expected $((2 * N))"

# The goods of one movement did arrive: a late ARR during the enquiry.
lc_send BF "$(lc_msg ARR "$LATE" BF000101 CI000101)"
lc_wait CI "$LATE" CI000101 ARRIVED
lc_send BF "$(lc_msg DCR "$LATE" BF000101 CI000101)"
lc_wait CI "$LATE" CI000101 DISCHARGED
lc_wait BF "$LATE" BF000101 DISCHARGED

# Five more days without answer: RECOVERY for the others.
lc_clock 2026-03-16T08:00:00Z
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from movement where state = 'RECOVERY'\")\" = $((N - 1)) ]" \
    || sg_fail "RECOVERY: $(cnt CI RECOVERY) of $((N - 1))"
sleep 1

# Exactly once, although two processes ran the timers all along.
[ "$(sg_sql CI "select count(*) from movement_event where to_state = 'OVERDUE'")" = "$N" ] || sg_fail "OVERDUE events"
[ "$(sg_sql CI "select count(*) from movement_event where to_state = 'UNDER_ENQUIRY'")" = "$N" ] || sg_fail "UNDER_ENQUIRY events"
[ "$(sg_sql CI "select count(*) from movement_event where to_state = 'RECOVERY'")" = $((N - 1)) ] || sg_fail "RECOVERY events"
[ "$(sg_sql CI "select count(*) from message where type = 'ENQ'")" = $((2 * N)) ] || sg_fail "ENQ messages: $(sg_sql CI "select count(*) from message where type = 'ENQ'")"
[ "$(sg_sql CI "select count(distinct (mrn, recipient)) from message where type = 'ENQ'")" = $((2 * N)) ] || sg_fail "an office got two ENQs"
grep -q "no arrival: enquiry sent" "$SG_DIR/CI.log" && grep -q "no arrival: enquiry sent" "$SG_DIR/CIb.log" \
    && sg_log "both processes fired timers"
[ "$(sg_sql CI "select string_agg(to_state, ' ' order by seq) from movement_event where mrn = '$LATE' and office = 'CI000101'")" \
  = "REGISTERED RELEASED OVERDUE UNDER_ENQUIRY ARRIVED CONTROLLED DISCHARGED" ] || sg_fail "late movement history"
for m in $(head -3 "$SG_DIR/mrns"); do
    "$SIGMATCTL" movement verify "$m" --db "$(sg_conninfo CI)" >/dev/null || sg_fail "chain of $m"
done
for n in CI CIb BF; do sg_stop $n; done
sg_pass
