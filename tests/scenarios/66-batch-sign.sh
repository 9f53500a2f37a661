#!/bin/sh
# 66-batch-sign: batch signatures, packed messages and their negotiation
# (docs/protocol.md, "Batch signatures", "Packed messages"). CI signs what
# its adapter sends a batch at a time for NE, whose WELCOME offers the
# feature, and each message alone for BF, which runs with `batch_sign no`
# and `packed no` (as a node from before features: it offers nothing, and
# CI sends it separate frames; BF and NE take packed SENDs from CI). Both receive everything once, store CI's signatures byte for
# byte, and each message stored at NE verifies on its own (sigmatctl). Then a peer relaying
# CI's messages to NE changes a batch-signed body, or a byte of its proof:
# NAK 102 each time, nothing stored; the untouched message is still taken
# (a duplicate, ACKed). Last, NE comes back without batch signatures: what
# CI still held for it, signed a batch at a time, goes signed alone.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 66-batch-sign

N=${SG_N:-400}

sg_node CI CI
sg_node BF BF "batch_sign no" "packed no"
sg_node NE NE
for a in ci-adapter bf-adapter ne-adapter; do sg_adapter $a; done
sg_peer CI ci-adapter adapter CI
sg_peer CI BF node BF "$(sg_endpoint BF)"
sg_peer CI NE node NE "$(sg_endpoint NE)"
sg_route CI BF BF
sg_route CI NE NE
sg_peer BF bf-adapter adapter BF
sg_peer BF CI node CI "$(sg_endpoint CI)"
sg_peer NE ne-adapter adapter NE
sg_peer NE CI node CI "$(sg_endpoint CI)"
sg_adapter relay                # a peer node that relays CI's messages (below)
sg_peer NE relay node CI
for n in CI BF NE; do sg_start $n; done

# Messages accepted before a link is up are signed alone (nothing is known
# of the hop yet): start once both of CI's links are up.
linked () { grep -q "peer NE: link up" "$SG_DIR/CI.log" && grep -q "peer BF: link up" "$SG_DIR/CI.log"; }
sg_until 30 linked || sg_fail "CI's links did not come up"
sg_bg "$SGTEST" listen $(sg_conn bf-adapter BF) --count $((N / 2)) --timeout 60 --out "$SG_DIR/bf.out"
L_BF=$SG_BG
sg_bg "$SGTEST" listen $(sg_conn ne-adapter NE) --count $((N / 2)) --timeout 60 --out "$SG_DIR/ne.out"
L_NE=$SG_BG
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to BF000101,NE000101 --count $N --mrns 20 --window 128 --timeout 60 \
    --out "$SG_DIR/sent.out" || sg_fail "sending failed"
[ "$(grep -c '^ACK' "$SG_DIR/sent.out")" = $N ] || sg_fail "not every message was acknowledged"
sg_wait $L_BF "BF adapter did not get its messages"
sg_wait $L_NE "NE adapter did not get its messages"
for c in bf ne; do
    n=$(sg_check_order "$SG_DIR/$c.out") || sg_fail "$c: duplicate or out-of-order delivery"
    [ "$n" = $((N / 2)) ] || sg_fail "$c: $n deliveries, expected $((N / 2))"
done

grep -q "peer NE: link up (window [0-9]*, batch signatures, packed)" "$SG_DIR/CI.log" \
    || sg_fail "CI's link to NE did not agree on batch signatures and packed messages"
grep -q "peer BF: link up (window [0-9]*)$" "$SG_DIR/CI.log" \
    || sg_fail "CI's link to BF is not up without features"
grep -q "node CI: welcome (window [0-9]*)$" "$SG_DIR/BF.log" \
    || sg_fail "BF (packed no) did not welcome CI without features"
batch="substring(signature from 1 for 4) = 'SGB1'::bytea and length(signature) > 64"
[ "$(sg_sql NE "select count(*) from message where origin_node = 'CI' and $batch")" = $((N / 2)) ] \
    || sg_fail "NE: CI's messages do not carry batch signatures"
[ "$(sg_sql BF "select count(*) from message where origin_node = 'CI' and length(signature) = 64")" = $((N / 2)) ] \
    || sg_fail "BF (batch_sign no): CI's messages do not carry plain signatures"
for c in BF NE; do
    sigs="select md5(string_agg(encode(signature, 'hex'), ',' order by id)) from message where origin_node = 'CI' and recipient like '${c}%'"
    [ "$(sg_sql $c "$sigs")" = "$(sg_sql CI "$sigs")" ] || sg_fail "$c stored other signatures than CI"
done
# Non-repudiation: each stored message re-verifies on its own, offline.
for id in $(sg_sql NE "select id from message where origin_node = 'CI' order by received limit 25"); do
    "$SIGMATCTL" message verify "$id" --db "$(sg_conninfo NE)" | grep -q "signature of CI verified" \
        || sg_fail "NE: message $id does not verify on its own"
done

# ---- a relay that changes a batch-signed message ---------------------------------
id=$(sg_sql NE "select id from message where origin_node = 'CI' order by received limit 1")
sg_sql NE "select encode(header, 'hex') from message where id = '$id'" | xxd -r -p > "$SG_DIR/m.hdr"
sg_sql NE "select encode(body, 'hex') from message where id = '$id'" | xxd -r -p > "$SG_DIR/m.xml"
sg_sql NE "select encode(signature, 'hex') from message where id = '$id'" | xxd -r -p > "$SG_DIR/m.sig"
[ "$(head -c 4 "$SG_DIR/m.sig")" = SGB1 ] || sg_fail "no batch signature to tamper with"
sed 's|<WriteOffDate>\([0-9-]*\)<|<WriteOffDate>2031-01-01<|' "$SG_DIR/m.xml" > "$SG_DIR/x.xml"
cmp -s "$SG_DIR/m.xml" "$SG_DIR/x.xml" && sg_fail "the test did not change the body"
# the last byte of the proof path, flipped
size=$(stat -c %s "$SG_DIR/m.sig")
{ head -c $((size - 1)) "$SG_DIR/m.sig"; tail -c 1 "$SG_DIR/m.sig" | tr '\000-\377' '\001-\377\000'; } \
    > "$SG_DIR/x.sig"
cmp -s "$SG_DIR/m.sig" "$SG_DIR/x.sig" && sg_fail "the test did not change the proof"
sg_stop CI      # its own link to NE must not answer for the impersonation below
# One at a time: copies of a message still being checked are dropped.
for f in "x.xml|@$SG_DIR/m.sig" "m.xml|@$SG_DIR/x.sig" "m.xml|@$SG_DIR/m.sig"; do
    "$SGTEST" raw $(sg_conn relay NE) --role node --frames "SEND|@$SG_DIR/m.hdr|@$SG_DIR/$f" \
        --count 1 --timeout 20 >> "$SG_DIR/relay.out" \
        || sg_fail "no answer to a relayed message: $(cat "$SG_DIR/relay.out")"
done
[ "$(grep -c "^NAK $id 102 " "$SG_DIR/relay.out")" = 2 ] \
    || sg_fail "a changed body or proof was not refused with NAK 102: $(cat "$SG_DIR/relay.out")"
grep -q "^ACK $id" "$SG_DIR/relay.out" || sg_fail "the untouched message was not ACKed: $(cat "$SG_DIR/relay.out")"
[ "$(sg_sql NE "select count(*) from message where id = '$id' and body = decode('$(xxd -p "$SG_DIR/m.xml" | tr -d '\n')', 'hex')")" = 1 ] \
    || sg_fail "NE no longer holds the original body"

# ---- NE goes back to a version without batch signatures ------------------------
# CI signs NE's messages a batch at a time while NE's link takes them. NE
# hangs (SIGSTOP: CI's link stays up a few seconds), CI takes M more for it,
# then NE comes back with `batch_sign no` (as an older version, or a
# standby on one, would): CI signs what it still holds for NE again, each
# alone. A node from before batch signatures refuses any other than 64
# bytes (NAK 102, a dead letter at CI); this NE would take both, so the
# test reads what it stored.
M=40
sg_start CI
relinked () { [ "$(grep -c "peer NE: link up (window [0-9]*, batch signatures" "$SG_DIR/CI.log")" -ge 2 ]; }
sg_until 30 relinked || sg_fail "CI's new link to NE did not come up with batch signatures"
kill -STOP "$(sg_pid NE)"
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to NE000101 --count $M --mrns 20 --window 128 --timeout 30 --out "$SG_DIR/sent2.out" \
    || sg_fail "CI did not take messages for a hung NE"
sg_kill NE
echo "batch_sign no" >> "$SG_DIR/NE.conf"
sg_start NE
sg_bg "$SGTEST" listen $(sg_conn ne-adapter NE) --count $M --timeout 60 --out "$SG_DIR/ne2.out"
sg_wait $SG_BG "NE's adapter did not get the messages CI held when NE came back"
grep -q "peer NE: link up (window [0-9]*, packed)$" "$SG_DIR/CI.log" \
    || sg_fail "CI's link to NE (batch_sign no) did not come up without batch signatures"
ids=$(awk -v q="'" '/^ACK/ { printf "%s%s%s%s", (n++ ? "," : ""), q, $2, q }' "$SG_DIR/sent2.out")
[ "$(sg_sql CI "select count(*) from message where id in ($ids) and $batch")" -ge 1 ] \
    || sg_fail "CI signed none of the last messages a batch at a time: the case was not tested"
[ "$(sg_sql NE "select count(*) from message where id in ($ids) and length(signature) = 64")" = $M ] \
    || sg_fail "NE did not store CI's messages with signatures of their own"
[ "$(sg_sql CI "select count(*) from delivery where state = 'dead'")" = 0 ] \
    || sg_fail "CI has dead letters: a batch signature went to a link without them"
sg_pass
