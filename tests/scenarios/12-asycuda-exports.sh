#!/bin/sh
# 12-asycuda-exports: exports in the shape of ASYCUDA World, through the real
# adapter and two nodes with their lifecycle (CI departure, BF destination).
# A single-line principal with its TIN, a guarantor name and the GRN in an
# attached document, mode 31, Latin-1 with 150 items and containers: DEC and
# REL at CI, the AAR (consignee included) at BF and in the BF inbox, valid
# against asycuda-inbox.xsd. A file with seven faults: rejected/ with all
# seven reasons, and check-file says the same. A re-export with changes
# before release: AMD at CI, forwarded to BF, the AAR carries the amended
# data; after release: rejected naming each changed field. A cancellation
# in ASYCUDA: CAN at CI, movement CANCELLED, forwarded to BF after release.
# A per-country copy of the mapping profile is used and checked.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
SG_LIFECYCLE=yes
sg_setup 12-asycuda-exports

ASY=${SIGMAT_ASYCUDA:-$SG_BUILD/adapters/asycuda/sigmat-asycuda}
[ -x "$ASY" ] || sg_fail "sigmat-asycuda not built ($ASY)"
FX=$SG_SRC/tests/asycuda
TOKEN=0123456789abcdef-scenario-token
. "$SG_SRC/tests/scenarios/asy.sh"

echo 2026-03-02T08:00:00Z > "$SG_DIR/clock"
sg_node CI CI "clock_file $SG_DIR/clock"
sg_node BF BF "clock_file $SG_DIR/clock"
for a in ci-asycuda bf-asycuda; do sg_adapter $a; done
sg_peer CI ci-asycuda adapter CI
sg_peer CI BF node BF "$(sg_endpoint BF)"
sg_route CI BF BF
sg_route CI CI ci-asycuda
sg_peer BF bf-asycuda adapter BF
sg_peer BF CI node CI "$(sg_endpoint CI)"
sg_route BF CI CI
sg_route BF BF bf-asycuda
sg_start CI
sg_start BF

# The CI team's own copy of the profile; a broken copy is refused with file:line.
cp "$SG_SRC/adapters/asycuda/mapping.conf" "$SG_DIR/ci-mapping.conf"
asy_conf ci-asycuda CI CI "$SG_DIR/ci-mapping.conf"
asy_conf bf-asycuda BF BF
sed 's/^field principal.tin *required/field principal.tin optional/' "$SG_DIR/ci-mapping.conf" > "$SG_DIR/bad-mapping.conf"
if "$ASY" -c "$SG_DIR/ci-asycuda.conf" -o mapping="$SG_DIR/bad-mapping.conf" check-config > "$SG_DIR/cc.out" 2>&1; then
    sg_fail "check-config accepted an optional principal.tin"
fi
grep -q "bad-mapping.conf:[0-9]*: field principal.tin cannot be optional" "$SG_DIR/cc.out" \
    || sg_fail "check-config: $(cat "$SG_DIR/cc.out")"
asy_start ci-asycuda
asy_start bf-asycuda
for c in CI BF; do
    sg_until 20 eval "curl -fsS \"http://127.0.0.1:\$HTTP_$c/v1/health\" -o /dev/null 2>/dev/null" \
        || sg_fail "$c adapter not up"
done
SPOOL=$SG_DIR/ci-asycuda/spool
REJ=$SG_DIR/ci-asycuda/rejected
count () { sg_sql "$1" "select count(*) from message where $2"; }
wait_count () {    # wait_count NODE WHERE N WHAT
    sg_until 30 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo "$1")' -c \"select count(*) from message where $2\")\" = $3 ]" \
        || sg_fail "$4 (got $(count "$1" "$2"), want $3)"
}
state () { sg_sql "$1" "select state from movement where mrn = '$2' and office = '$3'"; }
mrn_of () { sg_sql CI "select mrn from message where type = 'DEC' and convert_from(body, 'UTF8') like '%<FunctionalReferenceID>$1<%'"; }

# 1. Real-shaped exports flow without hand editing.
drop "$FX/aw-ci-tin-only.xml" "$SPOOL/tin-only.xml"
drop "$FX/aw-ci-latin1-large.xml" "$SPOOL/large.xml"
wait_count CI "type in ('DEC','REL') and from_peer = 'ci-asycuda'" 4 "DEC and REL of both exports at CI"
M1=$(mrn_of SOTRA-7001) M2=$(mrn_of SGES-7002)
[ -n "$M1" ] && [ -n "$M2" ] || sg_fail "no MRN for the exports"
wait_count BF "type = 'AAR' and mrn in ('$M1', '$M2')" 2 "the AARs did not reach BF"
sg_sql BF "select convert_from(body, 'UTF8') from message where type = 'AAR' and mrn = '$M1'" > "$SG_DIR/aar1.xml"
grep -q '<Consignee>' "$SG_DIR/aar1.xml" && grep -q '<Name>Faso Distribution SA</Name>' "$SG_DIR/aar1.xml" \
    && grep -q '<ReferenceID>26CIGAR007001</ReferenceID>' "$SG_DIR/aar1.xml" \
    && grep -q '<ModeCode>3</ModeCode>' "$SG_DIR/aar1.xml" && grep -q '<Declarant>' "$SG_DIR/aar1.xml" \
    && grep -q '<ExportCountryCode>CI</ExportCountryCode>' "$SG_DIR/aar1.xml" \
    || sg_fail "the AAR lacks consignee, declarant, export country, GRN or mode"
[ "$(sg_sql BF "select convert_from(body, 'UTF8') from message where type = 'AAR' and mrn = '$M2'" | grep -c '<ConsignmentItem>')" = 150 ] \
    || sg_fail "the AAR of the Latin-1 export does not carry its 150 items"
sg_until 20 sh -c "ls '$SG_DIR/bf-asycuda/inbox' | grep -q '^AAR_$M2' && ls '$SG_DIR/bf-asycuda/inbox' | grep -q '^AAR_$M1'" \
    || sg_fail "no AAR of $M1 and $M2 in the BF inbox"
for f in "$SG_DIR"/bf-asycuda/inbox/AAR_*.xml; do
    xmllint --noout --schema "$SG_SRC/messages/schemas/asycuda-inbox.xsd" "$f" 2>"$SG_DIR/xl.err" \
        || sg_fail "$f is not valid against asycuda-inbox.xsd: $(cat "$SG_DIR/xl.err")"
done
grep -q '<Consignee_name>Faso Distribution SA</Consignee_name>' "$SG_DIR"/bf-asycuda/inbox/AAR_"$M1"_*.xml \
    || sg_fail "the BF inbox file lacks the consignee"
sg_log "exports: DEC+REL x2, AAR with consignee and 150 items at BF, inbox valid"

# 2. Every reason of a bad file, in rejected/ and from check-file.
drop "$FX/bad-many-reasons.xml" "$SPOOL/bad.xml"
sg_until 20 test -f "$REJ/bad.xml.err" || sg_fail "bad.xml not rejected"
[ "$(grep -c '^  \[[A-Z_]*\] ' "$REJ/bad.xml.err")" = 7 ] && grep -q '^reasons: 7$' "$REJ/bad.xml.err" \
    || sg_fail "bad.xml.err does not list the 7 reasons: $(cat "$REJ/bad.xml.err")"
for c in NOT_DATE NOT_AMOUNT NOT_MODE NOT_HS_CODE NOT_MASS; do
    grep -q "^  \[$c\] " "$REJ/bad.xml.err" || sg_fail "bad.xml.err lacks $c"
done
grep -q 'Item/Attached_documents\[Attached_document_code=GAR\]/Attached_document_reference is empty' "$REJ/bad.xml.err" \
    || sg_fail "bad.xml.err does not name the GRN's path"
if "$ASY" -c "$SG_DIR/ci-asycuda.conf" check-file "$FX/bad-many-reasons.xml" > "$SG_DIR/cf.out"; then
    sg_fail "check-file accepted bad-many-reasons.xml"
fi
[ "$(grep -c '^  \[[A-Z_]*\] ' "$SG_DIR/cf.out")" = 7 ] || sg_fail "check-file: $(cat "$SG_DIR/cf.out")"
"$ASY" -c "$SG_DIR/ci-asycuda.conf" check-file --show "$FX/aw-ci-tin-only.xml" > "$SG_DIR/cf.out" \
    && grep -q '<DEC xmlns="urn:sigmat:mip:transit:1">' "$SG_DIR/cf.out" \
    && grep -q '<REL xmlns="urn:sigmat:mip:transit:1">' "$SG_DIR/cf.out" || sg_fail "check-file --show"
sg_log "bad file: 7 reasons in .err and from check-file"

# 3. Amendment before release (AMD, forwarded), release, change after release refused.
drop "$FX/aw-ci-amend-1-registered.xml" "$SPOOL/am1.xml"
wait_count CI "type = 'DEC' and from_peer = 'ci-asycuda'" 3 "the DEC of the amended declaration"
M3=$(mrn_of SOTRA-7003)
drop "$FX/aw-ci-amend-2-changed.xml" "$SPOOL/am2.xml"
wait_count CI "type = 'AMD' and mrn = '$M3' and from_peer = 'ci-asycuda'" 1 "no AMD at CI"
wait_count BF "type = 'AMD' and mrn = '$M3' and recipient = 'BF000101'" 1 "the AMD was not forwarded to BF"
[ "$(state CI "$M3" CI000101)" = REGISTERED ] || sg_fail "AMD changed the state: $(state CI "$M3" CI000101)"
sg_sql CI "select guarantee_amount, time_limit from movement where mrn = '$M3'" | grep -q '^14000000.00|2026-03-14$' \
    || sg_fail "the departure view did not take the amended declaration"
sg_until 20 sh -c "ls '$SG_DIR/bf-asycuda/inbox' | grep -q '^AMD_$M3'" || sg_fail "no AMD file in the BF inbox"
drop "$FX/aw-ci-amend-3-released.xml" "$SPOOL/am3.xml"
wait_count BF "type = 'AAR' and mrn = '$M3'" 1 "no AAR for the amended declaration"
sg_sql BF "select convert_from(body, 'UTF8') from message where type = 'AAR' and mrn = '$M3'" \
    | grep -q '<AmountAmount currencyID="XOF">14000000.00</AmountAmount>' || sg_fail "the AAR lacks the amended amount"
drop "$FX/aw-ci-amend-4-after-release.xml" "$SPOOL/am4.xml"
sg_until 20 test -f "$REJ/am4.xml.err" || sg_fail "a change after release was not rejected"
grep -q '^  \[CHANGED_AFTER_RELEASE\] .*: seals, total gross mass, item 1 gross mass\.' "$REJ/am4.xml.err" \
    || sg_fail "am4.xml.err does not name the changed fields: $(cat "$REJ/am4.xml.err")"
[ "$(count CI "mrn = '$M3' and from_peer = 'ci-asycuda'")" = 3 ] || sg_fail "more than DEC+AMD+REL for $M3"
sg_log "amendment: AMD at CI and BF, AAR amended, change after release refused"

# 4. Cancellations: before release (CAN at CI), after release (CAN forwarded to BF).
drop "$FX/aw-ci-cancel-1-registered.xml" "$SPOOL/c1.xml"
wait_count CI "type = 'DEC' and from_peer = 'ci-asycuda'" 4 "the DEC of the cancelled declaration"
M4=$(mrn_of SOTRA-7004)
drop "$FX/aw-ci-cancel-2-cancelled.xml" "$SPOOL/c2.xml"
wait_count CI "type = 'CAN' and mrn = '$M4' and from_peer = 'ci-asycuda'" 1 "no CAN at CI"
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select state from movement where mrn = '$M4'\")\" = CANCELLED ]" \
    || sg_fail "movement $M4 not CANCELLED"
sed 's|<Sad_flow>E</Sad_flow>|&\n\t\t<Status>Cancelled</Status>|' "$FX/aw-ci-tin-only.xml" > "$SG_DIR/tin-cancelled.xml"
drop "$SG_DIR/tin-cancelled.xml" "$SPOOL/c3.xml"
wait_count BF "type = 'CAN' and mrn = '$M1' and recipient = 'BF000101'" 1 "the CAN after release did not reach BF"
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo BF)' -c \"select state from movement where mrn = '$M1' and office = 'BF000101'\")\" = CANCELLED ]" \
    || sg_fail "BF's view of $M1 is not CANCELLED"
sg_until 20 sh -c "ls '$SG_DIR/bf-asycuda/inbox' | grep -q '^CAN_$M1'" || sg_fail "no CAN file in the BF inbox"
[ "$(ls "$REJ" | grep -c '\.err$')" = 2 ] || sg_fail "unexpected rejections: $(ls "$REJ")"
for f in "$SG_DIR"/bf-asycuda/inbox/*.xml; do
    xmllint --noout --schema "$SG_SRC/messages/schemas/asycuda-inbox.xsd" "$f" 2>/dev/null \
        || sg_fail "$f is not valid against asycuda-inbox.xsd"
done
sg_log "cancellation: CAN before and after release, BF CANCELLED"
kill -TERM "$(asy_pid ci-asycuda)" "$(asy_pid bf-asycuda)"
sg_pass
