#!/bin/sh
# 39-propagation: what happens upstream reaches the offices ahead of the
# truck. Two T1s leave Abidjan (CI node) through Niangoloko (BF000201, the
# BF node, officers on sigmat-asycuda): one for Ouagadougou (BF000101, same
# adapter), one for Niamey (NE000101, NE node, sigmat-generic with a webhook).
# The Niangoloko officer records the crossing and an incident with new seals
# and a new truck (transhipment); the departure node passes both on to the
# destination: Ouagadougou's inbox gets the INC file and its view shows the
# new seals, plate and what happened upstream; Niamey's national system gets
# the NCF and the INC (new seals, new means) on its webhook, signed.
# Then Niger's officers act through sigmat-generic with a token of its
# token_file: an enquiry about the Niamey truck answered "arrived" (ENR)
# brings the departure view to ARRIVED, with the officer's id on the
# message; a third truck, declared for Ouagadougou, turns up at Niamey:
# the arrival-request (ARQ) diverts it and Niamey gets its AAR; the token
# used for an office it is not bound to is refused (403), its problem title
# in French with Accept-Language: fr. Last, Niger as the office of
# departure: a discrepancy found at Ouagadougou is written off by Niamey's
# officer through sigmat-generic (decision), and the WOF reaches Ouagadougou.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 39-propagation
. "$SG_SRC/tests/scenarios/lc.sh"
. "$SG_SRC/tests/scenarios/asy.sh"
GENERIC=${GENERIC:-$SG_BUILD/adapters/generic/sigmat-generic}
PY=/usr/bin/python3
[ -x "$ASY" ] && [ -x "$GENERIC" ] || sg_fail "adapters not built"
[ -x "$PY" ] || sg_fail "$PY is needed for the webhook receiver"

for n in CI:CI BF:BF NE:NE; do
    sg_node "${n%%:*}" "${n#*:}" "clock_file $LC_CLOCK" "timer_interval 200ms" "enquiry_after 2d"
done
for a in CI-send CI-adapter bf-asycuda ne-generic; do sg_adapter $a; done
# CI's national system only sends here (CI-send); what the node delivers for
# CI waits for CI-adapter, so no delivery meets a sending connection.
sg_peer CI CI-send adapter CI
sg_peer CI CI-adapter adapter CI
sg_route CI CI CI-adapter
sg_peer BF bf-asycuda adapter BF
sg_route BF BF bf-asycuda
sg_peer NE ne-generic adapter NE
sg_route NE NE ne-generic
for n in CI BF NE; do
    for o in CI BF NE; do
        [ "$n" = "$o" ] && continue
        sg_peer "$n" "$o" node "$o" "$(sg_endpoint "$o")"
        sg_route "$n" "$o" "$o"
    done
done
for n in CI BF NE; do sg_start $n; done

# Niangoloko's officer on sigmat-asycuda.
T_NIANG=niangoloko-0123456789-token
T_OUAGA=ouaga-officer-0123456789
{ echo "poste.niangoloko $(echo $T_NIANG | "$ASY" hash-token) BF000201"
  echo "a.ouedraogo $(echo $T_OUAGA | "$ASY" hash-token) BF000101"; } > "$SG_DIR/bf-officers"
asy_write bf-asycuda BF "http_officers $SG_DIR/bf-officers"
d=$SG_DIR/bf-asycuda
"$ASY" -c "$d.conf" run >>"$d.log" 2>&1 &
SG_PIDS="$SG_PIDS $!"

# Niger's national system behind sigmat-generic, its webhook receiver, and
# an officer of Niamey in its token file.
T_NIAMEY=niamey-officer-0123456789
echo "i.issoufou $(echo $T_NIAMEY | "$ASY" hash-token) NE000101" > "$SG_DIR/ne-officers"
HP=$(sg_port)
RP=$(sg_port)
echo "0123456789abcdef-scenario-secret" > "$SG_DIR/hook.secret"
cat > "$SG_DIR/ne-generic.conf" <<EOC
$(sg_adapter_link ne-generic NE)
http_listen 127.0.0.1:$HP
state_db $SG_DIR/ne-generic.db
http_token niger-system niger-system-token-0001 NE
http_officers $SG_DIR/ne-officers
webhook_url http://127.0.0.1:$RP/sigmat
webhook_secret_file $SG_DIR/hook.secret
webhook_retry_min 200ms
webhook_retry_max 1s
EOC
"$GENERIC" -c "$SG_DIR/ne-generic.conf" >> "$SG_DIR/ne-generic.log" 2>&1 &
SG_PIDS="$SG_PIDS $!"
"$PY" "$SG_SRC/tests/generic/receiver.py" --log "$SG_DIR/hooks.jsonl" \
    --secret-file "$SG_DIR/hook.secret" --port "$RP" >> "$SG_DIR/receiver.log" 2>&1 &
SG_PIDS="$SG_PIDS $!"
sg_until 20 curl -fsS "http://127.0.0.1:$HTTP_BF/v1/health" -o /dev/null 2>/dev/null || sg_fail "BF API not up"
sg_until 20 curl -fsS "http://127.0.0.1:$HP/v1/health" -o /dev/null 2>/dev/null || sg_fail "NE API not up"

# Two movements released at Abidjan, both through Niangoloko.
"$SIGMATCTL" mrn new CI --count 3 > "$SG_DIR/mrns"
M1=$(sed -n 1p "$SG_DIR/mrns") M2=$(sed -n 2p "$SG_DIR/mrns")
lc_send CI "$(lc_decl DEC "$M1" BF000101 BF000201)" "$(lc_decl REL "$M1" BF000101 BF000201)" \
    "$(lc_decl DEC "$M2" NE000101 BF000201)" "$(lc_decl REL "$M2" NE000101 BF000201)"
lc_wait BF "$M1" BF000201 ANTICIPATED
lc_wait BF "$M1" BF000101 ANTICIPATED
lc_wait BF "$M2" BF000201 ANTICIPATED
lc_wait NE "$M2" NE000101 ANTICIPATED
sg_until 20 sh -c "'$ASY' -c '$d.conf' show $M2 | grep -q TRANSIT" || sg_fail "no ATR of $M2 at the BF adapter"

call () {   # call VERB MRN JSON [TOKEN]
    s=$(curl -sS -o "$SG_DIR/resp.json" -w '%{http_code}' -X POST -H "Authorization: Bearer ${4:-$T_NIANG}" \
        -H 'Content-Type: application/json' --data "$3" "http://127.0.0.1:$HTTP_BF/v1/movements/$2/$1")
    [ "$s" = 200 ] || sg_fail "$1 $2: $s $(cat "$SG_DIR/resp.json")"
}
INC='"office":"BFNI1","type":"TS","text":"Transbordement: camion en panne","new_seals":["BF-NEW-1","BF-NEW-2"],"new_means":"11KL2222","new_nationality":"BF"'
for m in $M1 $M2; do
    call crossing "$m" "{\"request_id\":\"ncf-$m\",\"office\":\"BFNI1\",\"at\":\"2026-03-04T10:00:00Z\"}"
    call incident "$m" "{\"request_id\":\"inc-$m\",\"at\":\"2026-03-04T11:00:00Z\",$INC}"
done

# The departure node passes both on to the office ahead, correlated.
for m in $M1 $M2; do
    dest=$([ "$m" = "$M1" ] && echo BF000101 || echo NE000101)
    sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from message where mrn = '$m' and sender = 'CI000101' and recipient = '$dest' and type in ('NCF', 'INC') and correlation_id is not null\")\" = 2 ]" \
        || sg_fail "CI did not pass the NCF and INC of $m on to $dest"
    [ "$(sg_sql CI "select count(*) from message where mrn = '$m' and sender = 'CI000101' and recipient = 'BF000201' and type in ('NCF', 'INC')")" = 0 ] \
        || sg_fail "CI passed $m's news back to the office it came from"
done

# Ouagadougou: the INC in the inbox, new seals and truck in the view.
sg_until 20 sh -c "ls '$d/inbox' | grep -q '^INC_$M1'" || sg_fail "no INC file for $M1 in the BF inbox"
sg_until 20 sh -c "ls '$d/inbox' | grep -q '^NCF_$M1'" || sg_fail "no NCF file for $M1 in the BF inbox"
sg_until 20 sh -c "'$ASY' -c '$d.conf' show $M1 | grep -q 'BF-NEW-2'" || sg_fail "the new seals did not reach BF000101's view"
"$ASY" -c "$d.conf" show "$M1" > "$SG_DIR/m1.json"
"$PY" - "$SG_DIR/m1.json" <<'EOP' || sg_fail "BF000101's view of $M1: $(cat "$SG_DIR/m1.json")"
import json, sys
m = json.load(open(sys.argv[1]))
v = [x for x in m["views"] if x["office"] == "BF000101"][0]
assert v["state"] == "ANTICIPATED", v
assert v["seals"] == ["BF-NEW-1", "BF-NEW-2"], v["seals"]
assert v["means"] == "11KL2222 (BF)", v["means"]
assert "NCF BF000201" in v["upstream"] and "INC BF000201 TS" in v["upstream"], v["upstream"]
EOP
sg_log "Ouagadougou: INC and NCF in the inbox, new seals and truck in its view"
# The control at Ouagadougou compares the seals found with the current ones.
call arrival "$M1" '{"request_id":"m1-arr","office":"BFOU1"}' "$T_OUAGA"
s=$(curl -sS -o "$SG_DIR/resp.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $T_OUAGA" \
    -H 'Content-Type: application/json' "http://127.0.0.1:$HTTP_BF/v1/movements/$M1/control" \
    --data '{"request_id":"m1-dcr-old","office":"BFOU1","result":"A1","seals_found":["CI-DGD-0045871"]}')
[ "$s" = 400 ] && grep -q '"code": "call.seals_mismatch"' "$SG_DIR/resp.json" \
    || sg_fail "a control with the declared seals after the transhipment: $s $(cat "$SG_DIR/resp.json")"
call control "$M1" '{"request_id":"m1-dcr","office":"BFOU1","result":"A1","seals_found":["BF-NEW-2","BF-NEW-1"]}' "$T_OUAGA"
sg_until 20 sh -c "psql -X -qAt -d '$(sg_conninfo CI)' -c \"select convert_from(body, 'UTF8') from message where type = 'DCR' and mrn = '$M1'\" | grep -q '<SealsIntactIndicator>true<'" \
    || sg_fail "the DCR of $M1 does not say the (new) seals were intact"
sg_log "Ouagadougou: the control compared the seals found with the new seals"

# Niamey: the NCF and the INC on the national system's webhook.
sg_until 30 sh -c "[ \$(grep -c '\"mrn\": \"$M2\"' '$SG_DIR/hooks.jsonl' 2>/dev/null || echo 0) -ge 3 ]" \
    || sg_fail "Niamey's webhook did not get AAR, NCF and INC of $M2: $(cat "$SG_DIR/hooks.jsonl" 2>/dev/null)"
"$PY" - "$SG_DIR/hooks.jsonl" "$M2" <<'EOP' || sg_fail "Niamey's webhook deliveries of $M2 are wrong"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["mrn"] == sys.argv[2]]
assert all(r["valid"] for r in recs), "unsigned webhook"
types = sorted(set(r["type"] for r in recs))
assert types == ["AAR", "INC", "NCF"], types
inc = [r["body"] for r in recs if r["type"] == "INC"][0]
assert "BF-NEW-1" in inc and "11KL2222" in inc and "BF000201" in inc, inc
EOP
sg_log "Niamey: crossing and incident with the new seals and truck on the webhook"
# The views are unchanged by the news (still ANTICIPATED): the NE node's,
# and sigmat-generic's list of what Niamey expects.
[ "$(lc_state NE "$M2" NE000101)" = ANTICIPATED ] || sg_fail "news from upstream changed NE's view"
curl -sf -H "Authorization: Bearer $T_NIAMEY" "http://127.0.0.1:$HP/v1/offices/NE000101/movements" \
    | grep -q "$M2" || sg_fail "news from upstream took $M2 off sigmat-generic's ANTICIPATED list"

# sigmat-generic: the officer's verbs with a token of token_file.
gen () {   # gen TOKEN VERB MRN JSON -> status, body in $SG_DIR/gen.json
    curl -sS -o "$SG_DIR/gen.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $1" \
        -H 'Content-Type: application/json' --data "$4" "http://127.0.0.1:$HP/v1/movements/$3/$2"
}
lc_clock 2026-03-09T06:00:00Z
lc_wait CI "$M2" CI000101 OVERDUE
lc_clock 2026-03-11T07:00:00Z
lc_wait CI "$M2" CI000101 UNDER_ENQUIRY
sg_until 20 sh -c "curl -sf -H 'Authorization: Bearer $T_NIAMEY' 'http://127.0.0.1:$HP/v1/movements/$M2' | grep -q UNDER_ENQUIRY" \
    || sg_fail "the ENQ of $M2 did not reach sigmat-generic's view"
curl -sf -H "Authorization: Bearer $T_NIAMEY" "http://127.0.0.1:$HP/v1/offices/NE000101/movements?state=expected" \
    | grep -q "$M2" || sg_fail "sigmat-generic's expected list lacks $M2 under enquiry"
s=$(gen "$T_NIAMEY" enquiry-answer "$M2" '{"ResponseCode":"AR","ResponseText":"Arrivé à Niamey le 10 mars","ArrivalDate":"2026-03-10"}')
[ "$s" = 202 ] || sg_fail "generic enquiry-answer: $s $(cat "$SG_DIR/gen.json")"
lc_wait CI "$M2" CI000101 ARRIVED
lc_wait NE "$M2" NE000101 ARRIVED
sg_sql NE "select convert_from(header, 'UTF8') from message where type = 'ENR' and mrn = '$M2'" \
    | grep -qx 'Officer: i.issoufou' || sg_fail "the ENR from sigmat-generic has no Officer header"
[ "$(sg_sql CI "select correlation_id is not null from message where type = 'ENR' and mrn = '$M2'")" = t ] \
    || sg_fail "the ENR does not name the ENQ it answers"
sg_log "Niamey: enquiry answered AR through sigmat-generic, departure ARRIVED"
M3=$(sed -n 3p "$SG_DIR/mrns")
lc_send CI "$(lc_decl DEC "$M3" BF000101 BF000201 2026-03-20)" "$(lc_decl REL "$M3" BF000101 BF000201 2026-03-20)"
lc_wait CI "$M3" CI000101 RELEASED
s=$(gen "$T_NIAMEY" arrival-request "$M3" '{"ActualCustomsOffice":{"ID":"NE000201"}}')
[ "$s" = 403 ] || sg_fail "a token used for an office it is not bound to: $s $(cat "$SG_DIR/gen.json")"
curl -sS -X POST -H "Authorization: Bearer $T_NIAMEY" -H 'Accept-Language: fr' -H 'Content-Type: application/json' \
    --data '{"ActualCustomsOffice":{"ID":"NE000201"}}' "http://127.0.0.1:$HP/v1/movements/$M3/arrival-request" \
    | grep -q '"title":"Bureau non autorisé pour ce jeton"' || sg_fail "sigmat-generic's problem title is not in French"
s=$(gen "$T_NIAMEY" arrival-request "$M3" '{"ActualCustomsOffice":{"ID":"NE000101"},"DepartureCustomsOffice":{"ID":"CI000101"}}')
[ "$s" = 202 ] || sg_fail "generic arrival-request: $s $(cat "$SG_DIR/gen.json")"
lc_wait NE "$M3" NE000101 ANTICIPATED
sg_until 20 sh -c "grep '\"type\": \"AAR\"' '$SG_DIR/hooks.jsonl' | grep -q '\"mrn\": \"$M3\"'" \
    || sg_fail "the AAR of the diverted $M3 did not reach Niamey's webhook"
sg_log "Niamey: arrival-request diverted $M3, its AAR on the webhook"

# Niger as the office of departure (sigmat-generic): a T1 Niamey ->
# Ouagadougou whose control finds discrepancies; Niamey's officer writes it
# off through the API, and the WOF reaches Ouagadougou.
"$PY" - "$SG_SRC/tests/generic/dec.json" > "$SG_DIR/ne-dec.json" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
x = d["Declaration"]
x["FunctionalReferenceID"] = "NIA-2026-00001"
x["TimeLimitDate"] = "2030-01-31"
x["DepartureCustomsOffice"] = {"ID": "NE000101"}
x["TransitCustomsOffice"] = [{"ID": "BF000201"}]
x["ExitCustomsOffice"] = {"ID": "BF000201"}
x["GoodsShipment"]["Consignment"]["Itinerary"] = [{"RoutingCountryCode": "NE"}, {"RoutingCountryCode": "BF"}]
print(json.dumps(d))
EOP
NT=niger-system-token-0001
s=$(curl -sS -o "$SG_DIR/gen.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $NT" \
    -H 'Content-Type: application/json' --data-binary @"$SG_DIR/ne-dec.json" "http://127.0.0.1:$HP/v1/declarations")
[ "$s" = 201 ] || sg_fail "NE declaration: $s $(cat "$SG_DIR/gen.json")"
M5=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["DeclarationID"])' "$SG_DIR/gen.json")
[ "$(gen "$NT" release "$M5" '')" = 202 ] || sg_fail "NE release: $(cat "$SG_DIR/gen.json")"
lc_wait BF "$M5" BF000101 ANTICIPATED
sg_until 20 sh -c "'$ASY' -c '$d.conf' show $M5 | grep -q DESTINATION" || sg_fail "no AAR of $M5 at the BF adapter"
call arrival "$M5" '{"request_id":"m5-arr","office":"BFOU1"}' "$T_OUAGA"
call control "$M5" '{"request_id":"m5-dcr","office":"BFOU1","result":"B1","seals_intact":false,"discrepancies":"3 cartons manquants"}' "$T_OUAGA"
lc_wait NE "$M5" NE000101 DISCREPANCY
sg_until 20 sh -c "curl -sf -H 'Authorization: Bearer $NT' 'http://127.0.0.1:$HP/v1/movements/$M5' | grep -q DISCREPANCY" \
    || sg_fail "sigmat-generic's departure view of $M5 is not DISCREPANCY"
s=$(gen "$NT" decision "$M5" '{"GuaranteeReleasedIndicator":true}')
[ "$s" = 202 ] || sg_fail "generic decision: $s $(cat "$SG_DIR/gen.json")"
lc_wait NE "$M5" NE000101 DISCHARGED
lc_wait BF "$M5" BF000101 DISCHARGED
sg_until 20 sh -c "ls '$d/inbox' | grep -q '^WOF_$M5'" || sg_fail "the WOF of $M5 is not in Ouagadougou's inbox"
sg_log "Niamey (departure): discrepancy written off through sigmat-generic, WOF at Ouagadougou"
sg_pass
