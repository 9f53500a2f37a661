#!/bin/sh
# 51-corridor-figures: the corridor figures of the monitor (/api/corridors,
# the sigmat_corridor_* histograms) and the region as a hub sees it, after a
# known set of movements carried by the real lifecycle on three nodes, on
# the lifecycle clock (lc_clock), so every duration is known:
#   M1 CI000101 -> BF000101, transits CI000401 BF000201: REL 08:00, NCF 10:00
#      and 14:00, ARR 20:00, DCR A1 22:00: discharged
#   M2 the same corridor: REL 08:00, NCF 11:00 and 16:00, ARR 21:00, DCR B1
#      23:00: discrepancy
#   M3 CI000101 -> NE000101, time limit 2026-03-02: overdue the next day
#   M4 BF000101 -> CI000101, transit BF000201: REL 08:00, NCF 09:00, ARR
#      13:00, DCR A1 14:00: discharged
# The API's numbers must equal both the schedule and what the departure
# databases say. A hub (http_peers, one of them with ?token=) shows the
# three corridors and the late movements of the region, never shows the
# tokens, and no answer carries Access-Control-Allow-Origin. A peer known
# only for its keys (TG at CI) is no link: not in /api/links, not in
# sigmat_peer_up, not in `sigmatctl top`.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 51-corridor-figures
. "$SG_SRC/tests/scenarios/lc.sh"
command -v curl >/dev/null || sg_skip "curl is not installed"

TOKEN=tok-$$
lc_nodes CI:CI:CI BF:BF:BF NE:NE:NE
for n in CI BF NE; do
    eval "HTTP_$n=$(sg_port)"
    echo "http_listen 127.0.0.1:$(eval echo \$HTTP_$n)" >> "$SG_DIR/$n.conf"
    echo "http_sample 200ms" >> "$SG_DIR/$n.conf"
done
echo "http_token $TOKEN" >> "$SG_DIR/BF.conf"
sg_keygen TG
sg_peer CI TG node TG
HTTP_HUB=$(sg_port)
sg_node hub ZZ "http_listen 127.0.0.1:$HTTP_HUB" "http_sample 200ms" \
    "http_peers http://127.0.0.1:$HTTP_CI" "http_peers http://127.0.0.1:$HTTP_BF/?token=$TOKEN" \
    "http_peers http://127.0.0.1:$HTTP_NE"
lc_start_all
sg_start hub

CURL="curl -sS --max-time 10"
api () { $CURL "http://127.0.0.1:$1$2"; }
# jq-free JSON reading: python3 is part of the build's dependencies.
js () { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

TR=CI000401,BF000201
# A declaration of BF's office BF000101 to CI000101 (the examples are CI's).
bf_decl () {
    f=$(lc_decl "$1" "$2" DESTINATIONX BF000201)
    sed -i -e 's/CI000101/BF000101/g' -e 's/DESTINATIONX/CI000101/' "$f"
    echo "$f"
}
at () { lc_clock "2026-03-02T$1:00Z"; }
M1=$("$SIGMATCTL" mrn new CI); M2=$("$SIGMATCTL" mrn new CI); M3=$("$SIGMATCTL" mrn new CI)
M4=$("$SIGMATCTL" mrn new BF)
at 07:00
lc_send CI "$(lc_decl DEC "$M1" BF000101 $TR)" "$(lc_decl DEC "$M2" BF000101 $TR)" \
    "$(lc_decl DEC "$M3" NE000101 CI000401 2026-03-02)"
lc_send BF "$(bf_decl DEC "$M4")"
at 08:00
lc_send CI "$(lc_decl REL "$M1" BF000101 $TR)" "$(lc_decl REL "$M2" BF000101 $TR)" \
    "$(lc_decl REL "$M3" NE000101 CI000401 2026-03-02)"
lc_send BF "$(bf_decl REL "$M4")"
for m in $M1 $M2 $M3; do lc_wait CI "$m" CI000101 RELEASED; done
lc_wait BF "$M4" BF000101 RELEASED
lc_wait BF "$M1" BF000201 ANTICIPATED
lc_wait BF "$M2" BF000201 ANTICIPATED
at 09:00; lc_send BF "$(lc_msg NCF "$M4" BF000201 BF000101)"; lc_wait BF "$M4" BF000201 CROSSED
at 10:00; lc_send CI "$(lc_msg NCF "$M1" CI000401 CI000101)"; lc_wait CI "$M1" CI000101 EN_ROUTE
at 11:00; lc_send CI "$(lc_msg NCF "$M2" CI000401 CI000101)"; lc_wait CI "$M2" CI000101 EN_ROUTE
lc_wait CI "$M4" CI000101 ANTICIPATED
at 13:00; lc_send CI "$(lc_msg ARR "$M4" CI000101 BF000101)"; lc_wait BF "$M4" BF000101 ARRIVED
at 14:00; lc_send BF "$(lc_msg NCF "$M1" BF000201 CI000101)"
lc_send CI "$(lc_msg DCR "$M4" CI000101 BF000101)"; lc_wait BF "$M4" BF000101 DISCHARGED
crossed () { sg_sql CI "select cardinality(crossed) from movement where mrn = '$1' and office = 'CI000101'"; }
sg_until 10 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select cardinality(crossed) from movement where mrn = '$M1' and office = 'CI000101'\")\" = 2 ]" \
    || sg_fail "M1: CI did not record the BF000201 crossing"
at 16:00; lc_send BF "$(lc_msg NCF "$M2" BF000201 CI000101)"
sg_until 10 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select cardinality(crossed) from movement where mrn = '$M2' and office = 'CI000101'\")\" = 2 ]" \
    || sg_fail "M2: CI did not record the BF000201 crossing"
at 20:00; lc_send BF "$(lc_msg ARR "$M1" BF000101 CI000101)"; lc_wait CI "$M1" CI000101 ARRIVED
at 21:00; lc_send BF "$(lc_msg ARR "$M2" BF000101 CI000101)"; lc_wait CI "$M2" CI000101 ARRIVED
at 22:00; lc_send BF "$(lc_msg DCR "$M1" BF000101 CI000101)"; lc_wait CI "$M1" CI000101 DISCHARGED
at 23:00
lc_send BF "$(lc_msg DCR "$M2" BF000101 CI000101 -e 's|<ControlResultCode>A1<|<ControlResultCode>B1<|' \
    -e 's|</SealsIntactIndicator>|&<DiscrepanciesDescription>two pallets missing</DiscrepanciesDescription>|')"
lc_wait CI "$M2" CI000101 DISCREPANCY
lc_clock 2026-03-03T06:00:00Z
lc_wait CI "$M3" CI000101 OVERDUE

# ---- one node's figures ------------------------------------------------------------
api "$HTTP_CI" "/api/corridors" > "$SG_DIR/ci.json" || sg_fail "GET /api/corridors at CI"
row () { js "[c for c in d['corridors'] if c['departure']=='$2' and c['destination']=='$3'][0]$4" < "$1"; }
check () {  # FILE DEP DEST EXPR EXPECTED
    v=$(row "$1" "$2" "$3" "$4") || sg_fail "$2 -> $3 missing in $(cat "$1")"
    [ "$v" = "$5" ] || sg_fail "$2 -> $3 $4 is $v, expected $5"
}
[ "$(js "d['scope'] + ' ' + str(len(d['corridors']))" < "$SG_DIR/ci.json")" = "node 2" ] \
    || sg_fail "CI: $(cat "$SG_DIR/ci.json")"
C=CI000101 B=BF000101
check "$SG_DIR/ci.json" $C $B "['released']" 2
check "$SG_DIR/ci.json" $C $B "['discharged']" 1
check "$SG_DIR/ci.json" $C $B "['discrepancy']" 1
check "$SG_DIR/ci.json" $C $B "['in_transit']" 0
check "$SG_DIR/ci.json" $C $B "['release_to_arrival']['count']" 2
check "$SG_DIR/ci.json" $C $B "['release_to_arrival']['sum_s']" 90000
check "$SG_DIR/ci.json" $C $B "['release_to_arrival']['p50_s']" 45000
check "$SG_DIR/ci.json" $C $B "['release_to_arrival']['max_s']" 46800
check "$SG_DIR/ci.json" $C $B "['arrival_to_discharge']['count']" 1
check "$SG_DIR/ci.json" $C $B "['arrival_to_discharge']['sum_s']" 7200
v=$(js "[(b['office'], b['count'], b['min_s'], b['max_s']) for b in [c for c in d['corridors'] if c['destination']=='$B'][0]['border_dwell']]" < "$SG_DIR/ci.json")
[ "$v" = "[('BF000201', 2, 21600, 28800), ('CI000401', 2, 7200, 10800)]" ] || sg_fail "border dwell: $v"
check "$SG_DIR/ci.json" $C NE000101 "['released']" 1
check "$SG_DIR/ci.json" $C NE000101 "['overdue']" 1
check "$SG_DIR/ci.json" $C NE000101 "['release_to_arrival']['count']" 0

# The same numbers straight from CI's database.
dbv () { sg_sql CI "select $1 from movement where role = 'DEPARTURE' and departure = '$C' and destination = '$B'"; }
[ "$(dbv "count(*)")" = "$(row "$SG_DIR/ci.json" $C $B "['released']")" ] || sg_fail "released vs database"
[ "$(dbv "count(*) filter (where state = 'DISCREPANCY')")" = 1 ] || sg_fail "database: discrepancy"
[ "$(dbv "sum(extract(epoch from arrived - released))::int8")" = 90000 ] || sg_fail "database: release -> arrival"
[ "$(sg_sql CI "select string_agg((extract(epoch from e.at - m.released))::int8::text, ' ' order by e.at_office, e.at) from movement m join movement_event e on e.mrn = m.mrn and e.office = m.office where m.role = 'DEPARTURE' and e.msg_type = 'NCF'")" = "21600 28800 7200 10800" ] \
    || sg_fail "database: NCF times"

# Periods: by day, and a window that excludes everything.
api "$HTTP_CI" "/api/corridors?period=day&from=2026-03-01&to=2026-03-03" > "$SG_DIR/day.json"
[ "$(js "sorted(set(c['period_start'] for c in d['corridors']))" < "$SG_DIR/day.json")" = "['2026-03-02']" ] \
    || sg_fail "period=day: $(cat "$SG_DIR/day.json")"
[ "$(api "$HTTP_CI" "/api/corridors?from=2026-03-03" | js "len(d['corridors'])")" = 0 ] || sg_fail "from"
[ "$($CURL -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_CI/api/corridors?period=year")" = 400 ] \
    || sg_fail "period=year accepted"

# BF: its own corridor.
api "$HTTP_BF" "/api/corridors?token=$TOKEN" > "$SG_DIR/bf.json"
check "$SG_DIR/bf.json" $B $C "['discharged']" 1
check "$SG_DIR/bf.json" $B $C "['release_to_arrival']['sum_s']" 18000
check "$SG_DIR/bf.json" $B $C "['arrival_to_discharge']['sum_s']" 3600
check "$SG_DIR/bf.json" $B $C "['border_dwell'][0]['max_s']" 3600

# ---- Prometheus histograms --------------------------------------------------------
L="departure=\"$C\",destination=\"$B\""
# The corridor figures are a snapshot, recomputed every few seconds: wait
# until one has every fact of the story above.
metrics_missing () {
    api "$HTTP_CI" /metrics > "$SG_DIR/ci.metrics"
    for s in "sigmat_corridor_release_to_arrival_seconds_count{$L} 2" \
             "sigmat_corridor_release_to_arrival_seconds_bucket{$L,le=\"43200\"} 1" \
             "sigmat_corridor_release_to_arrival_seconds_bucket{$L,le=\"86400\"} 2" \
             "sigmat_corridor_release_to_arrival_seconds_bucket{$L,le=\"+Inf\"} 2" \
             "sigmat_corridor_release_to_arrival_seconds_sum{$L} 90000.000" \
             "sigmat_corridor_border_dwell_seconds_count{$L,office=\"CI000401\"} 2" \
             "sigmat_corridor_border_dwell_seconds_bucket{$L,office=\"CI000401\",le=\"7200\"} 1" \
             "sigmat_corridor_movements{$L,status=\"discrepancy\"} 1" \
             "sigmat_corridor_movements{departure=\"$C\",destination=\"NE000101\",status=\"overdue\"} 1"; do
        grep -qxF "$s" "$SG_DIR/ci.metrics" || { echo "$s"; return 0; }
    done
    return 1
}
metrics_complete () { ! metrics_missing >/dev/null; }
sg_until 20 metrics_complete || sg_fail "CI /metrics lacks: $(metrics_missing)"
. "$SG_SRC/tests/scenarios/promcheck.sh"
prom_check "$SG_DIR/ci.metrics" || sg_fail "CI /metrics is not valid Prometheus text format"

# ---- the signature-only peer -------------------------------------------------------
api "$HTTP_CI" /api/links > "$SG_DIR/links.json"
[ "$(js "sorted(l['name'] for l in d)" < "$SG_DIR/links.json")" = "['BF', 'CI-adapter', 'CI-send', 'NE']" ] \
    || sg_fail "CI links: $(js "sorted(l['name'] for l in d)" < "$SG_DIR/links.json")"
[ "$(api "$HTTP_CI" /api/peers | js "[(p['link'], p['up']) for p in d if p['name']=='TG']")" = "[(False, False)]" ] \
    || sg_fail "/api/peers: TG is not shown as a key-only peer"
grep -q '^sigmat_\(peer_up\|link_expected_up\|queue_depth\){link="TG"' "$SG_DIR/ci.metrics" \
    && sg_fail "CI /metrics shows the key-only peer TG as a link"
"$SIGMATCTL" top --once --url "http://127.0.0.1:$HTTP_CI" > "$SG_DIR/top.out" || sg_fail "top --once"
grep -q "^TG " "$SG_DIR/top.out" && sg_fail "top lists TG: $(cat "$SG_DIR/top.out")"
grep -q "DOWN" "$SG_DIR/top.out" && sg_fail "top shows a link down: $(cat "$SG_DIR/top.out")"
grep -q "DEPARTURE/DISCREPANCY 1" "$SG_DIR/top.out" || sg_fail "top: no movement states: $(cat "$SG_DIR/top.out")"

# ---- the region at the hub ---------------------------------------------------------
api "$HTTP_HUB" /api/corridors > "$SG_DIR/hub.json"
[ "$(js "d['scope'] + ' ' + str(sorted((c['node'], c['departure'], c['destination']) for c in d['corridors']))" < "$SG_DIR/hub.json")" \
    = "region [('BF', 'BF000101', 'CI000101'), ('CI', 'CI000101', 'BF000101'), ('CI', 'CI000101', 'NE000101')]" ] \
    || sg_fail "hub corridors: $(cat "$SG_DIR/hub.json")"
check "$SG_DIR/hub.json" $C $B "['release_to_arrival']['sum_s']" 90000
grep -q "$TOKEN" "$SG_DIR/hub.json" && sg_fail "the hub's corridors show a peer's token"
sg_until 20 sh -c "curl -s http://127.0.0.1:$HTTP_HUB/api/region | grep -q '\"discrepancy\":1'" \
    || sg_fail "hub region: $(api "$HTTP_HUB" /api/region)"
api "$HTTP_HUB" /api/region > "$SG_DIR/region.json"
[ "$(js "sorted((m['node'], m['mrn'], m['state']) for m in d['late'])" < "$SG_DIR/region.json")" \
    = "$(python3 -c "print(sorted([('CI', '$M2', 'DISCREPANCY'), ('CI', '$M3', 'OVERDUE')]))")" ] \
    || sg_fail "hub late movements: $(cat "$SG_DIR/region.json")"
[ "$(js "d['totals']" < "$SG_DIR/region.json")" = "{'overdue': 1, 'under_enquiry': 0, 'discrepancy': 1}" ] \
    || sg_fail "hub totals"
[ "$(js "sorted(p['ok'] for p in d['peers'])" < "$SG_DIR/region.json")" = "[True, True, True]" ] \
    || sg_fail "hub: a peer monitor unreachable: $(cat "$SG_DIR/region.json")"
api "$HTTP_HUB" /api/config > "$SG_DIR/config.json"
grep -q "$TOKEN" "$SG_DIR/config.json" "$SG_DIR/region.json" && sg_fail "/api/config or /api/region shows a peer's token"
grep -q "token=redacted" "$SG_DIR/config.json" || sg_fail "/api/config: $(cat "$SG_DIR/config.json")"
$CURL -D - -o /dev/null "http://127.0.0.1:$HTTP_HUB/api/overview" | grep -qi "access-control-allow-origin" \
    && sg_fail "the monitor still sends Access-Control-Allow-Origin"
api "$HTTP_HUB" /metrics > "$SG_DIR/hub.metrics"
grep -qxF 'sigmat_region_movements_late{state="overdue"} 1' "$SG_DIR/hub.metrics" || sg_fail "hub /metrics: region late"
grep -qxF 'sigmat_region_monitor_up{peer="BF"} 1' "$SG_DIR/hub.metrics" || sg_fail "hub /metrics: BF monitor"
"$SIGMATCTL" top --once --url "http://127.0.0.1:$HTTP_HUB" > "$SG_DIR/top-hub.out" || sg_fail "top --once at the hub"
grep -q "REGION" "$SG_DIR/top-hub.out" || sg_fail "top at the hub: no region: $(cat "$SG_DIR/top-hub.out")"

for n in hub CI BF NE; do sg_stop $n; done
sg_pass
