# lc.sh - helpers of the lifecycle scenarios (3N-*), sourced after lib.sh.
# Messages are made from messages/examples with a fresh MessageID, the
# movement's MRN and the offices of the corridor; adapters are driven with
# `sigmatctl send` and watched with background `sigmatctl listen --out`.
#
#   lc_clock TIME                 the nodes' lifecycle clock (clock_file)
#   lc_nodes NAME:COUNTRY:OFFICES...  nodes with lifecycle on, all meshed, each
#                                 with an adapter for OFFICES (NAME-send sends,
#                                 NAME-adapter listens); $LC_CONF: more config lines
#   lc_decl TYPE MRN DEST TRANSITS [LIMIT]   a DEC or REL file (prints its path)
#   lc_msg TYPE MRN FROM TO [SED...]         any other message file
#   lc_send NODE FILE...          send as NODE's adapter; fails unless accepted
#   lc_state NODE MRN OFFICE      the state of that view ("" if none)
#   lc_wait NODE MRN OFFICE STATE [SECONDS]
#   lc_nak NODE ID                "CODE" of the NAK message NODE's adapter got for ID
#   lc_got NODE TYPE MRN TO       number of TYPE messages for MRN to office TO
#                                 delivered to NODE's adapter

SG_LIFECYCLE=yes
LC_CLOCK=$SG_DIR/clock

lc_clock () { echo "$1" > "$LC_CLOCK.tmp" && mv "$LC_CLOCK.tmp" "$LC_CLOCK"; }
lc_clock 2026-03-02T08:00:00Z

lc_uuid () { cat /proc/sys/kernel/random/uuid; }

# lc_nodes NAME:COUNTRY:OFFICES ... [-- EXTRA CONFIG LINES]
lc_nodes () {
    LC_NODES=""
    for spec in "$@"; do
        LC_NODES="$LC_NODES $spec"
    done
    for spec in $LC_NODES; do
        n=${spec%%:*} rest=${spec#*:} c=${rest%%:*} offs=${rest#*:}
        sg_node "$n" "$c" "clock_file $LC_CLOCK" "timer_interval 200ms"
        [ -n "${LC_CONF:-}" ] && printf '%s\n' "$LC_CONF" >> "$SG_DIR/$n.conf"
        sg_adapter "$n-adapter"
        sg_adapter "$n-send"
        sg_peer "$n" "$n-send" adapter "$offs"
        sg_peer "$n" "$n-adapter" adapter "$offs"
        sg_route "$n" "$c" "$n-adapter"
        mkdir -p "$SG_DIR/in-$n"
    done
    for spec in $LC_NODES; do
        n=${spec%%:*}
        for other in $LC_NODES; do
            o=${other%%:*} rest=${other#*:} oc=${rest%%:*}
            [ "$o" = "$n" ] && continue
            sg_peer "$n" "$o" node "$oc" "$(sg_endpoint "$o")"
            sg_route "$n" "$oc" "$o"
        done
    done
}

lc_start_all () {
    for spec in $LC_NODES; do
        n=${spec%%:*}
        sg_start "$n"
        lc_listen "$n"
    done
}

# Background listener of NODE's adapter: bodies in $SG_DIR/in-NODE, lines
# "DELIVER id type mrn sender recipient" in $SG_DIR/NODE.deliveries.
lc_listen () {
    sg_bg "$SIGMATCTL" listen $(sg_conn "$1-adapter" "$1") --timeout 0 --out "$SG_DIR/in-$1" \
        >> "$SG_DIR/$1.deliveries" 2>>"$SG_DIR/$1.listen.err"
}

# lc_decl TYPE MRN DEST TRANSITS [LIMIT]: transits comma-separated, the first
# one is also the exit office.
lc_decl () {
    f=$SG_DIR/msg-$(lc_uuid).xml
    src=$SG_EXAMPLES/$(echo "$1" | tr A-Z a-z).xml
    awk -v id="$(lc_uuid)" -v mrn="$2" -v dest="$3" -v tr="$4" -v tl="${5:-2026-03-08}" '
        /<MessageID>/ { sub(/>[^<]*</, ">" id "<") }
        /<DeclarationID>/ { sub(/>[^<]*</, ">" mrn "<") }
        /<TimeLimitDate>/ { sub(/>[^<]*</, ">" tl "<") }
        /<TransitCustomsOffice>/ { skip = 1; next }
        skip { if (/<\/TransitCustomsOffice>/) skip = 0; next }
        /<ExitCustomsOffice>/ {
            n = split(tr, t, ",")
            for (i = 1; i <= n; i++)
                printf "    <TransitCustomsOffice>\n      <ID>%s</ID>\n    </TransitCustomsOffice>\n", t[i]
            inexit = 1
        }
        inexit && /<ID>/ { split(tr, t, ","); sub(/>[^<]*</, ">" t[1] "<"); inexit = 0 }
        indest && /<ID>/ { sub(/>[^<]*</, ">" dest "<"); indest = 0 }
        /<DestinationCustomsOffice>/ { indest = 1 }
        { print }' "$src" > "$f"
    echo "$f"
}

# lc_msg TYPE MRN FROM TO [SED-EXPRESSIONS...]: the event office (<ID>) is FROM.
lc_msg () {
    t=$1 mrn=$2 from=$3 to=$4
    shift 4
    f=$SG_DIR/msg-$(lc_uuid).xml
    sed -e "s|<MessageID>[^<]*<|<MessageID>$(lc_uuid)<|" \
        -e "s|<DeclarationID>[^<]*<|<DeclarationID>$mrn<|" \
        -e "s|<SenderOfficeID>[^<]*<|<SenderOfficeID>$from<|" \
        -e "s|<RecipientOfficeID>[^<]*<|<RecipientOfficeID>$to<|" \
        -e "s|<ID>[A-Z0-9]*</ID>|<ID>$from</ID>|" \
        -e "/<CorrelationID>/d" "$@" \
        "$SG_EXAMPLES/$(echo "$t" | tr A-Z a-z).xml" > "$f"
    echo "$f"
}

lc_id () { sed -n 's/.*<MessageID>\(.*\)<\/MessageID>.*/\1/p' "$1"; }

# lc_send NODE FILE...: every file must be accepted (stored) by NODE. The
# adapter sends as NODE-send and listens as NODE-adapter (the node gives
# deliveries to an adapter's latest connection).
lc_send () {
    n=$1
    shift
    out=$("$SIGMATCTL" send "$@" $(sg_conn "$n-send" "$n") --timeout 20) \
        || sg_fail "send to $n: $out"
    [ "$(echo "$out" | grep -c ': accepted ')" = $# ] || sg_fail "send to $n: $out"
}

lc_state () {
    sg_sql "$1" "select state from movement where mrn = '$2' and office = '$3'"
}

# lc_wait NODE MRN OFFICE STATE [SECONDS]
lc_wait () {
    i=0
    while [ $i -lt $(( ${5:-20} * 5 )) ]; do
        [ "$(lc_state "$1" "$2" "$3")" = "$4" ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    sg_fail "$1: $2 at $3 is '$(lc_state "$1" "$2" "$3")', expected $4"
}

# The NAK message for id that NODE's adapter received: prints its code.
lc_nak () {
    f=$(grep -l "<CorrelationID>$2</CorrelationID>" "$SG_DIR/in-$1"/*.xml 2>/dev/null | head -1)
    [ -n "$f" ] && grep -q '<NAK ' "$f" && sed -n 's/.*<ValidationCode>\(.*\)<\/ValidationCode>.*/\1/p' "$f"
}

# lc_wait_nak NODE ID CODE [SECONDS]
lc_wait_nak () {
    i=0
    while [ $i -lt $(( ${4:-20} * 5 )) ]; do
        [ "$(lc_nak "$1" "$2")" = "$3" ] && { sg_log "NAK $3 for $2 reached $1's adapter"; return 0; }
        sleep 0.2
        i=$((i + 1))
    done
    sg_fail "$1's adapter got no NAK $3 for $2 (got '$(lc_nak "$1" "$2")')"
}

lc_got () {
    awk -v t="$2" -v m="$3" -v to="$4" '$3 == t && $4 == m && $6 == to { n++ } END { print n + 0 }' \
        "$SG_DIR/$1.deliveries"
}

# lc_got_until NODE TYPE MRN TO N: waits (up to 10 s) until lc_got says N:
# deliveries to an adapter come through other nodes, on their own time.
lc_got_is () { [ "$(lc_got "$1" "$2" "$3" "$4")" = "$5" ]; }
lc_got_until () { sg_until 10 lc_got_is "$@"; }
