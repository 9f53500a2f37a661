#!/bin/sh
# 31-journey: one movement along the corridor Abidjan (CI000101) ->
# Ouangolodougou exit (CI000401) -> Niangoloko (BF000201) -> Ouagadougou
# (BF000101, transit) -> Niamey (NE000101), through three nodes with
# lifecycle on. DEC and REL from the CI adapter; the CI node fans out AAR
# to Niamey and ATR to each transit office (one of them its own); each
# border sends NCF, Niamey ARR and DCR A1; the CI node discharges and sends
# WOF to every office. Every view reaches each of its states, every office
# gets its WOF, and every event chain verifies.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 31-journey
. "$SG_SRC/tests/scenarios/lc.sh"

lc_nodes CI:CI:CI BF:BF:BF NE:NE:NE
lc_start_all

MRN=$("$SIGMATCTL" mrn new CI)
TR=CI000401,BF000201,BF000101
lc_send CI "$(lc_decl DEC "$MRN" NE000101 $TR)"
lc_wait CI "$MRN" CI000101 REGISTERED
lc_send CI "$(lc_decl REL "$MRN" NE000101 $TR)"
lc_wait CI "$MRN" CI000101 RELEASED
lc_wait CI "$MRN" CI000401 ANTICIPATED
lc_wait BF "$MRN" BF000201 ANTICIPATED
lc_wait BF "$MRN" BF000101 ANTICIPATED
lc_wait NE "$MRN" NE000101 ANTICIPATED

lc_send CI "$(lc_msg NCF "$MRN" CI000401 CI000101)"
lc_wait CI "$MRN" CI000401 CROSSED
lc_wait CI "$MRN" CI000101 EN_ROUTE
lc_send BF "$(lc_msg NCF "$MRN" BF000201 CI000101)"
lc_wait BF "$MRN" BF000201 CROSSED
lc_send BF "$(lc_msg NCF "$MRN" BF000101 CI000101)"
lc_wait BF "$MRN" BF000101 CROSSED
sg_until 10 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select cardinality(crossed) from movement where mrn = '$MRN' and office = 'CI000101'\")\" = 3 ]" \
    || sg_fail "CI departure view did not record three crossings"

lc_send NE "$(lc_msg ARR "$MRN" NE000101 CI000101)"
lc_wait NE "$MRN" NE000101 ARRIVED
lc_wait CI "$MRN" CI000101 ARRIVED
lc_send NE "$(lc_msg DCR "$MRN" NE000101 CI000101)"
lc_wait CI "$MRN" CI000101 DISCHARGED
for v in CI:CI000401 BF:BF000201 BF:BF000101 NE:NE000101; do
    lc_wait "${v%%:*}" "$MRN" "${v#*:}" DISCHARGED
done

# Every state of every view, in order, in the event history.
hist () { sg_sql "$1" "select string_agg(to_state, ' ' order by seq) from movement_event where mrn = '$MRN' and office = '$2'"; }
[ "$(hist CI CI000101)" = "REGISTERED RELEASED EN_ROUTE EN_ROUTE EN_ROUTE ARRIVED CONTROLLED DISCHARGED" ] \
    || sg_fail "CI departure history: $(hist CI CI000101)"
[ "$(hist CI CI000401)" = "ANTICIPATED CROSSED DISCHARGED" ] || sg_fail "CI000401: $(hist CI CI000401)"
for o in BF000201 BF000101; do
    [ "$(hist BF $o)" = "ANTICIPATED CROSSED DISCHARGED" ] || sg_fail "$o: $(hist BF $o)"
done
[ "$(hist NE NE000101)" = "ANTICIPATED ARRIVED CONTROLLED DISCHARGED" ] || sg_fail "NE: $(hist NE NE000101)"

# What the adapters got: AAR/ATR once per office, WOF once per office.
sg_until 10 sh -c "[ \$(awk '\$3 == \"WOF\"' '$SG_DIR/BF.deliveries' | wc -l) = 2 ]" || sg_fail "BF adapter: WOFs"
lc_got_until NE AAR "$MRN" NE000101 1 || sg_fail "NE adapter: AAR"
lc_got_until CI ATR "$MRN" CI000401 1 || sg_fail "CI adapter: ATR for its border post"
for o in BF000201 BF000101; do
    lc_got_until BF ATR "$MRN" $o 1 || sg_fail "BF adapter: ATR for $o"
    lc_got_until BF WOF "$MRN" $o 1 || sg_fail "BF adapter: WOF for $o"
done
sg_until 10 sh -c "[ \$(awk '\$3 == \"WOF\"' '$SG_DIR/NE.deliveries' | wc -l) = 1 ]" || sg_fail "NE adapter: WOF"
lc_got_until CI WOF "$MRN" CI000401 1 || sg_fail "CI adapter: WOF for CI000401"
lc_got_until CI NCF "$MRN" CI000101 3 || sg_fail "CI adapter: the three NCFs"
lc_got_until CI DCR "$MRN" CI000101 1 || sg_fail "CI adapter: DCR"
grep " DEC \| REL " "$SG_DIR/CI.deliveries" && sg_fail "DEC/REL echoed back to the CI adapter"
# The generated messages are CI's own: signed by CI, stored at BF with CI's signature.
[ "$(sg_sql BF "select count(*) from message where type in ('ATR', 'WOF') and origin_node = 'CI' and length(signature) = 64")" = 4 ] \
    || sg_fail "BF: ATR/WOF not stored with CI's signature"

for n in CI BF NE; do
    "$SIGMATCTL" movement verify "$MRN" --db "$(sg_conninfo $n)" > "$SG_DIR/verify-$n.out" \
        || sg_fail "$n: chain does not verify: $(cat "$SG_DIR/verify-$n.out")"
done
"$SIGMATCTL" movement show "$MRN" --db "$(sg_conninfo CI)" > "$SG_DIR/show.out" || sg_fail "movement show"
grep -q "CI000101 as DEPARTURE: DISCHARGED" "$SG_DIR/show.out" || sg_fail "show: $(cat "$SG_DIR/show.out")"
"$SIGMATCTL" movement show "$MRN" --json --db "$(sg_conninfo CI)" > "$SG_DIR/show.json" || sg_fail "show --json"
grep -q '"state": "DISCHARGED"' "$SG_DIR/show.json" || sg_fail "show --json: no DISCHARGED state"
[ "$("$SIGMATCTL" movement list --state DISCHARGED --db "$(sg_conninfo BF)" | wc -l)" = 2 ] \
    || sg_fail "list --state DISCHARGED at BF"

for n in CI BF NE; do sg_stop $n; done
sg_pass
