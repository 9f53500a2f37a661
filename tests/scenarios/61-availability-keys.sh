#!/bin/sh
# 61-availability-keys: node CI rotates its signing key during traffic with
# no regional cut-over. BF registers CI's new key from now (`peer key add`,
# SIGHUP) while CI's old key stays registered; CI restarts with the new
# key while messages signed with the old one are still queued for BF; BF
# then retires the old key (`peer key retire`, valid until now). Every
# message arrives once and in order per MRN, none is refused (no NAK 102
# at BF, no dead letter at CI): each is checked against the key valid at
# its Created time, named by its Key-Id header. A peer without Key-Id (an
# old node) is checked against the keys in turn; the retired key is
# refused for new messages. Every stored message at BF still verifies
# (`sigmatctl message verify`), and a changed body does not; BF's archive
# of them, which spans the rotation, verifies offline against the keys
# registered at BF (`sigmatctl archive verify --db`), but for that body.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 61-availability-keys

N=${SG_N:-150}            # per phase
[ "${SIGMAT_LONG:-0}" = 1 ] && N=5000

sg_node CI CI
sg_node BF BF "archive_dir $SG_DIR/archive" "retention 1m" "retention_interval 100ms"
sg_adapter ci-adapter
sg_adapter bf-adapter
sg_keygen CI2                         # CI's next signing key
sg_peer CI ci-adapter adapter CI
sg_peer CI BF node "" "$(sg_endpoint BF)"
sg_route CI BF BF
sg_peer BF bf-adapter adapter BF
sg_peer BF CI node CI
sg_start CI
sg_start BF

kid () { openssl pkey -pubin -in "$1" -outform DER | tail -c 32 | sha256sum | cut -c1-16; }
OLD=$(kid "$SG_DIR/keys/CI.sign.pub")
NEW=$(kid "$SG_DIR/keys/CI2.sign.pub")
DBBF=$(sg_conninfo BF)

sg_bg "$SGTEST" listen $(sg_conn bf-adapter BF) --count $((2 * N)) --timeout 120 --out "$SG_DIR/bf.out"
L=$SG_BG

# Phase 1: signed with the old key; the sender does not wait for BF.
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to BF000101 --count $N --mrns 10 --timeout 60 --out "$SG_DIR/sent1.out" \
    || sg_fail "phase 1 sending failed"

# BF learns the new key, valid from now, next to the old one.
"$SIGMATCTL" peer key add CI --sign-pub "$SG_DIR/keys/CI2.sign.pub" --from now --db "$DBBF" \
    > "$SG_DIR/keyadd.out" || sg_fail "peer key add: $(cat "$SG_DIR/keyadd.out")"
grep -q "key $NEW valid from" "$SG_DIR/keyadd.out" || sg_fail "key id: $(cat "$SG_DIR/keyadd.out")"
kill -HUP "$(sg_pid BF)"
sg_until 20 sh -c "[ \$(grep -c 'reloading peers' '$SG_DIR/BF.log') -ge 1 ]" || sg_fail "BF did not reload"

# CI switches to the new key: stop, new sign_key, start. What it had queued
# keeps its old signature.
sg_stop CI
sed -i "s|^sign_key .*|sign_key $SG_DIR/keys/CI2.sign.key|" "$SG_DIR/CI.conf"
sg_start CI

# BF retires the old key now: messages it signed before stay valid.
"$SIGMATCTL" peer key retire CI "$OLD" --db "$DBBF" > "$SG_DIR/retire.out" \
    || sg_fail "peer key retire: $(cat "$SG_DIR/retire.out")"
kill -HUP "$(sg_pid BF)"
sg_until 20 sh -c "[ \$(grep -c 'reloading peers' '$SG_DIR/BF.log') -ge 2 ]" || sg_fail "BF did not reload"
"$SIGMATCTL" peer key list CI --db "$DBBF" > "$SG_DIR/keys.out" || sg_fail "peer key list"
grep -q "^CI  *$OLD  *-  *20" "$SG_DIR/keys.out" || sg_fail "old key not retired: $(cat "$SG_DIR/keys.out")"
grep -q "^CI  *$NEW  *20.*  *-\$" "$SG_DIR/keys.out" || sg_fail "new key not listed: $(cat "$SG_DIR/keys.out")"

# Phase 2: signed with the new key.
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to BF000101 --count $N --mrns 10 --timeout 60 --out "$SG_DIR/sent2.out" \
    || sg_fail "phase 2 sending failed"
sg_wait $L "BF adapter did not get every message"
n=$(sg_check_order "$SG_DIR/bf.out") || sg_fail "duplicate or out-of-order delivery"
[ "$n" = $((2 * N)) ] || sg_fail "$n deliveries, expected $((2 * N))"
[ "$(grep -c 'NAK 102' "$SG_DIR/BF.log")" = 0 ] || sg_fail "BF refused a signature: $(grep 'NAK 102' "$SG_DIR/BF.log" | head -3)"
[ "$(sg_sql CI "select count(*) from delivery where state = 'dead'")" = 0 ] || sg_fail "CI has dead letters"
[ "$(sg_sql BF "select count(*) from message where convert_from(header, 'UTF8') like '%Key-Id: $OLD%'")" = "$N" ] \
    || sg_fail "not $N messages under the old key id"
[ "$(sg_sql BF "select count(*) from message where convert_from(header, 'UTF8') like '%Key-Id: $NEW%'")" = "$N" ] \
    || sg_fail "not $N messages under the new key id"

# An old peer without Key-Id: checked against CI's keys in turn. The new
# key is accepted; the retired one no longer signs anything new.
out=$("$SGTEST" forge $(sg_conn CI BF) --role node --sign-key "$SG_DIR/keys/CI2.sign.key" \
      --origin CI --template "$SG_EXAMPLES/wof.xml" --from CI000101 --to BF000101 --timeout 10)
case "$out" in "ACK "*) ;; *) sg_fail "new key without Key-Id: $out" ;; esac
out=$("$SGTEST" forge $(sg_conn CI BF) --role node --sign-key "$SG_DIR/keys/CI.sign.key" \
      --origin CI --template "$SG_EXAMPLES/wof.xml" --from CI000101 --to BF000101 --timeout 10)
case "$out" in "NAK "*" 102 "*) ;; *) sg_fail "retired key accepted: $out" ;; esac

# Every stored message at BF verifies against the registered keys.
sg_sql BF "select id from message" > "$SG_DIR/ids"
[ "$(wc -l < "$SG_DIR/ids")" = $((2 * N + 1)) ] || sg_fail "BF stored $(wc -l < "$SG_DIR/ids") messages"
bad=0
while read -r id; do
    "$SIGMATCTL" message verify "$id" --db "$DBBF" >> "$SG_DIR/verify.out" 2>&1 || bad=$((bad + 1))
done < "$SG_DIR/ids"
[ $bad = 0 ] || sg_fail "$bad stored messages do not verify: $(grep -v verified "$SG_DIR/verify.out" | head -3)"
# CI's own messages verify against its key files.
id1=$(head -n 1 "$SG_DIR/sent1.out" | awk '{print $2}')
id2=$(head -n 1 "$SG_DIR/sent2.out" | awk '{print $2}')
"$SIGMATCTL" message verify "$id1" --sign-pub "$SG_DIR/keys/CI.sign.pub" --db "$(sg_conninfo CI)" >/dev/null \
    || sg_fail "CI's own old-key message does not verify"
"$SIGMATCTL" message verify "$id2" --sign-pub "$SG_DIR/keys/CI2.sign.pub" --db "$(sg_conninfo CI)" >/dev/null \
    || sg_fail "CI's own new-key message does not verify"
# A changed body does not.
sg_sql BF "update message set body = body || '\\x20'::bytea where id = '$id1'" >/dev/null
out=$("$SIGMATCTL" message verify "$id1" --db "$DBBF") && sg_fail "a changed message verified: $out"
case "$out" in *BAD*) ;; *) sg_fail "changed message: $out" ;; esac

# BF archives what it delivered (made two days old): each message of the
# archive is checked against the key valid when it was signed.
sg_sql BF "update message set received = now() - interval '2 days'" >/dev/null
left () { [ "$(sg_sql BF "select count(*) from message")" = 1 ]; }     # the last, undelivered
sg_until 30 left || sg_fail "BF did not archive its delivered messages"
"$SIGMATCTL" archive verify "$SG_DIR"/archive/*.jsonl.gz --db "$DBBF" --keys "$SG_DIR/keys" \
    > "$SG_DIR/archive.out" 2>&1 && sg_fail "an archive with a changed body verified"
[ "$(grep -c '^FAIL line' "$SG_DIR/archive.out")" = 1 ] && grep -q "^FAIL line .*$id1" "$SG_DIR/archive.out" \
    || sg_fail "archive verify did not fail for the changed message only: $(head -5 "$SG_DIR/archive.out")"

sg_stop CI
sg_stop BF
sg_pass
