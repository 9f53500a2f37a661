#!/bin/sh
# 02-route: three country nodes CI, BF, NE and a hub. Messages from the CI
# adapter for BF and NE offices travel CI -> hub -> BF/NE and reach the
# right adapters, each exactly once, in order per MRN; every hop stored
# each message once and finished its delivery rows.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 02-route

N=${SG_N:-600}
[ "${SIGMAT_LONG:-0}" = 1 ] && N=20000

sg_node CI CI
sg_node BF BF
sg_node NE NE
sg_node hub ZZ
for a in ci-adapter bf-adapter ne-adapter; do sg_adapter $a; done

sg_peer CI ci-adapter adapter CI
sg_peer CI hub node "" "$(sg_endpoint hub)"
sg_route CI BF hub
sg_route CI NE hub

sg_peer hub CI node CI "$(sg_endpoint CI)"
sg_peer hub BF node BF "$(sg_endpoint BF)"
sg_peer hub NE node NE "$(sg_endpoint NE)"
sg_route hub CI CI
sg_route hub BF BF
sg_route hub NE NE

for c in BF NE; do
    a=$(echo $c | tr A-Z a-z)-adapter
    sg_peer $c $a adapter $c
    sg_peer $c hub node "" "$(sg_endpoint hub)"
    sg_peer $c CI node CI          # the origin: its signing key, no direct link
done

for n in CI BF NE hub; do sg_start $n; done
# What CI accepts before its link to the hub is up is signed message by
# message (nothing is known of the hop yet); the checks below want batches.
linked () { grep -q "peer hub: link up (window [0-9]*, batch signatures, packed)" "$SG_DIR/CI.log"; }
sg_until 30 linked || sg_fail "CI's link to the hub did not come up with batch signatures and packed messages"

sg_bg "$SGTEST" listen $(sg_conn bf-adapter BF) --count $((N / 2)) --timeout 30 --out "$SG_DIR/bf.out"
L_BF=$SG_BG
sg_bg "$SGTEST" listen $(sg_conn ne-adapter NE) --count $((N / 2)) --timeout 30 --out "$SG_DIR/ne.out"
L_NE=$SG_BG

# 15 MRNs over two recipients: every MRN has messages for both.
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to BF000101,NE000101 --count $N --mrns 15 --window 128 --timeout 30 \
    --out "$SG_DIR/sent.out" || sg_fail "sending failed"
[ "$(grep -c '^ACK' "$SG_DIR/sent.out")" = $N ] || sg_fail "not every message was acknowledged"

sg_wait $L_BF "BF adapter did not get its messages"
sg_wait $L_NE "NE adapter did not get its messages"

for c in bf ne; do
    C=$(echo $c | tr a-z A-Z)
    n=$(sg_check_order "$SG_DIR/$c.out") || sg_fail "$C: duplicate or out-of-order delivery"
    [ "$n" = $((N / 2)) ] || sg_fail "$C: $n deliveries, expected $((N / 2))"
    # exactly the ids sent to that country
    grep "^ACK .* ${C}000101\$" "$SG_DIR/sent.out" | awk '{print $2}' | sort > "$SG_DIR/$c.want"
    awk '$1 != "DUP" {print $1}' "$SG_DIR/$c.out" | sort > "$SG_DIR/$c.got"
    cmp -s "$SG_DIR/$c.want" "$SG_DIR/$c.got" || sg_fail "$C received other ids than were sent to it"
done

# Each hop stored every message once, and nothing is left undelivered.
for n in CI hub; do
    [ "$(sg_sql $n "select count(*) from message")" = $N ] || sg_fail "$n: message rows != $N"
done
sg_until 10 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from delivery where state <> 'done'\")\" = 0 ]" \
    || sg_fail "CI has undelivered rows"
sg_until 10 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo hub)' -c \"select count(*) from delivery where state <> 'done'\")\" = 0 ]" \
    || sg_fail "hub has undelivered rows"
# Messages from the CI adapter were signed by CI (Origin-Node CI) in batches
# (every link offered batch-sign: docs/protocol.md) and kept their signature,
# byte for byte, through the hub.
[ "$(sg_sql BF "select count(*) from message where origin_node = 'CI' and from_peer = 'hub' and substring(signature from 1 for 4) = 'SGB1'::bytea and length(signature) > 64")" = $((N / 2)) ] \
    || sg_fail "BF: messages not stored with CI's batch signature"
sigs="select md5(string_agg(encode(signature, 'hex'), ',' order by id)) from message where origin_node = 'CI' and recipient like 'BF%'"
[ "$(sg_sql BF "$sigs")" = "$(sg_sql CI "$sigs")" ] \
    || sg_fail "BF: signatures differ from those CI stored"

for n in CI BF NE hub; do sg_stop $n; done
sg_pass
