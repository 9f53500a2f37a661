#!/bin/sh
# 10-asycuda: sigmat-asycuda beside two nodes (CI departure, BF destination).
# A released T1 dropped in the CI adapter's spool reaches the CI node as DEC
# then REL; the public ASYCUDA samples are rejected as non-transit with a
# .err; an AAR for a BF office lands in the BF adapter's inbox as ASYCUDA
# XML; officer callbacks over HTTP (curl) make NCF/ARR/DCR that the BF node
# accepts, idempotently, and a bad token gets 401; kill -9 of the CI adapter
# while 500 files are processed still yields exactly one DEC per file.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 10-asycuda
. "$SG_SRC/tests/scenarios/asy.sh"
[ -x "$ASY" ] || sg_fail "sigmat-asycuda not built ($ASY)"
FX=$SG_SRC/tests/asycuda
REF=${SIGMAT_REFERENCE_DIR:-$SG_SRC/../shared/reference}/asycuda
N=${SG_N:-500}
TOKEN=0123456789abcdef-scenario-token

sg_node CI CI
sg_node BF BF
for a in ci-asycuda bf-asycuda ci-tool; do sg_adapter $a; done
sg_peer CI ci-asycuda adapter CI
sg_peer CI ci-tool adapter CI
sg_peer CI BF node BF "$(sg_endpoint BF)"
sg_route CI BF BF
sg_peer BF bf-asycuda adapter BF
sg_peer BF CI node CI "$(sg_endpoint CI)"
sg_route BF CI CI
sg_start CI
sg_start BF

. "$SG_SRC/tests/scenarios/asy.sh"

asy_conf ci-asycuda CI CI
asy_conf bf-asycuda BF BF
asy_start ci-asycuda
asy_start bf-asycuda
sg_until 20 curl -fsS "http://127.0.0.1:$HTTP_BF/v1/health" -o /dev/null 2>/dev/null || sg_fail "BF callback API not up"

# 1. A released T1 -> DEC then REL at the CI node, one MRN.
drop "$FX/t1-abidjan-ouaga-released.xml" "$SG_DIR/ci-asycuda/spool/t1.xml"
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from message where type in ('DEC','REL') and from_peer = 'ci-asycuda'\")\" = 2 ]" \
    || sg_fail "DEC and REL did not reach the CI node"
MRN=$(sg_sql CI "select mrn from message where type = 'DEC'")
[ "$(sg_sql CI "select count(distinct mrn) from message where type in ('DEC','REL')")" = 1 ] \
    || sg_fail "DEC and REL have different MRNs"
[ "$(sg_sql CI "select string_agg(type, ',' order by received, type) from message where mrn = '$MRN' and type in ('DEC','REL')")" = "DEC,REL" ] \
    || sg_fail "DEC was not stored before REL"
sg_sql CI "select convert_from(body, 'UTF8') from message where type = 'REL'" | grep -q '<FunctionalReferenceID>SITEK-2026-00123</FunctionalReferenceID>' \
    || sg_fail "REL body does not carry the LRN"
[ -f "$SG_DIR/ci-asycuda/done/t1.xml" ] || sg_fail "t1.xml not in done/"
sg_log "T1 -> DEC + REL, MRN $MRN"

# 2. The public samples are not transit declarations: rejected with a reason.
if [ -d "$REF" ]; then
    for f in "$REF"/*.xml; do drop "$f" "$SG_DIR/ci-asycuda/spool/ref-$(basename "$f")"; done
    n=$(ls "$REF"/*.xml | wc -l)
    sg_until 20 sh -c "[ \$(ls '$SG_DIR/ci-asycuda/rejected/' | grep -c '^ref-.*\.err\$') = $n ]" \
        || sg_fail "the ASYCUDA samples were not all rejected"
    for e in "$SG_DIR"/ci-asycuda/rejected/ref-*.err; do
        grep -q '^  \[NOT_TRANSIT\] not a transit declaration: Identification/Type/Type_of_declaration is "\(EX\|IM\)"' "$e" \
            || sg_fail "$e does not say why"
    done
elif [ "${CI:-}" = true ]; then
    sg_fail "reference folder $REF is absent"
else
    sg_log "reference folder $REF absent: samples not tested (SKIP at the end)"
    REF_ABSENT=1
fi
drop "$FX/bad-unknown-office.xml" "$SG_DIR/ci-asycuda/spool/bad.xml"
sg_until 10 test -f "$SG_DIR/ci-asycuda/rejected/bad.xml.err" || sg_fail "bad.xml not rejected"
grep -q 'Transit/Destination/Office: office code "BFXX9" is not in the office table' \
    "$SG_DIR/ci-asycuda/rejected/bad.xml.err" || sg_fail "bad.xml.err is not precise"

# 3. An AAR for BF000101 becomes ASYCUDA XML in the BF inbox. From the
#    CI node's lifecycle if it fans the REL out, else sent here by hand.
if ! sg_until 6 sh -c "ls '$SG_DIR/bf-asycuda/inbox' | grep -q '^AAR_'"; then
    for t in aar atr; do
        "$SGTEST" body $(sg_conn ci-tool CI) --body "$SG_EXAMPLES/$t.xml" --timeout 10 \
            > "$SG_DIR/$t.out" || sg_fail "sending $t.xml"
        grep -q '^ACK' "$SG_DIR/$t.out" || sg_fail "$t.xml: $(cat "$SG_DIR/$t.out")"
    done
fi
sg_until 20 sh -c "ls '$SG_DIR/bf-asycuda/inbox' | grep -q '^AAR_'" || sg_fail "no AAR in the BF inbox"
AAR=$(ls "$SG_DIR/bf-asycuda/inbox" | grep '^AAR_' | head -n 1)
BMRN=$(echo "$AAR" | cut -d_ -f2)
X=$SG_DIR/bf-asycuda/inbox/$AAR
grep -q '^<ASYCUDA>' "$X" && grep -q '<Office>BFOU1</Office>' "$X" && grep -q '<null/>' "$X" \
    && grep -q '<Time_limit>[0-9]*/[0-9]*/[0-9][0-9]</Time_limit>' "$X" \
    || sg_fail "$AAR is not ASYCUDA XML with codes, <null/> and M/D/YY dates"
sg_log "AAR for $BMRN in the BF inbox"

# 4. Officer callbacks at BF over HTTP.
API=http://127.0.0.1:$HTTP_BF/v1
post () {    # post PATH JSON [TOKEN] -> prints "STATUS" then the body in $SG_DIR/resp.json
    curl -sS -o "$SG_DIR/resp.json" -w '%{http_code}' -X POST -H "Authorization: Bearer ${3:-$TOKEN}" \
        -H 'Content-Type: application/json' --data "$2" "$API$1"
}
# The adapter writes the inbox file, then records the movement: wait for it.
expected () {
    s=$(curl -sS -o "$SG_DIR/resp.json" -w '%{http_code}' "$API/offices/BFOU1/expected" -H "Authorization: Bearer $TOKEN")
    [ "$s" = 200 ] && grep -q "\"$BMRN\"" "$SG_DIR/resp.json"
}
sg_until 20 expected || sg_fail "expected list: $s $(cat "$SG_DIR/resp.json")"
[ "$(post "/movements/$BMRN/arrival" '{"request_id":"x","office":"BFOU1"}' wrong-token)" = 401 ] \
    || sg_fail "a bad token was not refused with 401"
s=$(post "/movements/$BMRN/crossing" '{"request_id":"ncf-1","office":"BFNI1","at":"2026-03-05T16:20:00Z"}')
[ "$s" = 200 ] || sg_fail "crossing: $s $(cat "$SG_DIR/resp.json")"
s=$(post "/movements/$BMRN/arrival" '{"request_id":"arr-1","office":"BFOU1","location":"Magasin sous douane, Ouaga Inter"}')
[ "$s" = 200 ] && grep -q '"state": "ARRIVED"' "$SG_DIR/resp.json" || sg_fail "arrival: $s $(cat "$SG_DIR/resp.json")"
s=$(post "/movements/$BMRN/arrival" '{"request_id":"arr-1","office":"BFOU1","location":"Magasin sous douane, Ouaga Inter"}')
[ "$s" = 200 ] && grep -q '"replayed": true' "$SG_DIR/resp.json" || sg_fail "replayed arrival: $s"
s=$(post "/movements/$BMRN/control" '{"request_id":"dcr-1","office":"BFOU1","result":"B1","seals_intact":false}')
[ "$s" = 400 ] && grep -q '"field": "discrepancies"' "$SG_DIR/resp.json" || sg_fail "B1 without discrepancies: $s"
s=$(post "/movements/$BMRN/control" '{"request_id":"dcr-1","office":"BFOU1","result":"A1","seals_intact":true}')
[ "$s" = 200 ] && grep -q '"state": "CONTROLLED"' "$SG_DIR/resp.json" || sg_fail "control: $s $(cat "$SG_DIR/resp.json")"
s=$(post "/movements/$BMRN/control" '{"request_id":"dcr-1","office":"BFOU1","result":"A2","seals_intact":true}')
[ "$s" = 409 ] || sg_fail "a request id reused for other values was not refused: $s"
s=$(post "/movements/$BMRN/arrival" '{"request_id":"bad","office":"BFOU1"' )
[ "$s" = 400 ] || sg_fail "a broken body was not refused: $s"
for t in NCF ARR DCR; do
    sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo BF)' -c \"select count(*) from message where type = '$t' and mrn = '$BMRN' and from_peer = 'bf-asycuda'\")\" = 1 ]" \
        || sg_fail "BF node does not have exactly one $t for $BMRN"
done
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from message where type in ('NCF','ARR','DCR') and mrn = '$BMRN'\")\" = 3 ]" \
    || sg_fail "NCF ARR DCR did not reach the CI node"
"$ASY" -c "$SG_DIR/bf-asycuda.conf" status > "$SG_DIR/status.out" || sg_fail "status failed"
grep -q '^service: *running' "$SG_DIR/status.out" && grep -q 'connected to BF' "$SG_DIR/status.out" \
    || sg_fail "status: $(cat "$SG_DIR/status.out")"
sg_log "callbacks: NCF ARR DCR accepted"
s=$(curl -sS -o "$SG_DIR/resp.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$API/movements/$BMRN")
[ "$s" = 200 ] && grep -q '"type": "DCR"' "$SG_DIR/resp.json" || sg_fail "GET movement: $s"
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
[ "$(post "/movements/$BMRN/incident" "{\"request_id\":\"$big\"}")" = 413 ] || sg_fail "a big body was not refused with 413"

# 4b. The node is away: the CLI verb queues (the service keeps running), and
#     the adapter catches up when the node is back.
sg_stop BF
"$ASY" -c "$SG_DIR/bf-asycuda.conf" incident "$BMRN" --office BFOU1 --type OT \
    --text "Camion immobilisé: pneu crevé à l'entrée du parc" --request-id inc-1 >/dev/null \
    || sg_fail "CLI incident refused"
"$ASY" -c "$SG_DIR/bf-asycuda.conf" status | grep -q 'outbox: *queued 1,' || sg_fail "the INC is not queued"
sg_start BF
sg_until 30 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo BF)' -c \"select count(*) from message where type = 'INC' and mrn = '$BMRN'\")\" = 1 ]" \
    || sg_fail "the queued INC did not reach the node after it came back"

# 5. kill -9 while N files are processed; after restart one DEC per file.
kill -TERM "$(asy_pid ci-asycuda)"; wait "$(asy_pid ci-asycuda)"
before=$(sg_sql CI "select count(*) from message where type = 'DEC'")
mkdir -p "$SG_DIR/gen"
i=1
while [ $i -le "$N" ]; do
    sed -e "s|<Number>1234</Number>|<Number>$((50000 + i))</Number>|" -e "s|SITEK-2026-00123|KILL-$i|" \
        "$FX/t1-abidjan-ouaga-registered.xml" > "$SG_DIR/gen/k$i.xml"
    i=$((i + 1))
done
mv "$SG_DIR"/gen/*.xml "$SG_DIR/ci-asycuda/spool/"
asy_start ci-asycuda
sg_until 30 sh -c "[ \$(ls '$SG_DIR/ci-asycuda/done' | wc -l) -ge $((N / 5 + 2)) ]" || sg_fail "files not processed"
kill -9 "$(asy_pid ci-asycuda)"; wait "$(asy_pid ci-asycuda)" 2>/dev/null
sg_log "killed the CI adapter with $(ls "$SG_DIR/ci-asycuda/spool" | wc -l) files in the spool, $(ls "$SG_DIR/ci-asycuda/work" | wc -l) in work"
asy_start ci-asycuda
want=$((before + N))
sg_until 50 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select count(*) from message where type = 'DEC'\")\" -ge $want ]" \
    || sg_fail "not every file reached the node as DEC"
sleep 1
[ "$(sg_sql CI "select count(*) from message where type = 'DEC'")" = $want ] || sg_fail "more DECs than files"
[ "$(sg_sql CI "select count(distinct mrn) from message where type = 'DEC'")" = $want ] || sg_fail "a DEC MRN repeats"
[ "$(sg_sql CI "select count(distinct substring(convert_from(body, 'UTF8') from '<FunctionalReferenceID>(KILL-[0-9]+)<'))
      from message where type = 'DEC'")" = "$N" ] || sg_fail "not exactly one DEC per generated file"
[ "$(ls "$SG_DIR/ci-asycuda/spool" "$SG_DIR/ci-asycuda/work" | grep -c '\.xml$')" = 0 ] || sg_fail "files left behind"
sg_log "kill -9: $N files, $N DECs, $N MRNs"
kill -TERM "$(asy_pid ci-asycuda)" "$(asy_pid bf-asycuda)"
# Everything else passed; without the reference samples the run is not
# complete, so it says SKIP rather than PASS (set SIGMAT_REFERENCE_DIR).
[ -z "${REF_ABSENT:-}" ] || sg_skip "reference folder $REF absent: the ASYCUDA samples were not tested"
sg_pass
