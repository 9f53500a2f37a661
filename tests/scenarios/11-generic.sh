#!/bin/sh
# 11-generic: sigmat-generic between a national system and its node.
# Declarations submitted over HTTP reach the CI node as DEC and REL (rows in
# its database, acknowledged back to the adapter); two AARs for a CI office
# and a CAN of the first, sent by a BF tool with `sigmatctl send` through
# the BF node, reach the national system's webhook receiver signed, after
# the receiver was down for a while (/metrics: pending and failing) and
# while it answers 500 to its first
# and every second request; each message arrives once (2xx), in order per
# MRN, and `sigmat-generic status` shows the outbox meanwhile.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 11-generic

GENERIC=${GENERIC:-$SG_BUILD/adapters/generic/sigmat-generic}
[ -x "$GENERIC" ] || sg_fail "sigmat-generic not built in $SG_BUILD"
PY=/usr/bin/python3
[ -x "$PY" ] || sg_fail "$PY is needed for the webhook receiver"
command -v curl >/dev/null || sg_fail "curl is needed"

sg_node CI CI
sg_node BF BF
sg_adapter ci-generic
sg_adapter bf-tool
sg_peer CI ci-generic adapter CI
sg_peer CI BF node BF "$(sg_endpoint BF)"
sg_route CI BF BF
sg_peer BF bf-tool adapter BF
sg_peer BF CI node CI "$(sg_endpoint CI)"
sg_route BF CI CI
sg_start CI
sg_start BF

K=$SG_DIR/keys
HP=$(sg_port)
RP=$(sg_port)
TOKEN=ci-portal-token-0001
API=http://127.0.0.1:$HP
echo "0123456789abcdef-scenario-secret" > "$SG_DIR/hook.secret"
cat > "$SG_DIR/generic.conf" <<EOC
$(sg_adapter_link ci-generic CI)
http_listen 127.0.0.1:$HP
state_db $SG_DIR/generic.db
http_token ci-portal $TOKEN CI
webhook_url http://127.0.0.1:$RP/sigmat
webhook_secret_file $SG_DIR/hook.secret
webhook_retry_min 200ms
webhook_retry_max 1s
log_level info
EOC
"$GENERIC" -c "$SG_DIR/generic.conf" >> "$SG_DIR/generic.log" 2>&1 &
GEN_PID=$!
SG_PIDS="$SG_PIDS $GEN_PID"
sg_until 10 curl -sf "$API/v1/health" -o /dev/null || sg_fail "sigmat-generic API not up"

# 1. A declaration and its release over HTTP.
sed 's/"2026-03-08"/"2030-01-31"/' "$SG_SRC/tests/generic/dec.json" > "$SG_DIR/dec.json"
curl -s -o "$SG_DIR/dec.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -H 'Idempotency-Key: sc-11-dec' \
    --data-binary @"$SG_DIR/dec.json" "$API/v1/declarations" > "$SG_DIR/dec.code"
[ "$(cat "$SG_DIR/dec.code")" = 201 ] || sg_fail "declaration: HTTP $(cat "$SG_DIR/dec.code"): $(cat "$SG_DIR/dec.out")"
MRN=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["DeclarationID"])' "$SG_DIR/dec.out")
code=$(curl -s -o "$SG_DIR/rel.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    "$API/v1/movements/$MRN/release")
[ "$code" = 202 ] || sg_fail "release: HTTP $code: $(cat "$SG_DIR/rel.out")"
sg_log "declared and released $MRN over HTTP"

sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from message where mrn = '$MRN' and type in ('DEC', 'REL') and origin_node = 'CI'\")\" = 2 ]" \
    || sg_fail "the CI node did not store the DEC and REL of $MRN"
[ "$(sg_sql CI "select string_agg(type, ',' order by received) from message where mrn = '$MRN' and type in ('DEC', 'REL')")" = "DEC,REL" ] \
    || sg_fail "DEC and REL not stored in that order"
acked () {
    "$GENERIC" -c "$SG_DIR/generic.conf" status --json 2>/dev/null \
        | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["to_node"]["acknowledged"])'
}
sg_until 10 sh -c "[ \"\$(\"$GENERIC\" -c '$SG_DIR/generic.conf' status --json | \"$PY\" -c 'import json,sys; print(json.load(sys.stdin)[\"to_node\"][\"acknowledged\"])')\" = 2 ]" \
    || sg_fail "the adapter did not record the node's ACKs (acknowledged: $(acked))"

# 2. From Burkina Faso, for a CI office, while the receiver is down: AARs
# for two movements, then a cancellation of the first (order per MRN).
BF_MRN=$("$SIGMATCTL" mrn new BF) || sg_fail "mrn new"
BF_MRN2=$("$SIGMATCTL" mrn new BF) || sg_fail "mrn new"
"$PY" - "$SG_EXAMPLES" "$SG_DIR" "$BF_MRN" "$BF_MRN2" <<'EOP'
import re, sys, uuid, datetime
ex, out, mrn1, mrn2 = sys.argv[1:5]
now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
def make(name, mrn, dst):
    x = open("%s/%s" % (ex, name), encoding="utf-8").read()
    x = x.replace("26CI000101000123J8", mrn)
    x = x.replace("CI000101", "@DEP@").replace("BF000101", "CI000101").replace("@DEP@", "BF000101")
    x = re.sub(r"<MessageID>[^<]*</MessageID>", "<MessageID>%s</MessageID>" % uuid.uuid4(), x)
    x = re.sub(r"<IssueDateTime>[^<]*</IssueDateTime>", "<IssueDateTime>%s</IssueDateTime>" % now, x)
    x = re.sub(r"<RecipientOfficeID>[^<]*</RecipientOfficeID>", "<RecipientOfficeID>CI000101</RecipientOfficeID>", x)
    open("%s/%s" % (out, dst), "w", encoding="utf-8").write(x)
make("aar.xml", mrn1, "1-aar.xml")
make("aar.xml", mrn2, "2-aar.xml")
make("can.xml", mrn1, "3-can.xml")
EOP
out=$("$SIGMATCTL" send "$SG_DIR/1-aar.xml" "$SG_DIR/2-aar.xml" "$SG_DIR/3-can.xml" \
      --node "$(sg_endpoint BF)" --server-pub "$K/BF.curve.pub" --key "$K/bf-tool" --name bf-tool \
      --timeout 20) || sg_fail "sigmatctl send: $out"
[ "$(echo "$out" | grep -c accepted)" = 3 ] || sg_fail "the BF node did not accept all three: $out"
pending () {
    "$GENERIC" -c "$SG_DIR/generic.conf" status --json \
        | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["webhooks"]["pending"])'
}
sg_until 20 sh -c "\"$GENERIC\" -c '$SG_DIR/generic.conf' status | grep -q '^webhook outbox: 3 pending'" \
    || sg_fail "the messages did not all reach the adapter's outbox: $(pending)"
tried () {  # the first try of the webhook has failed and is recorded
    "$GENERIC" -c "$SG_DIR/generic.conf" status > "$SG_DIR/status.txt"
    grep -q "last error: .*[Cc]onnect" "$SG_DIR/status.txt"
}
sg_until 20 tried || sg_fail "status shows no failed try: $(cat "$SG_DIR/status.txt")"
grep -q "AAR $BF_MRN2" "$SG_DIR/status.txt" || sg_fail "status does not list the AAR: $(cat "$SG_DIR/status.txt")"
# /metrics says the same: 3 pending, failing (tried without success).
. "$SG_SRC/tests/scenarios/promcheck.sh"
metric () { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HP/metrics" > "$SG_DIR/down.prom" \
    || sg_fail "GET /metrics"
prom_check "$SG_DIR/down.prom" || sg_fail "/metrics is not valid Prometheus text format"
[ "$(metric "$SG_DIR/down.prom" sigmat_adapter_webhooks_pending)" = 3 ] || sg_fail "metrics: pending"
[ "$(metric "$SG_DIR/down.prom" sigmat_adapter_webhooks_failing)" -ge 1 ] || sg_fail "metrics: failing"
[ "$(metric "$SG_DIR/down.prom" sigmat_adapter_node_connected)" = 1 ] || sg_fail "metrics: node"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/metrics")" = 401 ] \
    || sg_fail "/metrics answered without a token"

# 3. The national system comes up, answering 500 to its first POST and to
# every second one.
"$PY" "$SG_SRC/tests/generic/receiver.py" --log "$SG_DIR/hooks.jsonl" \
    --secret-file "$SG_DIR/hook.secret" --port "$RP" --fail-first 1 --fail-every 2 >> "$SG_DIR/receiver.log" 2>&1 &
SG_PIDS="$SG_PIDS $!"
sg_until 20 sh -c "[ \"\$(\"$GENERIC\" -c '$SG_DIR/generic.conf' status --json | \"$PY\" -c 'import json,sys; print(json.load(sys.stdin)[\"webhooks\"][\"pending\"])')\" = 0 ]" \
    || sg_fail "webhooks still pending: $(pending)"

[ "$(wc -l < "$SG_DIR/hooks.jsonl")" -ge 4 ] || sg_fail "expected at least 4 POSTs"
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HP/metrics" > "$SG_DIR/up.prom" || sg_fail "GET /metrics"
[ "$(metric "$SG_DIR/up.prom" sigmat_adapter_webhooks_pending) $(metric "$SG_DIR/up.prom" sigmat_adapter_webhooks_failing)" = "0 0" ] \
    || sg_fail "metrics after the receiver came back: $(grep webhooks "$SG_DIR/up.prom")"
[ "$(metric "$SG_DIR/up.prom" 'sigmat_adapter_inbox_writes_total{type="AAR"}')" = 2 ] || sg_fail "metrics: AARs handed on"
"$PY" - "$SG_DIR/hooks.jsonl" "$BF_MRN" <<'EOP' || sg_fail "webhook deliveries are wrong"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in recs if r["status"] == 200]
bad = [r for r in recs if not r["valid"]]
assert not bad, "unsigned or badly signed webhooks: %r" % bad
ids = [r["id"] for r in ok]
assert len(ids) == len(set(ids)), "a message arrived twice: %r" % ids
assert any(r["status"] == 500 for r in recs), "the receiver never answered 500"
for r in recs:
    if r["status"] == 500:
        assert r["id"] in ids, "a refused webhook was never retried: %s" % r["id"]
aar = [r for r in ok if r["type"] == "AAR" and r["mrn"] == sys.argv[2]]
assert len(aar) == 1, "the AAR did not arrive exactly once"
assert len(ok) == 3, "expected 3 deliveries, got %d" % len(ok)
body = json.loads(aar[0]["body"])
assert body["Type"] == "AAR" and body["DeclarationID"] == sys.argv[2]
assert body["RecipientOfficeID"] == "CI000101" and body["OriginNode"] == "BF"
assert body["Declaration"]["DepartureCustomsOffice"]["ID"] == "BF000101"
first = [r["type"] for r in ok if r["mrn"] == sys.argv[2]]
assert first == ["AAR", "CAN"], "order for %s: %r" % (sys.argv[2], first)
for i, r in enumerate(recs):         # nothing of an MRN is tried before its earlier message is done
    for later in recs[i + 1:]:
        if later["mrn"] == r["mrn"] and later["id"] != r["id"]:
            assert r["id"] in [x["id"] for x in recs[:recs.index(later)] if x["status"] == 200]
print("%d webhooks delivered, %d refused and retried" % (len(ok), len(recs) - len(ok)))
EOP

# 4. The adapter's view: the movement is expected at CI000101.
curl -sf -H "Authorization: Bearer $TOKEN" "$API/v1/offices/CI000101/movements" > "$SG_DIR/expected.json" \
    || sg_fail "GET expected movements"
grep -q "\"DeclarationID\":\"$BF_MRN2\",\"Office\":\"CI000101\",\"Role\":\"DESTINATION\",\"State\":\"ANTICIPATED\"" \
    "$SG_DIR/expected.json" || sg_fail "AAR not listed as expected: $(cat "$SG_DIR/expected.json")"
grep -q "$BF_MRN" "$SG_DIR/expected.json" && sg_fail "the cancelled movement is still expected"
curl -sf -H "Authorization: Bearer $TOKEN" "$API/v1/movements/$BF_MRN" | grep -q '"State":"CANCELLED"' \
    || sg_fail "the cancelled movement is not CANCELLED"

kill -TERM "$GEN_PID"
wait "$GEN_PID" || sg_fail "sigmat-generic exited $? after SIGTERM"
sg_stop CI
sg_stop BF
sg_pass
