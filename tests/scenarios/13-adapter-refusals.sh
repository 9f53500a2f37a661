#!/bin/sh
# 13-adapter-refusals: a DELIVER an adapter can never take is refused for
# good, one it cannot take now is retried (proto/link.c, the adapters' shared
# link). Two nodes (CI sends, BF delivers to sigmat-asycuda):
#  1. an AAR for BF000999, an office missing from the adapter's table: the
#     adapter NAKs it (107) with the reason, keeps it in rejected/ with a
#     readable .err, counts it; the BF node makes it a dead letter with that
#     reason after one attempt; the next message of the link still flows;
#  2. an AAR while the inbox folder cannot be written (a file in its place):
#     not answered, the node delivers it again; once the folder is back the
#     file lands in the inbox and the delivery is done, never dead;
#  3. sigmat-generic (for BF000301) whose webhook stylesheet fails on an AAR:
#     the same NAK 107 with the stylesheet's reason, dead letter, .err.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 13-adapter-refusals
TOKEN=0123456789abcdef-scenario-token
. "$SG_SRC/tests/scenarios/asy.sh"
[ -x "$ASY" ] || sg_fail "sigmat-asycuda not built ($ASY)"

sg_node CI CI
sg_node BF BF
for a in bf-asycuda bf-generic ci-tool; do sg_adapter $a; done
sg_peer CI ci-tool adapter CI
sg_peer CI BF node BF "$(sg_endpoint BF)"
sg_route CI BF BF
sg_peer BF bf-asycuda adapter BF
sg_peer BF bf-generic adapter BF000301
sg_peer BF CI node CI "$(sg_endpoint CI)"
sg_route BF CI CI
sg_start CI
sg_start BF
asy_conf bf-asycuda BF BF
asy_start bf-asycuda
A=$SG_DIR/bf-asycuda

# aar ID OFFICE: the example AAR with a new id, for OFFICE.
aar () {
    sed -e "s|<MessageID>[^<]*</MessageID>|<MessageID>$1</MessageID>|" \
        -e "s|BF000101|$2|g" "$SG_EXAMPLES/aar.xml" > "$SG_DIR/$1.xml"
    "$SGTEST" body $(sg_conn ci-tool CI) --body "$SG_DIR/$1.xml" --timeout 10 > "$SG_DIR/$1.out" \
        || sg_fail "sending $1: $(cat "$SG_DIR/$1.out")"
    grep -q '^ACK' "$SG_DIR/$1.out" || sg_fail "$1 not accepted by CI: $(cat "$SG_DIR/$1.out")"
}
bf_delivery () { sg_sql BF "select state || ' ' || attempts || ' ' || coalesce(nak_code, 0) || ' ' || coalesce(last_error, '') from delivery where message_id = '$1' and next_hop = 'bf-asycuda'"; }

# 1. Never takeable: NAK, dead letter with the reason, kept with a .err.
P=7d1b3a52-0c4e-4f7e-9a55-5b7c1d2e3f40
aar $P BF000999
sg_until 20 sh -c "sg_sql () { psql -X -q -A -t -d '$(sg_conninfo BF)' -c \"\$1\"; }; \
    [ \"\$(sg_sql \"select state from delivery where message_id = '$P' and next_hop = 'bf-asycuda'\")\" = dead ]" \
    || sg_fail "the unknown office's AAR is not a dead letter: $(bf_delivery $P)"
d=$(bf_delivery $P)
case "$d" in
    "dead "[01]" 107 "*"office BF000999 is not in the office table"*) ;;   # never resent
    *) sg_fail "dead letter without the adapter's code and reason, or resent: $d" ;;
esac
"$SIGMATCTL" dead list --db "$(sg_conninfo BF)" | grep -q "$P.*107" || sg_fail "sigmatctl dead list does not show it"
E=$(ls "$A/rejected/" | grep "^deliver-AAR_.*_$P\.xml\.err\$") || sg_fail "no .err in rejected/: $(ls "$A/rejected")"
grep -q "NAK 107: .*office.*BF000999" "$A/rejected/$E" || sg_fail "the .err does not say why: $(cat "$A/rejected/$E")"
grep -q "sigmatctl dead replay $P" "$A/rejected/$E" || sg_fail "the .err does not say what to do"
cmp -s "$A/rejected/${E%.err}" "$SG_DIR/$P.xml" || sg_fail "the refused body is not kept as delivered"
[ -z "$(ls "$A/inbox" | grep "$P")" ] || sg_fail "a refused delivery reached the inbox"
grep -q "delivery $P refused for good: NAK 107" "$A.log" || sg_fail "no alert in the adapter's log"
sg_until 10 sh -c "curl -fsS -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$HTTP_BF/metrics | grep -q '^sigmat_adapter_deliveries_refused_total 1\$'" \
    || sg_fail "the refusal is not counted in /metrics"
sg_log "unknown office: NAK 107, dead letter at BF, kept as $E"

# 2. Not takeable now (the inbox folder is a file): retried, then delivered.
mv "$A/inbox" "$A/inbox.away"
echo "not a folder" > "$A/inbox"
T=2e9c4f61-8b3d-4c2a-b1e5-6f7a8b9c0d12
aar $T BF000101
sg_until 30 sh -c "[ \$(grep -c 'AAR $T .*cannot be written into the inbox' '$A.log') -ge 2 ]" \
    || sg_fail "the AAR was not tried twice: $(bf_delivery $T)"
case "$(bf_delivery $T)" in dead*|done*) sg_fail "a transient failure ended the delivery: $(bf_delivery $T)" ;; esac
rm "$A/inbox"
mv "$A/inbox.away" "$A/inbox"
sg_until 30 sh -c "ls '$A/inbox' | grep -q '^AAR_.*_$T\.xml\$'" || sg_fail "the AAR did not land once the inbox was back"
sg_until 20 sh -c "sg_sql () { psql -X -q -A -t -d '$(sg_conninfo BF)' -c \"\$1\"; }; \
    [ \"\$(sg_sql \"select state from delivery where message_id = '$T' and next_hop = 'bf-asycuda'\")\" = done ]" \
    || sg_fail "the retried delivery is not done: $(bf_delivery $T)"
[ -z "$(ls "$A/rejected/" | grep "$T")" ] || sg_fail "a transient failure was kept as refused"
sg_log "inbox not writable: tried $(grep -c "AAR $T .*cannot be written into the inbox" "$A.log") times, then delivered"

# 3. sigmat-generic: a webhook stylesheet that fails is a refusal for good.
GENERIC=${GENERIC:-$SG_BUILD/adapters/generic/sigmat-generic}
[ -x "$GENERIC" ] || sg_fail "sigmat-generic not built in $SG_BUILD"
G=$SG_DIR/bf-generic
mkdir -p "$G"
cat > "$G/fails.xsl" <<'EOX'
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><xsl:message terminate="yes">no national code for this office</xsl:message></xsl:template>
</xsl:stylesheet>
EOX
cat > "$G.conf" <<EOC
name bf-generic
node_endpoint $(sg_endpoint BF)
node_public $SG_DIR/keys/BF.curve.pub
curve_public $SG_DIR/keys/bf-generic.curve.pub
curve_secret $SG_DIR/keys/bf-generic.curve.key
listen 127.0.0.1:$(sg_port)
state_db $G/state.db
token bf-portal bf-portal-token-0001 BF000301
webhook_format xml
webhook_xslt AAR $G/fails.xsl
log_level info
EOC
"$GENERIC" -c "$G.conf" >> "$G.log" 2>&1 &
SG_PIDS="$SG_PIDS $!"
X=5f0e2d4c-3b2a-4918-8776-655443322110
aar $X BF000301
sg_until 20 sh -c "sg_sql () { psql -X -q -A -t -d '$(sg_conninfo BF)' -c \"\$1\"; }; \
    [ \"\$(sg_sql \"select state from delivery where message_id = '$X' and next_hop = 'bf-generic'\")\" = dead ]" \
    || sg_fail "the AAR the stylesheet fails on is not a dead letter: $(sg_sql BF "select state, last_error from delivery where message_id = '$X'")"
d=$(sg_sql BF "select state || ' ' || coalesce(nak_code, 0) || ' ' || coalesce(last_error, '') from delivery where message_id = '$X' and next_hop = 'bf-generic'")
case "$d" in
    "dead 107 "*"cannot make the webhook of AAR"*) ;;
    *) sg_fail "dead letter without the generic adapter's code and reason: $d" ;;
esac
grep -q "no national code for this office" "$G/rejected/deliver-AAR_"*"_$X.xml.err" \
    || sg_fail "no .err with the stylesheet's reason in $G/rejected: $(ls "$G/rejected" 2>&1)"
sg_log "generic: failing stylesheet -> NAK 107, dead letter at BF, kept in rejected/"
kill -TERM "$(asy_pid bf-asycuda)"
sg_pass
