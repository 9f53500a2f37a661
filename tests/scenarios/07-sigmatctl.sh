#!/bin/sh
# 07-sigmatctl: an operator pushes and watches messages by hand. sigmatctl
# send (as the CI adapter) gets "accepted" for the example AAR, again for
# its duplicate, "rejected 101" for a message from another country's
# office, and a local refusal for a file that is not a message; sigmatctl
# listen (as the BF adapter) prints the delivery, saves the body byte for
# byte and acknowledges it, so the BF node's delivery row is done.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 07-sigmatctl

sg_node CI CI
sg_node BF BF
sg_ci_bf
sg_route BF CI CI
sg_start CI
sg_start BF

aar=$SG_SRC/messages/examples/aar.xml
mkdir -p "$SG_DIR/inbox"
sg_bg "$SIGMATCTL" listen $(sg_conn bf-adapter BF) --count 1 --timeout 30 --out "$SG_DIR/inbox"
L=$SG_BG

out=$("$SIGMATCTL" send "$aar" $(sg_conn ci-adapter CI) --timeout 20) || sg_fail "send: $out"
id=$(sed -n 's/.*<MessageID>\(.*\)<\/MessageID>.*/\1/p' "$aar")
[ "$out" = "$aar: accepted $id" ] || sg_fail "send said: $out"

# The same file again: a duplicate is acknowledged again, stored once.
out=$("$SIGMATCTL" send "$aar" $(sg_conn ci-adapter CI) --timeout 20) || sg_fail "resend: $out"
[ "$(sg_sql CI "select count(*) from message where id = '$id'")" = 1 ] || sg_fail "duplicate stored twice"

# The BF adapter got it once, saved byte for byte.
sg_wait "$L" "listen"
cmp -s "$aar" "$SG_DIR/inbox/$id.xml" || sg_fail "saved body differs from what was sent"
sg_until 10 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo BF)' -c \"select count(*) from delivery where message_id = '$id' and state = 'done'\")\" = 1 ]" \
    || sg_fail "BF delivery not marked done after the adapter's ACK"

# A message the CI adapter may not send (the example ARR comes from the BF
# office of destination): NAK 101.
out=$("$SIGMATCTL" send "$SG_SRC/messages/examples/arr.xml" $(sg_conn ci-adapter CI) --timeout 20)
[ $? = 1 ] || sg_fail "foreign sender: expected exit 1 ($out)"
case "$out" in *"rejected 101 "*) ;; *) sg_fail "foreign sender not NAKed 101: $out" ;; esac

# Not a message at all: refused before it leaves.
echo "hello" > "$SG_DIR/junk.xml"
out=$("$SIGMATCTL" send "$SG_DIR/junk.xml" $(sg_conn ci-adapter CI) --timeout 5)
[ $? = 1 ] || sg_fail "junk: expected exit 1"
case "$out" in *"rejected locally"*) ;; *) sg_fail "junk not refused locally: $out" ;; esac

sg_pass
