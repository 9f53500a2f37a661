#!/bin/sh
# 08-hostile-peer: what a registered but hostile (or broken) adapter or peer
# can send changes nothing it should not:
#  - an ACK or a NAK for a message the node has not sent it (queued behind a
#    window of 1) is ignored: the message is neither finished nor dead, and
#    is delivered afterwards;
#  - a SEND that reuses a stored Message-Id for a different body is NAKed
#    (12, "already used"), the stored message is unchanged, and a resend of
#    the stored one (same body, new header) is still ACKed;
#  - a sender over its window (the node announced 8; a batch waits 1 s for
#    more) has the 12 SENDs past the 8 it may hold refused with NAK 103 at
#    once, not buffered;
#  - a frame over max_message_size (+ overhead) never reaches the node's
#    memory: the connection is dropped, the node carries on;
#  - a message of 100,002 frames (a SEND takes 2 or 3) is refused with its
#    count in the log, drained without being kept; the node answers the PING
#    behind it and takes the next SEND;
#  - NAK reasons and names are escaped in the log (no forged lines).
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 08-hostile-peer

sg_node CI CI "max_message_size 64KiB"
sg_adapter ci-adapter
sg_adapter ci-border
sg_peer CI ci-adapter adapter CI
sg_peer CI ci-border adapter CI000401
sg_adapter ci-other
sg_peer CI ci-other adapter CI000901
sg_start CI

# ---- ACK / NAK for ids not in flight ---------------------------------------
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count 2 --mrns 2 --timeout 20 --out "$SG_DIR/sent.out" || sg_fail "send"
m1=$(awk 'NR == 1 { print $2 }' "$SG_DIR/sent.out")
m2=$(awk 'NR == 2 { print $2 }' "$SG_DIR/sent.out")
[ -n "$m2" ] || sg_fail "two messages expected"
# A third message waits for another hop (ci-other, never connected).
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000901 --count 1 --timeout 20 --out "$SG_DIR/sent3.out" || sg_fail "send 3"
m3=$(awk 'NR == 1 { print $2 }' "$SG_DIR/sent3.out")
# ci-border says HELLO with a window of 1: one message is DELIVERed, the
# other waits in the queue. Once the DELIVER is in (--first 1: a busy node
# may read an answer sent at once before it sends), ci-border ACKs both
# (only the one in flight counts),
# NAKs the message queued for ci-other, and the node's answer to a PING
# after them proves they were processed. (A NAK for the one waiting behind
# the window would race with its delivery once the ACK opens the window.)
"$SGTEST" raw $(sg_conn ci-border CI) --window 1 --first 1 --frames "ACK|$m1|$m2" \
    --frames "NAK|$m3|12|made up" --frames "PING" --count 2 --timeout 20 > "$SG_DIR/raw1.out" \
    || sg_fail "no DELIVER and PONG: $(cat "$SG_DIR/raw1.out")"
st=$(sg_sql CI "select state from delivery where message_id = '$m3'")
[ "$st" = pending ] || sg_fail "a message for another hop became $st by a NAK from ci-border"
first=$(awk '$1 == "DELIVER" { print }' "$SG_DIR/raw1.out" | grep -o "$m1\|$m2" | head -1)
[ -n "$first" ] || sg_fail "no DELIVER: $(cat "$SG_DIR/raw1.out")"
other=$m2; [ "$first" = "$m2" ] && other=$m1
st=$(sg_sql CI "select state from delivery where message_id = '$other'")
[ "$st" = pending ] || sg_fail "a message never sent to ci-border became $st by its ACK/NAK"
st=$(sg_sql CI "select count(*) from delivery where state = 'dead'")
[ "$st" = 0 ] || sg_fail "a NAK for a message not in flight made a dead letter"
# The one in flight was ACKed for real; a well-behaved receiver gets the other.
"$SGTEST" listen $(sg_conn ci-border CI) --count 1 --timeout 20 --out "$SG_DIR/border.out" \
    || sg_fail "ci-border did not get the other message"
grep -q "^$other " "$SG_DIR/border.out" || sg_fail "not $other: $(cat "$SG_DIR/border.out")"
done2 () { [ "$(sg_sql CI "select count(*) from delivery where state = 'done'")" = 2 ]; }
sg_until 20 done2 || sg_fail "the two deliveries are not recorded done"

# ---- the same Message-Id for a different message -----------------------------
sg_wof "$SG_DIR/one.xml"
sed -e "s|<WriteOffDate>[^<]*<|<WriteOffDate>2026-03-11<|" "$SG_DIR/one.xml" > "$SG_DIR/other.xml"
out=$("$SGTEST" body $(sg_conn ci-adapter CI) --body "$SG_DIR/one.xml" --timeout 10)
[ "$out" = "ACK $id" ] || sg_fail "first send: $out"
out=$("$SGTEST" body $(sg_conn ci-adapter CI) --body "$SG_DIR/other.xml" --timeout 10)
case $out in
    "NAK $id 12 "*"already used by a different message"*) ;;
    *) sg_fail "a different body under a stored id was not refused: $out" ;;
esac
out=$("$SGTEST" body $(sg_conn ci-adapter CI) --body "$SG_DIR/one.xml" --timeout 10)
[ "$out" = "ACK $id" ] || sg_fail "a true resend is not ACKed: $out"
[ "$(sg_sql CI "select count(*) from message where id = '$id' and position('2026-03-10' in convert_from(body, 'UTF8')) > 0")" = 1 ] \
    || sg_fail "the stored message changed"

# ---- a frame over the bound -------------------------------------------------
# 65536 + 16384 is the frame bound for a 64 KiB max_message_size: a 1 MiB
# frame drops the connection before the node holds it (so no NAK: the SEND
# never reached the node); the client's ZeroMQ reconnects, and the PING after
# it arrives on a new connection without a session. The node still answers a
# well-formed client afterwards.
"$SGTEST" raw $(sg_conn ci-adapter CI) --frames "SEND|#200|#1048576" --frames "PING" \
    --count 1 --timeout 10 > "$SG_DIR/big.out" || sg_fail "no answer at all after the big frame"
grep -q '^DENIED hello required' "$SG_DIR/big.out" || sg_fail "a 1 MiB frame was read: $(cat "$SG_DIR/big.out")"
"$SGTEST" raw $(sg_conn ci-adapter CI) --frames "PING" --count 1 --timeout 10 > "$SG_DIR/ping.out" \
    || sg_fail "node does not answer after the big frame"
grep -q '^PONG' "$SG_DIR/ping.out" || sg_fail "no PONG: $(cat "$SG_DIR/ping.out")"

# ---- a message of very many frames -------------------------------------------
# A SEND takes 2 or 3 frames. One of 100,002 small frames (each far under the
# frame bound) is refused as malformed with the count in the log: the node
# keeps at most the 3 frames a SEND may have and drains the rest one at a
# time. It stores nothing of it, answers the PING behind it on the same
# connection, and takes the next well-formed SEND.
mid=$(cat /proc/sys/kernel/random/uuid)
mmrn=$("$SIGMATCTL" mrn new CI) || sg_fail "mrn new"
printf 'Message-Id: %s\nType: WOF\nMrn: %s\nSender: CI000101\nRecipient: CI000401\nCreated: %s\nOrigin-Node: CI\n' \
    "$mid" "$mmrn" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$SG_DIR/many.hdr"
sed -e "s|<MessageID>[^<]*<|<MessageID>$mid<|" -e "s|<DeclarationID>[^<]*<|<DeclarationID>$mmrn<|" \
    "$SG_EXAMPLES/wof.xml" > "$SG_DIR/many.xml"
rss () { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$(sg_pid CI)/status"; }
hwm0=$(rss VmHWM)
"$SGTEST" raw $(sg_conn ci-adapter CI) --frames "SEND|@$SG_DIR/many.hdr|@$SG_DIR/many.xml|*100000" \
    --frames "PING" --count 1 --timeout 60 > "$SG_DIR/many.out" \
    || sg_fail "no answer after a message of 100,002 frames: $(cat "$SG_DIR/many.out")"
grep -q '^PONG' "$SG_DIR/many.out" || sg_fail "no PONG after the many frames: $(cat "$SG_DIR/many.out")"
sg_until 10 grep -q "malformed SGTP/1 message from ci-adapter: SEND takes 2 to 3 frames, got 100002" \
    "$SG_DIR/CI.log" || sg_fail "the message of 100,002 frames was not refused with its count"
[ "$(sg_sql CI "select count(*) from message where id = '$mid'")" = 0 ] \
    || sg_fail "the message of 100,002 frames was stored"
hwm1=$(rss VmHWM)
sg_log "node peak memory $hwm0 kB before the 100,002 frames, $hwm1 kB after"
# libzmq holds a multipart message until its last frame has come (about
# 140 bytes a frame here, more under ASan); the node's own share is the 3
# frames it keeps.
[ $((hwm1 - hwm0)) -lt 131072 ] || sg_fail "the node grew by $((hwm1 - hwm0)) kB for 100,002 tiny frames"
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000901 --count 1 --timeout 20 --out "$SG_DIR/after-many.out" \
    || sg_fail "the node does not take a SEND after the many frames"
grep -q '^ACK' "$SG_DIR/after-many.out" || sg_fail "no ACK after the many frames"

# ---- a sender over its window -----------------------------------------------------
# 40 different SENDs at once on one connection to a node that announced a
# window of 8 and lets a batch wait 1 s: twice the window, 16, are held (a
# well-behaved sender's resends of messages already answered count too)
# and ACKed together, the 24 past that are refused at once. (A resend of a held message
# is not refused: the first copy's ACK answers it; 03-duplicates.)
sg_node CW CI "window 8" "batch_delay 1000ms" "workers 0"
sg_peer CW ci-adapter adapter CI000101
sg_peer CW ci-border adapter CI000401
sg_start CW
set --
for i in $(seq 40); do
    sg_wof "$SG_DIR/w$i.xml"
    printf 'Message-Id: %s\nType: WOF\nMrn: %s\nSender: CI000101\nRecipient: CI000401\nCreated: %s\nOrigin-Node: CW\n' \
        "$id" "$mrn" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$SG_DIR/w$i.hdr"
    set -- "$@" --frames "SEND|@$SG_DIR/w$i.hdr|@$SG_DIR/w$i.xml"
done
"$SGTEST" raw $(sg_conn ci-adapter CW) --window 64 "$@" --count 25 --timeout 20 > "$SG_DIR/window.out" \
    || sg_fail "not 25 answers: $(cat "$SG_DIR/window.out")"
[ "$(grep -c "^NAK [0-9a-f-]* 103 window exceeded" "$SG_DIR/window.out")" = 24 ] \
    || sg_fail "not 24 NAK 103: $(cat "$SG_DIR/window.out")"
[ "$(grep '^ACK' "$SG_DIR/window.out" | wc -w)" = 17 ] || sg_fail "the 16 held were not ACKed"
[ "$(sg_sql CW "select count(*) from message")" = 16 ] || sg_fail "not 16 messages stored"
sg_stop CW

# ---- escaped logs -------------------------------------------------------------
# A NAK whose reason holds a newline and a log line of its own: the message
# (in flight: DELIVERed on HELLO, answered once it is in) becomes a dead
# letter, the log stays one line.
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count 1 --timeout 20 --out "$SG_DIR/sent3.out" || sg_fail "send"
m3=$(awk '{ print $2 }' "$SG_DIR/sent3.out")
fake="2026-01-01T00:00:00.000Z CI error: forged line"
"$SGTEST" raw $(sg_conn ci-border CI) --first 1 --frames "NAK|$m3|12|x
$fake" --frames "PING" --count 2 --timeout 10 >/dev/null || sg_fail "no DELIVER and PONG"
dead () { [ "$(sg_sql CI "select state from delivery where message_id = '$m3'")" = dead ]; }
sg_until 20 dead || sg_fail "the NAKed message is not a dead letter"
grep -q "^$fake" "$SG_DIR/CI.log" && sg_fail "a NAK reason forged a log line"
grep -q "NAK 12 x\\\\n$fake" "$SG_DIR/CI.log" || sg_fail "the NAK reason is not in the log, escaped"

sg_stop CI
sg_pass
