#!/bin/sh
# 04-refusals: while good traffic flows, bad messages are refused each with
# its NAK code and nothing else happens: another country's office (101),
# invalid XML (52), over the size limit (103), header/body disagreement
# (104), a bad MRN check digit (93), no route (106), and a peer node's
# message with a forged signature (102, logged); a body failing the schema
# is refused where it enters the network, and from a peer node only with
# `validate all`. The good traffic arrives complete and in order.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 04-refusals

N=${SG_N:-2000}
[ "${SIGMAT_LONG:-0}" = 1 ] && N=20000

sg_node CI CI "max_message_size 4KiB"
for a in ci-adapter ci-border ci-bad BF mallory; do sg_adapter $a; done
sg_peer CI ci-adapter adapter CI
sg_peer CI ci-border adapter CI000401
sg_peer CI ci-bad adapter CI
sg_peer CI BF node BF            # a peer node (its real signing key is registered)
sg_start CI

# N good ones and the two peer messages that are accepted (BF's genuine one, and
# its body the origin vouches for under validate origin).
sg_bg "$SGTEST" listen $(sg_conn ci-border CI) --count $((N + 2)) --timeout 30 --out "$SG_DIR/border.out"
L=$SG_BG
sg_bg "$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count $N --mrns 11 --timeout 30 --out "$SG_DIR/sent.out"
S=$SG_BG

# expect CODE FILE [sgtest body options]: sends FILE from ci-bad, wants NAK CODE.
expect () {
    code=$1 file=$2
    shift 2
    out=$("$SGTEST" body $(sg_conn ci-bad CI) --body "$file" --timeout 10 "$@")
    case "$out" in
        "NAK "*" $code "*) sg_log "refused as expected: $out" ;;
        *) sg_fail "expected NAK $code for $(basename "$file"), got: $out" ;;
    esac
}
mk () {   # mk NAME SED-EXPRESSIONS...: a WOF variant with a fresh id and a valid MRN
    name=$1
    shift
    sg_wof "$SG_DIR/$name.xml" "$@"
}

mk foreign -e "s|<SenderOfficeID>[^<]*<|<SenderOfficeID>BF000101<|"
expect 101 "$SG_DIR/foreign.xml"

printf '<?xml version="1.0"?>\n<WOF xmlns="urn:sigmat:mip:transit:1"><MessageID>x</Messag' > "$SG_DIR/broken.xml"
expect 52 "$SG_DIR/broken.xml" --type WOF --mrn 24GB000246J8NY33L7 --from CI000101 --to CI000401

mk big
head -c 5000 /dev/zero | tr '\0' ' ' >> "$SG_DIR/big.xml"
expect 103 "$SG_DIR/big.xml"

mk mismatch
expect 104 "$SG_DIR/mismatch.xml" --to CI000402

good=$("$SIGMATCTL" mrn new CI)
last=${good#?????????????????}
bad=${good%?}$(( (last + 1) % 10 ))          # right form, wrong check digit
mk badmrn -e "s|<DeclarationID>[^<]*<|<DeclarationID>$bad<|"
expect 93 "$SG_DIR/badmrn.xml" --mrn 24GB000246J8NY33L7

mk noroute -e "s|<RecipientOfficeID>[^<]*<|<RecipientOfficeID>GH000101<|"
expect 106 "$SG_DIR/noroute.xml"

# A peer node's message signed with a key that is not its registered one.
out=$("$SGTEST" forge $(sg_conn BF CI) --role node --sign-key "$SG_DIR/keys/mallory.sign.key" \
      --origin BF --template "$SG_EXAMPLES/wof.xml" --from BF000101 --to CI000401 --timeout 10)
case "$out" in "NAK "*" 102 "*) ;; *) sg_fail "forged signature: $out" ;; esac
grep -q "forged or corrupt signature.*claims origin BF" "$SG_DIR/CI.log" || sg_fail "forgery not logged"
# The same with BF's real key is accepted (so the refusal was the signature)...
out=$("$SGTEST" forge $(sg_conn BF CI) --role node --sign-key "$SG_DIR/keys/BF.sign.key" \
      --origin BF --template "$SG_EXAMPLES/wof.xml" --from BF000101 --to CI000401 --timeout 10)
case "$out" in "ACK "*) ;; *) sg_fail "genuine peer message: $out" ;; esac
# ...but a peer node may not speak for another country's office.
out=$("$SGTEST" forge $(sg_conn BF CI) --role node --sign-key "$SG_DIR/keys/BF.sign.key" \
      --origin BF --template "$SG_EXAMPLES/wof.xml" --from CI000101 --to CI000401 --timeout 10)
case "$out" in "NAK "*" 101 "*) ;; *) sg_fail "peer speaking for CI: $out" ;; esac

# validate origin (the default): the full body check is done where a
# message enters the network. A body that fails the schema is refused from
# an adapter (12); signed by a peer node it is not schema-checked again (its
# origin vouches for it), but its header must still agree with the body
# (104). CA, set to `validate all`, checks the schema of peers' bodies too.
mk badschema -e "s|<WriteOffDate>[^<]*<|<WriteOffDate>soon<|"
expect 12 "$SG_DIR/badschema.xml"
mk peerbody -e "s|<WriteOffDate>[^<]*<|<WriteOffDate>soon<|" \
    -e "s|<SenderOfficeID>[^<]*<|<SenderOfficeID>BF000101<|" \
    -e "s|<DeclarationID>[^<]*<|<DeclarationID>$("$SIGMATCTL" mrn new BF)<|"
out=$("$SGTEST" forge $(sg_conn BF CI) --role node --sign-key "$SG_DIR/keys/BF.sign.key" \
      --origin BF --body "$SG_DIR/peerbody.xml" --to CI000402 --timeout 10)
case "$out" in "NAK "*" 104 "*) ;; *) sg_fail "peer header/body mismatch: $out" ;; esac
out=$("$SGTEST" forge $(sg_conn BF CI) --role node --sign-key "$SG_DIR/keys/BF.sign.key" \
      --origin BF --body "$SG_DIR/peerbody.xml" --timeout 10)
case "$out" in "ACK "*) ;; *) sg_fail "validate origin: a peer's signed body was checked again: $out" ;; esac
sg_node CA CI "validate all"
sg_peer CA BF node BF
sg_start CA
out=$("$SGTEST" forge $(sg_conn BF CA) --role node --sign-key "$SG_DIR/keys/BF.sign.key" \
      --origin BF --body "$SG_DIR/peerbody.xml" --timeout 10)
case "$out" in "NAK "*" 12 "*) ;; *) sg_fail "validate all: a peer's bad body was taken: $out" ;; esac
sg_stop CA

sg_wait $S "good traffic was not all acknowledged"
[ "$(grep -c '^ACK' "$SG_DIR/sent.out")" = $N ] || sg_fail "good traffic: not $N ACKs"
sg_wait $L "good traffic did not all arrive"
n=$(sg_check_order "$SG_DIR/border.out") || sg_fail "good traffic: duplicate or out of order"
[ "$n" = $((N + 2)) ] || sg_fail "good traffic: $n deliveries, expected $((N + 2))"
[ "$(sg_sql CI "select count(*) from message")" = $((N + 2)) ] || sg_fail "a refused message was stored"

sg_stop CI
sg_pass
