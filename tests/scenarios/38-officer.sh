#!/bin/sh
# 38-officer: border officers take every decision the lifecycle waits for,
# through sigmat-asycuda at CI (departure) and BF (destination), with
# per-officer tokens bound to offices. Five T1s Abidjan -> Ouagadougou go
# overdue and under enquiry; the expected list at Ouagadougou still shows
# them; one truck arriving late is recorded (the adapter's own view used to
# refuse it) and the movement completes; an enquiry answered AR by an ENR
# reaches ARRIVED; a discrepancy closed by the departure officer ends
# DISCHARGED, another one RECOVERY; a token used for an office it is not
# bound to gets 403; the officer's id travels as the `Officer` header; a
# CAN from an office that is not the departure is refused by the adapter.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 38-officer
. "$SG_SRC/tests/scenarios/lc.sh"
. "$SG_SRC/tests/scenarios/asy.sh"
[ -x "$ASY" ] || sg_fail "sigmat-asycuda not built ($ASY)"
FX=$SG_SRC/tests/asycuda

sg_node CI CI "clock_file $LC_CLOCK" "timer_interval 200ms" "enquiry_after 2d" "recovery_after 20d"
sg_node BF BF "clock_file $LC_CLOCK" "timer_interval 200ms"
for a in ci-asycuda bf-asycuda bf-tool; do sg_adapter $a; done
sg_peer CI ci-asycuda adapter CI
sg_peer CI BF node BF "$(sg_endpoint BF)"
sg_route CI BF BF
sg_peer BF bf-asycuda adapter BF
sg_peer BF bf-tool adapter BF
sg_peer BF CI node CI "$(sg_endpoint CI)"
sg_route BF CI CI
sg_route BF BF bf-asycuda
sg_route CI CI ci-asycuda
sg_start CI
sg_start BF

# Officer tokens: the file holds only their SHA-256.
T_OUAGA=ouaga-0123456789-token
T_NIANG=niangoloko-0123456789-token
T_ABJ=abidjan-0123456789-token
h () { echo "$1" | "$ASY" hash-token; }
cat > "$SG_DIR/bf-officers" <<EOF
# BF officers
a.ouedraogo@ouaga $(h $T_OUAGA) BF000101
poste.niangoloko  $(h $T_NIANG) BF000201
EOF
cat > "$SG_DIR/ci-officers" <<EOF
k.kouassi $(h $T_ABJ) CI000101
EOF
grep -q "$T_OUAGA" "$SG_DIR/bf-officers" && sg_fail "the token file holds a token in clear"

asy_conf () {   # NAME COUNTRY: writes the config and starts the adapter
    asy_write "$1" "$2" "http_token_file $SG_DIR/$1/no-shared-token" \
        "http_officers $SG_DIR/$(echo $2 | tr A-Z a-z)-officers"
    "$ASY" -c "$SG_DIR/$1.conf" run >>"$SG_DIR/$1.log" 2>&1 &
    SG_PIDS="$SG_PIDS $!"
    eval "APID_$2=$!"
}
asy_conf ci-asycuda CI
asy_conf bf-asycuda BF
sg_until 20 curl -fsS "http://127.0.0.1:$HTTP_BF/v1/health" -o /dev/null 2>/dev/null || sg_fail "BF API not up"
sg_until 20 curl -fsS "http://127.0.0.1:$HTTP_CI/v1/health" -o /dev/null 2>/dev/null || sg_fail "CI API not up"

# call COUNTRY TOKEN VERB MRN JSON -> status; body in $SG_DIR/resp.json
call () {
    port=$(eval "echo \$HTTP_$1")
    curl -sS -o "$SG_DIR/resp.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $2" \
        -H 'Content-Type: application/json' --data "$5" "http://127.0.0.1:$port/v1/movements/$4/$3"
}
ok () {   # ok STATUS WHAT
    [ "$1" = 200 ] || sg_fail "$2: $1 $(cat "$SG_DIR/resp.json")"
}

# Five released T1s, Abidjan (CIAB1) -> Ouagadougou (BFOU1), limit 2026-03-08.
drop () { cp "$1" "$(dirname "$2")/.$(basename "$2").tmp" && mv "$(dirname "$2")/.$(basename "$2").tmp" "$2"; }
for i in 1 2 3 4 5; do
    sed -e "s|<Number>1234</Number>|<Number>$((7000 + i))</Number>|" -e "s|SITEK-2026-00123|OFF-$i|" \
        "$FX/t1-abidjan-ouaga-released.xml" > "$SG_DIR/t$i.xml"
    drop "$SG_DIR/t$i.xml" "$SG_DIR/ci-asycuda/spool/t$i.xml"
done
sg_until 30 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from movement where role = 'DEPARTURE' and state = 'RELEASED'\")\" = 5 ]" \
    || sg_fail "five movements not RELEASED at CI"
mrn_of () {
    sg_sql CI "select mrn from message where type = 'DEC' and convert_from(body, 'UTF8') like '%OFF-$1<%'"
}
M1=$(mrn_of 1) M2=$(mrn_of 2) M3=$(mrn_of 3) M4=$(mrn_of 4) M5=$(mrn_of 5)
for m in $M1 $M2 $M3 $M4 $M5; do lc_wait BF "$m" BF000101 ANTICIPATED; done
sg_until 20 sh -c "[ \$(ls '$SG_DIR/bf-asycuda/inbox' | grep -c '^AAR_') = 5 ]" || sg_fail "AARs not in the BF inbox"

# A CAN for M5 from an office that is not its departure (BF000201 via a
# tool at the BF node): refused for authority by the node (the adapter
# would refuse it too: tests/check_asycuda), nothing applied, no file.
can=$(lc_msg CAN "$M5" BF000201 BF000101)
out=$("$SIGMATCTL" send "$can" $(sg_conn bf-tool BF) --timeout 20) || sg_fail "send CAN: $out"
canid=$(lc_id "$can" | head -1)
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo BF)' -c \"select kind from movement_rejection where message_id = '$canid'\")\" = authority ]" \
    || sg_fail "the BF node did not refuse the CAN from BF000201"
ls "$SG_DIR/bf-asycuda/inbox" | grep -q "^CAN_$M5" && sg_fail "a CAN file was written for a refused CAN"
"$ASY" -c "$SG_DIR/bf-asycuda.conf" show "$M5" | grep -q '"state": "ANTICIPATED"' \
    || sg_fail "the refused CAN changed the adapter's view of $M5"
sg_log "CAN from a non-departure office refused"

# Cancellation from the ASYCUDA adapter's callback, before the goods move:
# the departure node tells Ouagadougou, whose adapter accepts it.
ok "$(call CI "$T_ABJ" cancellation "$M5" '{"request_id":"c-5","office":"CIAB1","reason":"doublon"}')" "cancel M5"
lc_wait CI "$M5" CI000101 CANCELLED
sg_until 20 sh -c "ls '$SG_DIR/bf-asycuda/inbox' | grep -q '^CAN_$M5'" || sg_fail "the CAN of $M5 is not in the BF inbox"
sg_until 20 sh -c "'$ASY' -c '$SG_DIR/bf-asycuda.conf' show '$M5' | grep -q '\"state\": \"CANCELLED\"'" \
    || sg_fail "the departure's CAN did not cancel the BF view of $M5"

# Time passes: OVERDUE, then the enquiry (ENQ to Ouagadougou).
lc_clock 2026-03-09T06:00:00Z
lc_wait CI "$M1" CI000101 OVERDUE
lc_clock 2026-03-11T07:00:00Z
for m in $M1 $M2 $M3 $M4; do lc_wait CI "$m" CI000101 UNDER_ENQUIRY; done
sg_until 20 sh -c "[ \$(ls '$SG_DIR/bf-asycuda/inbox' | grep -c '^ENQ_') -ge 5 ]" || sg_fail "ENQs not in the BF inbox"
sg_until 20 sh -c "'$ASY' -c '$SG_DIR/bf-asycuda.conf' show $M1 | grep -q '\"state\": \"UNDER_ENQUIRY\"'" \
    || sg_fail "the BF view of $M1 is not UNDER_ENQUIRY"

# The expected list at Ouagadougou still shows every movement, whatever its state.
s=$(curl -sS -o "$SG_DIR/resp.json" -w '%{http_code}' -H "Authorization: Bearer $T_OUAGA" \
    "http://127.0.0.1:$HTTP_BF/v1/offices/BFOU1/expected")
[ "$s" = 200 ] || sg_fail "expected: $s"
for m in $M1 $M2 $M3 $M4; do
    grep -q "\"$m\"" "$SG_DIR/resp.json" || sg_fail "expected list lacks $m: $(cat "$SG_DIR/resp.json")"
done
grep -q '"state": "UNDER_ENQUIRY"' "$SG_DIR/resp.json" || sg_fail "expected list: no UNDER_ENQUIRY row"

# Tokens are bound to offices.
s=$(call BF "$T_OUAGA" crossing "$M1" '{"request_id":"x-1","office":"BFNI1"}')
[ "$s" = 403 ] && grep -q 'officer a.ouedraogo@ouaga may not act for office BF000201' "$SG_DIR/resp.json" \
    || sg_fail "a token used for another office: $s $(cat "$SG_DIR/resp.json")"
s=$(curl -sS -o "$SG_DIR/resp.json" -w '%{http_code}' -H "Authorization: Bearer $T_OUAGA" \
    -H 'Accept-Language: fr-BF, en;q=0.5' "http://127.0.0.1:$HTTP_BF/v1/movements/$M1/crossing" \
    -H 'Content-Type: application/json' --data '{"request_id":"x-1","office":"BFNI1"}')
[ "$s" = 403 ] && grep -q "l'agent a.ouedraogo@ouaga ne peut pas agir pour le bureau BF000201" "$SG_DIR/resp.json" \
    && grep -q '"code": "officer.office"' "$SG_DIR/resp.json" \
    || sg_fail "Accept-Language: fr: $s $(cat "$SG_DIR/resp.json")"
s=$(curl -sS -o "$SG_DIR/resp.json" -w '%{http_code}' -H "Authorization: Bearer $T_OUAGA" \
    "http://127.0.0.1:$HTTP_BF/v1/offices/BFNI1/expected")
[ "$s" = 403 ] || sg_fail "expected list of another office: $s"
[ "$(call BF wrong-token-0123456789 arrival "$M1" '{"request_id":"x-2","office":"BFOU1"}')" = 401 ] \
    || sg_fail "an unknown token was not refused"

# M1: the overdue truck arrives late: crossing, arrival, control; completes.
ok "$(call BF "$T_NIANG" crossing "$M1" '{"request_id":"m1-ncf","office":"BFNI1"}')" "crossing M1"
ok "$(call BF "$T_OUAGA" arrival "$M1" '{"request_id":"m1-arr","office":"BFOU1"}')" "late arrival M1"
ok "$(call BF "$T_OUAGA" control "$M1" '{"request_id":"m1-dcr","office":"BFOU1","result":"A1","seals_intact":true}')" "control M1"
lc_wait CI "$M1" CI000101 DISCHARGED
lc_wait BF "$M1" BF000101 DISCHARGED
sg_log "M1: the late arrival under enquiry is recorded and the movement discharged"
hdr () { sg_sql BF "select convert_from(header, 'UTF8') from message where type = '$1' and mrn = '$2'"; }
hdr ARR "$M1" | grep -qx 'Officer: a.ouedraogo@ouaga' || sg_fail "ARR has no Officer header: $(hdr ARR "$M1")"
hdr NCF "$M1" | grep -qx 'Officer: poste.niangoloko' || sg_fail "NCF has no Officer header"

# M2: the enquiry answered "arrived" (ENR AR) -> ARRIVED at the departure.
s=$(call BF "$T_OUAGA" enquiry-answer "$M2" '{"request_id":"m2-enr","office":"BFOU1","answer":"XX"}')
[ "$s" = 400 ] && grep -q '"field": "answer"' "$SG_DIR/resp.json" || sg_fail "bad answer: $s"
ok "$(call BF "$T_OUAGA" enquiry-answer "$M2" '{"request_id":"m2-enr","office":"BFOU1","answer":"AR","at":"2026-03-10"}')" "ENR M2"
ok "$(call BF "$T_OUAGA" enquiry-answer "$M2" '{"request_id":"m2-enr","office":"BFOU1","answer":"AR","at":"2026-03-10"}')" "ENR M2 replay"
grep -q '"replayed": true' "$SG_DIR/resp.json" || sg_fail "ENR replay not marked"
lc_wait CI "$M2" CI000101 ARRIVED
[ "$(sg_sql CI "select count(*) from message where type = 'ENR' and mrn = '$M2'")" = 1 ] || sg_fail "ENR not exactly once"
sg_log "M2: ENR AR -> ARRIVED"

# M3 and M4: control finds discrepancies; the departure officer decides.
for m in $M3 $M4; do
    ok "$(call BF "$T_OUAGA" arrival "$m" "{\"request_id\":\"$m-arr\",\"office\":\"BFOU1\"}")" "arrival $m"
    ok "$(call BF "$T_OUAGA" control "$m" "{\"request_id\":\"$m-dcr\",\"office\":\"BFOU1\",\"result\":\"B1\",\"seals_intact\":false,\"discrepancies\":\"2 sacs manquants\"}")" "control $m"
    lc_wait CI "$m" CI000101 DISCREPANCY
done
sg_until 20 sh -c "'$ASY' -c '$SG_DIR/ci-asycuda.conf' show $M3 | grep -q '\"state\": \"DISCREPANCY\"'" \
    || sg_fail "the CI adapter's view of $M3 is not DISCREPANCY"
sg_until 20 sh -c "'$ASY' -c '$SG_DIR/ci-asycuda.conf' show $M1 | grep -q '\"state\": \"DISCHARGED\"'" \
    || sg_fail "the CI adapter's view of $M1 is not DISCHARGED"
s=$(call CI "$T_ABJ" decision "$M1" '{"request_id":"d-0","office":"CIAB1","decision":"write-off"}')
[ "$s" = 409 ] || sg_fail "a decision on a discharged movement: $s"
ok "$(call CI "$T_ABJ" decision "$M3" '{"request_id":"d-3","office":"CIAB1","decision":"write-off"}')" "write-off M3"
lc_wait CI "$M3" CI000101 DISCHARGED
lc_wait BF "$M3" BF000101 DISCHARGED
sg_sql CI "select convert_from(header, 'UTF8') from message where type = 'WOF' and mrn = '$M3'" \
    | grep -q 'Officer: k.kouassi' || sg_fail "WOF has no Officer header"
sg_until 20 sh -c "'$ASY' -c '$SG_DIR/bf-asycuda.conf' show $M3 | grep -q '\"state\": \"DISCHARGED\"'" \
    || sg_fail "the WOF of $M3 did not reach the BF adapter"
"$ASY" -c "$SG_DIR/ci-asycuda.conf" decision "$M4" --office CIAB1 --decision recovery \
    --request-id d-4 --officer k.kouassi >/dev/null || sg_fail "CLI decision recovery"
lc_wait CI "$M4" CI000101 RECOVERY
sg_log "M3 written off (DISCHARGED), M4 recovery (RECOVERY)"

# The BF adapter again, on IPv6 with TLS (its own certificate).
if openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext "subjectAltName=IP:::1" \
        -keyout "$SG_DIR/tls.key" -out "$SG_DIR/tls.crt" -days 2 >/dev/null 2>&1; then
    kill -TERM "$APID_BF"; wait "$APID_BF"
    P6=$(sg_port)
    "$ASY" -c "$SG_DIR/bf-asycuda.conf" -o "http_listen=[::1]:$P6" -o "http_tls_cert=$SG_DIR/tls.crt" \
        -o "http_tls_key=$SG_DIR/tls.key" run >>"$SG_DIR/bf-asycuda.log" 2>&1 &
    SG_PIDS="$SG_PIDS $!"
    sg_until 20 curl -fsS --cacert "$SG_DIR/tls.crt" "https://[::1]:$P6/v1/health" -o /dev/null 2>/dev/null \
        || sg_fail "no HTTPS on [::1]:$P6"
    s=$(curl -sS --cacert "$SG_DIR/tls.crt" -o "$SG_DIR/resp.json" -w '%{http_code}' \
        -H "Authorization: Bearer $T_OUAGA" "https://[::1]:$P6/v1/movements/$M1")
    [ "$s" = 200 ] || sg_fail "GET over HTTPS on IPv6: $s"
    curl -s -o /dev/null "http://[::1]:$P6/v1/health" && sg_fail "plain HTTP answered on the TLS listener"
    sg_log "callbacks over HTTPS on [::1]"
else
    sg_log "openssl cannot make a certificate here: TLS not tested"
fi

sg_pass
