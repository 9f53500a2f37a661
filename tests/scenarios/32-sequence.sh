#!/bin/sh
# 32-sequence: what the departure view does not allow is refused with a NAK
# *message* that travels back end to end to the sender office's adapter
# (Correlation-Id = the refused message), is recorded, and is not
# forwarded: ARR before REL (92), REL without DEC (90), DCR before ARR
# (92), a second NCF from the same border post (92), NCF after WOF (92),
# a manual WOF before control (92). A message sent twice is applied once.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 32-sequence
. "$SG_SRC/tests/scenarios/lc.sh"

lc_nodes CI:CI:CI BF:BF:BF
lc_start_all
M=$("$SIGMATCTL" mrn new CI)
TR=BF000201

# REL for a movement never declared: 90, to the CI adapter itself.
rel0=$(lc_decl REL "$M" BF000101 $TR)
lc_send CI "$rel0"
lc_wait_nak CI "$(lc_id "$rel0")" 90

lc_send CI "$(lc_decl DEC "$M" BF000101 $TR)"
lc_wait CI "$M" CI000101 REGISTERED
# ARR before REL: refused by the CI node, the NAK goes back to BF's adapter.
arr0=$(lc_msg ARR "$M" BF000101 CI000101)
lc_send BF "$arr0"
lc_wait_nak BF "$(lc_id "$arr0")" 92
[ "$(lc_state CI "$M" CI000101)" = REGISTERED ] || sg_fail "ARR before REL changed the state"

rel=$(lc_decl REL "$M" BF000101 $TR)
lc_send CI "$rel"
lc_wait BF "$M" BF000101 ANTICIPATED
# The same REL again (a resend): stored once, applied once.
lc_send CI "$rel"
[ "$(sg_sql CI "select count(*) from movement_event where mrn = '$M' and office = 'CI000101'")" = 2 ] \
    || sg_fail "a repeated REL was applied twice"

dcr0=$(lc_msg DCR "$M" BF000101 CI000101)
lc_send BF "$dcr0"
lc_wait_nak BF "$(lc_id "$dcr0")" 92

lc_send BF "$(lc_msg NCF "$M" BF000201 CI000101)"
lc_wait CI "$M" CI000101 EN_ROUTE
ncf2=$(lc_msg NCF "$M" BF000201 CI000101)
lc_send BF "$ncf2"
lc_wait_nak BF "$(lc_id "$ncf2")" 92

lc_send BF "$(lc_msg ARR "$M" BF000101 CI000101)"
lc_wait CI "$M" CI000101 ARRIVED
lc_send BF "$(lc_msg DCR "$M" BF000101 CI000101)"
lc_wait CI "$M" CI000101 DISCHARGED
lc_wait BF "$M" BF000101 DISCHARGED
ncf3=$(lc_msg NCF "$M" BF000201 CI000101)
lc_send BF "$ncf3"
lc_wait_nak BF "$(lc_id "$ncf3")" 92

# A manual WOF before the goods were controlled: refused at the departure.
M2=$("$SIGMATCTL" mrn new CI)
lc_send CI "$(lc_decl DEC "$M2" BF000101 $TR)" "$(lc_decl REL "$M2" BF000101 $TR)"
lc_wait BF "$M2" BF000101 ANTICIPATED
wof=$(lc_msg WOF "$M2" CI000101 BF000101)
lc_send CI "$wof"
lc_wait_nak CI "$(lc_id "$wof")" 92
[ "$(lc_state BF "$M2" BF000101)" = ANTICIPATED ] || sg_fail "a refused WOF reached BF"

# Refused messages are recorded and were not forwarded to the departure adapter.
[ "$(sg_sql CI "select count(*) from movement_rejection where code = 92")" = 5 ] \
    || sg_fail "rejections recorded: $(sg_sql CI "select msg_type, code from movement_rejection")"
[ "$(sg_sql CI "select count(*) from movement_rejection where code = 90")" = 1 ] || sg_fail "90 not recorded"
for f in "$arr0" "$dcr0" "$ncf2" "$ncf3"; do
    grep -q "$(lc_id "$f")" "$SG_DIR/CI.deliveries" && sg_fail "refused $(lc_id "$f") reached the CI adapter"
done
[ "$(sg_sql CI "select count(*) from delivery d join movement_rejection r on r.message_id = d.message_id")" = 0 ] \
    || sg_fail "a refused message has a delivery row"
"$SIGMATCTL" movement show "$M" --db "$(sg_conninfo CI)" | grep -q "NAK 92" || sg_fail "show lists no rejection"
for n in CI BF; do
    "$SIGMATCTL" movement verify "$M" --db "$(sg_conninfo $n)" >/dev/null || sg_fail "$n: chain"
done
for n in CI BF; do sg_stop $n; done
sg_pass
