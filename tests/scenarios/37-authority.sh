#!/bin/sh
# 37-authority: every office may do only what its role in the movement
# allows (docs/lifecycle.md, "Who may send what"). One movement Abidjan
# CI000101 -> (CI000401, Niangoloko BF000201) -> Niamey NE000101, on the
# road (EN_ROUTE, BF000201 crossed). For every (view role x message type)
# pair of the authority table, a message from an office that is a party in
# the wrong role and one from TG000101, which has no role in it:
#   1. through the adapters: refused where it is sent (the sender's own
#      view) or where it is received;
#   2. from a peer node that skips its own checks (this test speaks SGTP/1
#      as BF, NE or TG with their real keys, straight to the receiving node);
# each refused with a NAK 101 message back to the sender office, a
# movement_rejection row of kind 'authority', a security log line, the
# metric, and nothing changed in any view. An unsolicited STR creates
# nothing; an AAR for an MRN nobody declared creates nothing. Then the
# sessions: a routing id reused by another key gets nothing, and a key
# removed at SIGHUP ends the open session (no more DELIVERs). Finally the
# movement completes normally, the officer who recorded the arrival is on
# record, every chain verifies, and a message body changed in the store
# breaks the chain.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 37-authority
. "$SG_SRC/tests/scenarios/lc.sh"

lc_nodes CI:CI:CI BF:BF:BF NE:NE:NE TG:TG:TG
HTTP_CI=$(sg_port)
echo "http_listen 127.0.0.1:$HTTP_CI" >> "$SG_DIR/CI.conf"
lc_start_all
TR=CI000401,BF000201
DEP=CI000101 TRA=BF000201 DST=NE000101 OUT=TG000101

M=$("$SIGMATCTL" mrn new CI)
lc_send CI "$(lc_decl DEC "$M" $DST $TR)" "$(lc_decl REL "$M" $DST $TR)"
lc_wait NE "$M" $DST ANTICIPATED
lc_wait BF "$M" $TRA ANTICIPATED
lc_send BF "$(lc_msg NCF "$M" $TRA $DEP)"
lc_wait CI "$M" $DEP EN_ROUTE
lc_wait BF "$M" $TRA CROSSED

# The views of M on every node, and the incidents: must not change.
snapshot () {
    for n in CI BF NE TG; do
        printf '%s=%s;' "$n" "$(sg_sql $n "select coalesce(string_agg(office || ':' || state || ':'
            || events || ':' || destination, ',' order by office), '')
            from movement where mrn = '$M'")"
        printf 'inc=%s;' "$(sg_sql $n "select count(*) from movement_incident where mrn = '$M'")"
    done
}
BEFORE=$(snapshot)
sg_log "views before: $BEFORE"

# decl_msg TYPE FROM TO [DEPARTURE]: an AAR or ATR of M (a whole
# declaration) sent by FROM to TO, naming DEPARTURE (default CI000101).
decl_msg () {
    f=$(lc_decl "$1" "$M" $DST $TR)
    awk -v from="$2" -v to="$3" -v dep="${4:-$DEP}" '
        /<SenderOfficeID>/ { sub(/>[^<]*</, ">" from "<") }
        /<RecipientOfficeID>/ { sub(/>[^<]*</, ">" to "<") }
        indep && /<ID>/ { sub(/>[^<]*</, ">" dep "<"); indep = 0 }
        /<DepartureCustomsOffice>/ { indep = 1 }
        { print }' "$f" > "$f.new" && mv "$f.new" "$f"
    echo "$f"
}

node_of () { case $1 in CI*) echo CI ;; BF*) echo BF ;; NE*) echo NE ;; TG*) echo TG ;; esac; }

# The table, as "TYPE TO: FROM..." lines: TO is the view's office, each
# FROM an office that may not send it there (a party in the wrong role,
# or TG000101 which has no role).
CASES="
NCF $DEP: $DST $OUT
ARR $DEP: $TRA $OUT
DCR $DEP: $TRA $OUT
ENR $DEP: $TRA $OUT
INC $DEP: $OUT
STQ $DEP: $OUT
WOF $DEP: $TRA $OUT
CAN $DEP: $DST $OUT
ENQ $DEP: $DST $OUT
AAR $DEP: $TRA $OUT
STR $DEP: $DST $OUT
AAR $DST: $TRA $OUT
WOF $DST: $TRA $OUT
CAN $DST: $TRA $OUT
ENQ $DST: $TRA $OUT
INC $DST: $TRA $OUT
STQ $DST: $OUT
ARR $DST: $TRA $OUT
NCF $DST: $TRA $OUT
DCR $DST: $TRA $OUT
STR $DST: $DEP $OUT
ATR $TRA: $DST $OUT
WOF $TRA: $DST $OUT
CAN $TRA: $DST $OUT
ENQ $TRA: $DST $OUT
INC $TRA: $DST $OUT
STQ $TRA: $OUT
ARR $TRA: $DST $OUT
DCR $TRA: $DST $OUT
ENR $TRA: $DST $OUT
NCF $TRA: $DST $OUT
STR $TRA: $DEP $OUT
"

# refused ID FROM: a NAK 101 message for ID reached FROM's adapter and one
# node recorded the refusal as an authority rejection.
refused () {
    lc_wait_nak "$(node_of "$2")" "$1" 101
    rows=0
    for n in CI BF NE TG; do
        rows=$((rows + $(sg_sql $n "select count(*) from movement_rejection
            where message_id = '$1' and kind = 'authority' and code = 101")))
    done
    [ "$rows" = 1 ] || sg_fail "message $1 from $2: $rows authority rejections recorded"
}

# 1. Through the adapters (the sending node checks what its office may
#    send; the receiving node checks the party).
n_cases=0
while read -r type to rest; do
    [ -n "$type" ] || continue
    to=${to%:}
    for from in $rest; do
        case $type in
            AAR|ATR) f=$(decl_msg "$type" "$from" "$to") ;;
            *) f=$(lc_msg "$type" "$M" "$from" "$to") ;;
        esac
        lc_send "$(node_of "$from")" "$f"
        echo "$(lc_id "$f" | head -1) $from $type $to" >> "$SG_DIR/adapter-cases"
    done
done <<EOF
$CASES
EOF
while read -r id from type to; do
    refused "$id" "$from"
    n_cases=$((n_cases + 1))
done < "$SG_DIR/adapter-cases"
sg_log "$n_cases messages through the adapters refused for authority"

# 2. From peer nodes that skip their own checks: signed with the sending
#    node's real key, sent straight to the node of the view.
n_cases=0
while read -r type to rest; do
    [ -n "$type" ] || continue
    to=${to%:}
    for from in $rest; do
        sn=$(node_of "$from") rn=$(node_of "$to")
        [ "$sn" = "$rn" ] && continue               # one node: no peer to skip checks
        case $type in
            AAR|ATR) f=$(decl_msg "$type" "$from" "$to") ;;
            *) f=$(lc_msg "$type" "$M" "$from" "$to") ;;
        esac
        "$SGTEST" forge $(sg_conn "$sn" "$rn") --sign-key "$SG_DIR/keys/$sn.sign.key" \
            --origin "$sn" --body "$f" --timeout 20 > "$f.out" 2>&1 &
        FORGES="${FORGES:-} $!"
        echo "$(lc_id "$f" | head -1) $from $type $to $f" >> "$SG_DIR/peer-cases"
    done
done <<EOF
$CASES
EOF
for p in $FORGES; do wait "$p"; done
while read -r id from type to f; do
    case "$(cat "$f.out")" in "ACK "*) ;; *) sg_fail "$type from $from to $to: $(cat "$f.out")" ;; esac
done < "$SG_DIR/peer-cases"
while read -r id from type to f; do
    refused "$id" "$from"
    n_cases=$((n_cases + 1))
done < "$SG_DIR/peer-cases"
sg_log "$n_cases messages from peer nodes refused for authority"

AFTER=$(snapshot)
[ "$AFTER" = "$BEFORE" ] || sg_fail "a refused message changed a view: $BEFORE -> $AFTER"
grep -q "security: WOF .* refused for authority" "$SG_DIR/NE.log" || sg_fail "no security log line at NE"
"$SIGMATCTL" movement show "$M" --db "$(sg_conninfo NE)" | grep -q "NAK 101" \
    || sg_fail "movement show at NE lists no authority refusal"
refusals=$(curl -sS --max-time 5 "http://127.0.0.1:$HTTP_CI/metrics" \
    | sed -n 's/^sigmat_lifecycle_refusals_total{reason="authority"} //p')
[ "${refusals:-0}" -gt 0 ] || sg_fail "metric sigmat_lifecycle_refusals_total{reason=\"authority\"} is '${refusals:-}'"

# A truck announced out of nothing: an AAR for an MRN nobody declared, from
# TG's node naming itself the office of departure. And an STR nobody asked
# for, about an MRN NE has no record of. Neither creates a view.
G=$("$SIGMATCTL" mrn new CI)
aar=$(M=$G decl_msg AAR $OUT $DST $OUT)         # naming itself: refused at the door
out=$("$SGTEST" forge $(sg_conn TG NE) --sign-key "$SG_DIR/keys/TG.sign.key" --origin TG \
      --body "$aar" --timeout 10)
case "$out" in "NAK "*" 12 "*"not in the country of MRN"*) ;; *) sg_fail "ghost AAR: $out" ;; esac
aar=$(M=$G decl_msg AAR $OUT $DST)              # naming Abidjan: refused by the lifecycle
out=$("$SGTEST" forge $(sg_conn TG NE) --sign-key "$SG_DIR/keys/TG.sign.key" --origin TG \
      --body "$aar" --timeout 10)
case "$out" in "ACK "*) ;; *) sg_fail "ghost AAR: $out" ;; esac
refused "$(lc_id "$aar")" $OUT
str=$(lc_msg STR "$G" $DEP $DST)
lc_send CI "$str"
refused "$(lc_id "$str" | head -1)" $DEP
[ "$(sg_sql NE "select count(*) from movement where mrn = '$G'")" = 0 ] \
    || sg_fail "a view was created for $G"

# 3. Sessions follow keys. A routing id reused by another key after its
# owner left: the new connection, with no HELLO, gets DENIED, and the
# message it tried to pass off as the old session's is not stored.
sg_adapter CI-rid
sg_peer CI CI-rid adapter CI
sg_adapter TG-rid
sg_peer CI TG-rid adapter TG
kill -HUP "$(sg_pid CI)"
sg_until 10 "$SGTEST" hello $(sg_conn TG-rid CI) --timeout 1 >/dev/null || sg_fail "CI did not reload"
first=$(lc_msg INC "$M" CI000401 $DEP)
out=$("$SGTEST" one $(sg_conn CI-rid CI) --rid reused-rid --body "$first" --timeout 10)
case "$out" in "ACK "*) ;; *) sg_fail "owner of the routing id: $out" ;; esac
# The node's libzmq drops the owner's connection in its own time; until
# then it refuses a second connection with that routing id (no answer).
hijack=$(lc_msg INC "$M" CI000401 $DEP)
tries=0 out=""
while [ $tries -lt 10 ]; do
    out=$("$SGTEST" one $(sg_conn TG-rid CI) --rid reused-rid --hello no --body "$hijack" --timeout 2)
    [ -n "$out" ] && break
    tries=$((tries + 1))
done
case "$out" in "DENIED "*) ;; *) sg_fail "routing id reuse: '$out'" ;; esac
grep -q "security: SEND on the session of adapter CI-rid from TG-rid with another key" \
    "$SG_DIR/CI.log" || sg_fail "routing id reuse not logged"
[ "$(sg_sql CI "select count(*) from message where id = '$(lc_id "$hijack")'")" = 0 ] \
    || sg_fail "a message on a reused routing id was stored"

# A key removed at SIGHUP ends the session that is already open: the
# listener is told DENIED and gets no more DELIVERs.
sg_adapter CI-rev
sg_peer CI CI-rev adapter CI000401
kill -HUP "$(sg_pid CI)"
sg_until 10 "$SGTEST" hello $(sg_conn CI-rev CI) --timeout 1 >/dev/null || sg_fail "CI did not reload"
sg_bg "$SIGMATCTL" listen $(sg_conn CI-rev CI) --timeout 0 --out "$SG_DIR/in-rev" \
    > "$SG_DIR/rev.deliveries" 2> "$SG_DIR/rev.err"
REV=$SG_BG
sg_until 10 grep -q "adapter CI-rev: welcome" "$SG_DIR/CI.log" || sg_fail "CI-rev not connected"
"$SIGMATCTL" peer remove CI-rev --db "$(sg_conninfo CI)" >/dev/null || sg_fail "peer remove"
kill -HUP "$(sg_pid CI)"
sg_until 10 grep -q "adapter CI-rev: its key is no longer registered" "$SG_DIR/CI.log" \
    || sg_fail "the open session of a removed key was not ended"
sg_until 10 sh -c "! kill -0 $REV 2>/dev/null" || sg_fail "the listener of a removed key still runs"
grep -Eq "key revoked|refused our CURVE key" "$SG_DIR/rev.err" || sg_fail "the listener was not told: $(cat "$SG_DIR/rev.err")"

# The movement itself still completes, by the right offices.
# The arrival recorded by an officer: who did it is on record at the
# departure, inside the signed message and the event chain.
arr=$(lc_msg ARR "$M" $DST $DEP)
out=$("$SGTEST" one $(sg_conn NE-send NE) --body "$arr" --officer agent.dupont@NE000101 --timeout 10)
case "$out" in "ACK "*) ;; *) sg_fail "ARR with an officer: $out" ;; esac
lc_wait CI "$M" $DEP ARRIVED
"$SIGMATCTL" movement show "$M" --db "$(sg_conninfo CI)" | grep "ARR" | grep -q "by agent.dupont@NE000101" \
    || sg_fail "movement show does not say who recorded the arrival"
bad=$(lc_msg ARR "$M" $DST $DEP)
out=$("$SGTEST" one $(sg_conn NE-send NE) --body "$bad" --officer "agent dupont" --timeout 10)
case "$out" in "NAK "*" 12 "*Officer*) ;; *) sg_fail "malformed Officer: $out" ;; esac
lc_send NE "$(lc_msg DCR "$M" $DST $DEP)"
lc_wait CI "$M" $DEP DISCHARGED
lc_wait NE "$M" $DST DISCHARGED
lc_wait BF "$M" $TRA DISCHARGED
for n in CI BF NE; do
    "$SIGMATCTL" movement verify "$M" --db "$(sg_conninfo $n)" >/dev/null || sg_fail "$n: chain of $M"
done
out=$("$SIGMATCTL" movement verify --all --db "$(sg_conninfo CI)") || sg_fail "verify --all: $out"
echo "$out" | grep -q "^[1-9][0-9]* views of [1-9][0-9]* movements verified: every chain intact$" \
    || sg_fail "verify --all summary: $out"
# The chain covers the message: a body changed in the store is detected.
sg_sql CI "update message set body = body || '\x20'::bytea where id = '$(lc_id "$arr")'" >/dev/null
out=$("$SIGMATCTL" movement verify "$M" --db "$(sg_conninfo CI)") && sg_fail "changed body not detected"
echo "$out" | grep -q "stored message body is not the one the event recorded" \
    || sg_fail "verify: $out"
out=$("$SIGMATCTL" movement verify --all --db "$(sg_conninfo CI)") && sg_fail "--all missed the change"
echo "$out" | grep -q "^FAIL $M DEPARTURE at $DEP: .*stored message body" || sg_fail "verify --all: $out"
echo "$out" | tail -1 | grep -q "some chains are broken" || sg_fail "verify --all summary: $out"
for n in CI BF NE TG; do sg_stop $n; done
sg_pass
