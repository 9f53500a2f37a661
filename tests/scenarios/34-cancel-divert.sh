#!/bin/sh
# 34-cancel-divert: a CAN after release, addressed by the CI adapter to its
# own departure office, makes the CI node send CAN to every office that had
# a record (its own exit post CI000401, Niangoloko BF000201, Ouagadougou
# BF000101): all views CANCELLED. A CAN before release cancels at CI only.
# Diversion: goods declared for Ouagadougou turn up at Bobo-Dioulasso
# (BF000301), which has no record; its ARQ makes CI send it the AAR, the
# movement's destination becomes BF000301, whose ARR and DCR complete it.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 34-cancel-divert
. "$SG_SRC/tests/scenarios/lc.sh"

lc_nodes CI:CI:CI BF:BF:BF
lc_start_all
TR=CI000401,BF000201

M1=$("$SIGMATCTL" mrn new CI)
lc_send CI "$(lc_decl DEC "$M1" BF000101 $TR)" "$(lc_decl REL "$M1" BF000101 $TR)"
lc_wait BF "$M1" BF000201 ANTICIPATED
lc_wait BF "$M1" BF000101 ANTICIPATED
lc_send CI "$(lc_msg CAN "$M1" CI000101 CI000101)"
lc_wait CI "$M1" CI000101 CANCELLED
for v in CI:CI000401 BF:BF000201 BF:BF000101; do lc_wait "${v%%:*}" "$M1" "${v#*:}" CANCELLED; done
sg_until 10 sh -c "[ \$(awk '\$3 == \"CAN\"' '$SG_DIR/BF.deliveries' | wc -l) = 2 ]" || sg_fail "BF adapter: CANs"
lc_got_until CI CAN "$M1" CI000401 1 || sg_fail "CI adapter: CAN for CI000401"
# Nothing more is accepted for a cancelled movement.
ncf=$(lc_msg NCF "$M1" BF000201 CI000101)
lc_send BF "$ncf"
lc_wait_nak BF "$(lc_id "$ncf")" 92

M2=$("$SIGMATCTL" mrn new CI)
lc_send CI "$(lc_decl DEC "$M2" BF000101 $TR)" "$(lc_msg CAN "$M2" CI000101 CI000101)"
lc_wait CI "$M2" CI000101 CANCELLED
[ "$(sg_sql CI "select count(*) from message where type = 'CAN' and mrn = '$M2'")" = 1 ] \
    || sg_fail "CAN before release was fanned out"

M3=$("$SIGMATCTL" mrn new CI)
lc_send CI "$(lc_decl DEC "$M3" BF000101 $TR)" "$(lc_decl REL "$M3" BF000101 $TR)"
lc_wait BF "$M3" BF000101 ANTICIPATED
lc_send BF "$(lc_msg NCF "$M3" BF000201 CI000101)"
lc_wait CI "$M3" CI000101 EN_ROUTE
lc_send BF "$(lc_msg ARQ "$M3" BF000301 CI000101)"
lc_wait BF "$M3" BF000301 ANTICIPATED
lc_got_until BF AAR "$M3" BF000301 1 || sg_fail "BF adapter: AAR for BF000301"
[ "$(sg_sql CI "select destination from movement where mrn = '$M3' and office = 'CI000101'")" = BF000301 ] \
    || sg_fail "destination not changed to the actual office"
lc_send BF "$(lc_msg ARR "$M3" BF000301 CI000101)"
lc_wait CI "$M3" CI000101 ARRIVED
lc_send BF "$(lc_msg DCR "$M3" BF000301 CI000101)"
lc_wait CI "$M3" CI000101 DISCHARGED
lc_wait BF "$M3" BF000301 DISCHARGED
lc_wait BF "$M3" BF000101 DISCHARGED
for n in CI BF; do
    for m in $M1 $M3; do
        "$SIGMATCTL" movement verify "$m" --db "$(sg_conninfo $n)" >/dev/null || sg_fail "$n: chain of $m"
    done
done
for n in CI BF; do sg_stop $n; done
sg_pass
