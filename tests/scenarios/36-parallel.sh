#!/bin/sh
# 36-parallel: N movements (1,000; SG_N to change) go through the CI -> BF
# corridor at the same time, in two halves one step apart, so that every
# batch mixes movements, message types and both directions: the CI adapter
# releases half B while the BF adapter reports crossings of half A, and so
# on. sgtest sends from the MRN lists; nothing is refused, and every view
# ends DISCHARGED with the full history.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 36-parallel
. "$SG_SRC/tests/scenarios/lc.sh"

N=${SG_N:-1000}
H=$((N / 2))
lc_nodes CI:CI:CI BF:BF:BF
lc_start_all
"$SIGMATCTL" mrn new CI --count "$H" > "$SG_DIR/A"
"$SIGMATCTL" mrn new CI --count "$H" > "$SG_DIR/B"

# send NODE GROUP TYPE FROM TO: one sgtest run, every MRN of the group once.
send () {
    "$SGTEST" send $(sg_conn "$1-send" "$1") --template "$SG_EXAMPLES/$3.xml" --from "$4" --to "$5" \
        --count "$H" --mrn-list "$SG_DIR/$2" --window 128 --timeout 60 --out "$SG_DIR/sent-$2-$3.out" \
        || sg_fail "sending $3 for $2"
    [ "$(grep -c '^ACK' "$SG_DIR/sent-$2-$3.out")" = "$H" ] || sg_fail "$3 for $2: not all acknowledged"
}
# count NODE OFFICE STATE GROUP
count () {
    psql -X -qAt -d "$(sg_conninfo "$1")" -c "select count(*) from movement where office = '$2' and state = '$3' and mrn = any(string_to_array('$(tr '\n' ',' < "$SG_DIR/$4" | sed 's/,$//')', ','))"
}
# reach NODE OFFICE STATE GROUP: waits until the whole group is there.
reach () {
    i=0
    while [ "$(count "$@")" != "$H" ]; do
        i=$((i + 1))
        [ $i -gt 300 ] && sg_fail "$1 $2: $(count "$@") of $H of $4 in $3"
        sleep 0.2
    done
}
T0=$(date +%s)
send CI A dec CI000101 CI000101
reach CI CI000101 REGISTERED A
send CI A rel CI000101 CI000101 & P1=$!
send CI B dec CI000101 CI000101
wait $P1 || sg_fail "REL A"
reach BF BF000101 ANTICIPATED A
reach BF BF000201 ANTICIPATED A
reach CI CI000101 REGISTERED B
send BF A ncf BF000201 CI000101 & P1=$!
send CI B rel CI000101 CI000101
wait $P1 || sg_fail "NCF A"
reach CI CI000101 EN_ROUTE A
reach BF BF000101 ANTICIPATED B
send BF A arr BF000101 CI000101 & P1=$!
send BF B ncf BF000201 CI000101
wait $P1 || sg_fail "ARR A"
reach CI CI000101 ARRIVED A
reach CI CI000101 EN_ROUTE B
send BF A dcr BF000101 CI000101 & P1=$!
send BF B arr BF000101 CI000101
wait $P1 || sg_fail "DCR A"
reach CI CI000101 ARRIVED B
send BF B dcr BF000101 CI000101
for g in A B; do
    reach CI CI000101 DISCHARGED $g
    reach CI CI000401 DISCHARGED $g
    reach BF BF000201 DISCHARGED $g
    reach BF BF000101 DISCHARGED $g
done
sg_log "$N movements discharged in $(( $(date +%s) - T0 )) s"
[ "$(sg_sql CI "select count(*) from movement_rejection")" = 0 ] \
    || sg_fail "refused: $(sg_sql CI "select msg_type, reason from movement_rejection limit 5")"
[ "$(sg_sql CI "select count(*) from movement where office = 'CI000101' and events = 6")" = "$N" ] \
    || sg_fail "departure histories are not all 6 events long"
[ "$(sg_sql BF "select count(*) from movement where office = 'BF000101' and events = 4")" = "$N" ] \
    || sg_fail "destination histories are not all ANTICIPATED ARRIVED CONTROLLED DISCHARGED"
[ "$(sg_sql BF "select count(*) from message where type = 'WOF'")" = $((2 * N)) ] || sg_fail "WOF count at BF"
for m in $(head -2 "$SG_DIR/A") $(tail -2 "$SG_DIR/B"); do
    "$SIGMATCTL" movement verify "$m" --db "$(sg_conninfo CI)" >/dev/null || sg_fail "chain of $m"
done
for n in CI BF; do sg_stop $n; done
sg_pass
