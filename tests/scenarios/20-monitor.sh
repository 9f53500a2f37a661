#!/bin/sh
# 20-monitor: the HTTP monitor tells what happened. Corridor CI -> hub -> BF
# with BF down: the CI adapter sends N messages of each of four types and 3
# that CI refuses (NAK 101). Scraped /metrics (valid text format: promtool
# when installed, else a strict parser) must show exactly those counts at
# CI and at the hub, BF down with N*4 queued at the hub; after BF starts,
# BF up, the queue empty and N*4 sent on. Also: the JSON API, access rules
# (token at the hub, loopback only at CI), and `sigmatctl top --once`.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 20-monitor

# Until sigmatd has its monitor (config key http_listen), there is nothing
# to test: skip, or fail under CI.
"$SIGMATD" --print-config 2>/dev/null | grep -q '^#* *http_listen' || {
    [ "${CI:-}" = true ] && sg_fail "sigmatd has no http_listen (monitor not integrated)"
    sg_skip "sigmatd has no http_listen (monitor not integrated)"; }
if command -v promtool >/dev/null 2>&1; then
    promtool check rules "$SG_SRC/deploy/alerts.yml" >/dev/null || sg_fail "promtool rejects deploy/alerts.yml"
fi

N=${SG_N:-25}
TYPES="AAR ATR WOF CAN"
TOKEN=s3cret-$$
HTTP_CI=$(sg_port)
HTTP_HUB=$(sg_port)
HTTP_BF=$(sg_port)

sg_node CI CI "http_listen 127.0.0.1:$HTTP_CI" "http_sample 300ms"
sg_node hub ZZ "http_listen 127.0.0.1:$HTTP_HUB" "http_token $TOKEN" "http_sample 300ms"
sg_node BF BF "http_listen 127.0.0.1:$HTTP_BF" "http_sample 300ms"
sg_ci_hub_bf
sg_start CI
sg_start hub

CURL="curl -sS --max-time 5"
# scrape NAME PORT [TOKEN] > file
scrape () {
    if [ -n "${3:-}" ]; then $CURL -H "Authorization: Bearer $3" "http://127.0.0.1:$2/metrics"
    else $CURL "http://127.0.0.1:$2/metrics"; fi
}
# value FILE 'series{labels}' : the sample's value ("" if absent)
value () { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }
expect () {
    v=$(value "$1" "$2")
    [ "$v" = "$3" ] || sg_fail "$(basename "$1"): $2 is '${v}', expected $3"
}
# check_format FILE: promtool when installed, the strict parser always.
. "$SG_SRC/tests/scenarios/promcheck.sh"
check_format () { prom_check "$1" || sg_fail "$1 is not valid Prometheus text format"; }

# ---- access -----------------------------------------------------------------
[ "$($CURL -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_HUB/metrics")" = 403 ] \
    || sg_fail "hub served /metrics without its token"
[ "$($CURL -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong" "http://127.0.0.1:$HTTP_HUB/metrics")" = 403 ] \
    || sg_fail "hub served /metrics with a wrong token"
[ "$($CURL -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$HTTP_CI/metrics")" = 405 ] \
    || sg_fail "CI accepted a POST"
$CURL "http://127.0.0.1:$HTTP_HUB/?token=$TOKEN" -D "$SG_DIR/hdr" -o /dev/null \
    && grep -qi "^set-cookie: sigmat_token=" "$SG_DIR/hdr" || sg_fail "dashboard with ?token set no cookie"

# ---- traffic with BF down ----------------------------------------------------
i=0
for t in $TYPES; do
    i=$((i + 1))
    f=$(echo $t | tr A-Z a-z)
    "$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/$f.xml" --from CI000101 \
        --to BF000101 --count $N --mrns 5 --timeout 20 --out "$SG_DIR/sent-$t.out" \
        || sg_fail "sending $t failed"
    [ "$(grep -c '^ACK' "$SG_DIR/sent-$t.out")" = $N ] || sg_fail "not every $t was acknowledged"
done
"$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/aar.xml" --from NE000101 \
    --to BF000101 --count 3 --timeout 20 --out "$SG_DIR/refused.out" >/dev/null 2>&1
[ "$(grep -c '^NAK .* 101 ' "$SG_DIR/refused.out")" = 3 ] || sg_fail "CI did not refuse 3 with NAK 101"
TOTAL=$((N * 4))

# the hub has everything for BF queued; give the sampler a moment
sg_until 20 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo hub)' -c \"select count(*) from delivery where next_hop = 'BF' and state <> 'done'\")\" = $TOTAL ]" \
    || sg_fail "the hub does not hold $TOTAL messages for BF"
sg_until 10 sh -c "curl -s -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$HTTP_HUB/metrics | grep -x >/dev/null 'sigmat_queue_depth{link=\"BF\"} $TOTAL'" \
    || sg_fail "hub /metrics never showed queue depth $TOTAL for BF"
sg_until 10 sh -c "curl -s http://127.0.0.1:$HTTP_CI/metrics | grep -x >/dev/null 'sigmat_queue_depth{link=\"hub\"} 0'" \
    || sg_fail "CI /metrics never showed its queue to the hub empty"
scrape CI $HTTP_CI > "$SG_DIR/ci.prom" || sg_fail "cannot scrape CI"
scrape hub $HTTP_HUB "$TOKEN" > "$SG_DIR/hub.prom" || sg_fail "cannot scrape the hub"
check_format "$SG_DIR/ci.prom"
check_format "$SG_DIR/hub.prom"

for t in $TYPES; do
    expect "$SG_DIR/ci.prom" "sigmat_messages_in_total{link=\"ci-adapter\",type=\"$t\"}" $N
    expect "$SG_DIR/ci.prom" "sigmat_messages_out_total{link=\"hub\",type=\"$t\"}" $N
    expect "$SG_DIR/hub.prom" "sigmat_messages_in_total{link=\"CI\",type=\"$t\"}" $N
    expect "$SG_DIR/hub.prom" "sigmat_messages_out_total{link=\"BF\",type=\"$t\"}" 0
done
expect "$SG_DIR/ci.prom" 'sigmat_messages_in_total{link="ci-adapter",type="DEC"}' 0
expect "$SG_DIR/ci.prom" 'sigmat_messages_acked_total{link="hub"}' $TOTAL
expect "$SG_DIR/ci.prom" 'sigmat_naks_total{direction="sent",code="101"}' 3
expect "$SG_DIR/ci.prom" 'sigmat_link_naks_sent_total{link="ci-adapter"}' 3
expect "$SG_DIR/ci.prom" 'sigmat_peer_up{link="hub",role="node"}' 1
expect "$SG_DIR/ci.prom" 'sigmat_batch_size_sum' "$TOTAL.000000"
expect "$SG_DIR/ci.prom" 'sigmat_batch_size_count' "$(value "$SG_DIR/ci.prom" sigmat_batches_total)"
expect "$SG_DIR/ci.prom" 'sigmat_commit_latency_seconds_count' "$(value "$SG_DIR/ci.prom" sigmat_batches_total)"
expect "$SG_DIR/ci.prom" 'sigmat_batch_size_bucket{le="+Inf"}' "$(value "$SG_DIR/ci.prom" sigmat_batches_total)"
expect "$SG_DIR/ci.prom" 'sigmat_monitor_db_up' 1
expect "$SG_DIR/ci.prom" 'sigmat_info{node="CI",version="0.1.0"}' 1
expect "$SG_DIR/hub.prom" 'sigmat_peer_up{link="BF",role="node"}' 0
expect "$SG_DIR/hub.prom" 'sigmat_peer_up{link="CI",role="node"}' 1
expect "$SG_DIR/hub.prom" 'sigmat_peer_last_seen_timestamp_seconds{link="BF"}' 0
expect "$SG_DIR/hub.prom" 'sigmat_queue_depth{link="BF"}' $TOTAL
expect "$SG_DIR/hub.prom" 'sigmat_dead_letters{link="BF"}' 0
age=$(value "$SG_DIR/hub.prom" 'sigmat_queue_oldest_age_seconds{link="BF"}')
awk -v a="$age" 'BEGIN { exit !(a > 0 && a < 120) }' || sg_fail "oldest age for BF is $age"

# ---- JSON API (compared without blanks: PostgreSQL spaces its JSON) ---------------
jget () { $CURL "$@" | tr -d ' \n'; }
jget -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP_HUB/api/links" > "$SG_DIR/links.json" || sg_fail "api/links"
grep -q '"name":"BF","role":"node","up":false,"health":"down"' "$SG_DIR/links.json" || sg_fail "api/links: BF is not down: $(cat "$SG_DIR/links.json")"
grep -q "\"depth\":$TOTAL," "$SG_DIR/links.json" || sg_fail "api/links: no queue depth $TOTAL"
jget -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP_HUB/api/queues" | grep -q "{\"next_hop\":\"BF\",\"depth\":$TOTAL," \
    || sg_fail "api/queues: BF depth"
jget -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP_HUB/api/routes" | grep -q '"prefix":"BF","next_hop":"BF"' \
    || sg_fail "api/routes"
MRN=$(awk '/^ACK/ { print $3; exit }' "$SG_DIR/sent-AAR.out")
jget "http://127.0.0.1:$HTTP_CI/api/movements/$MRN" > "$SG_DIR/mrn.json" || sg_fail "api/movements/MRN"
grep -q '"type":"AAR","sender":"CI000101","recipient":"BF000101"' "$SG_DIR/mrn.json" \
    || sg_fail "journey of $MRN at CI lacks its AAR: $(cat "$SG_DIR/mrn.json")"
grep -q '"next_hop":"hub","state":"done"' "$SG_DIR/mrn.json" || sg_fail "journey: hop to hub not done"
[ "$($CURL -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_CI/api/movements/bad%20mrn")" = 400 ] \
    || sg_fail "a bad MRN was not refused"
$CURL "http://127.0.0.1:$HTTP_CI/api/movements?state=OVERDUE" | grep -q '"items":' || sg_fail "api/movements"
$CURL "http://127.0.0.1:$HTTP_CI/" | grep -q '<script src="app.js">' || sg_fail "no dashboard page"
$CURL "http://127.0.0.1:$HTTP_CI/app.js" | grep -q "drawGraph" || sg_fail "no app.js"

# ---- sigmatctl top --once ------------------------------------------------------
"$SIGMATCTL" top --once --url "http://127.0.0.1:$HTTP_HUB" --token "$TOKEN" > "$SG_DIR/top.out" \
    || sg_fail "sigmatctl top --once failed"
grep -Eq "^BF +node +DOWN +$TOTAL " "$SG_DIR/top.out" || sg_fail "top: BF line: $(cat "$SG_DIR/top.out")"
grep -Eq "^CI +node +up +0 " "$SG_DIR/top.out" || sg_fail "top: CI line: $(cat "$SG_DIR/top.out")"
"$SIGMATCTL" top --once --url "http://127.0.0.1:$HTTP_HUB" >/dev/null 2>&1 \
    && sg_fail "top without the token should fail"

# ---- BF comes back -------------------------------------------------------------
sg_start BF
sg_until 20 sh -c "curl -s -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$HTTP_HUB/metrics | grep -x >/dev/null 'sigmat_queue_depth{link=\"BF\"} 0'" \
    || sg_fail "the hub's queue for BF did not drain"
scrape hub $HTTP_HUB "$TOKEN" > "$SG_DIR/hub2.prom"
check_format "$SG_DIR/hub2.prom"
expect "$SG_DIR/hub2.prom" 'sigmat_peer_up{link="BF",role="node"}' 1
expect "$SG_DIR/hub2.prom" 'sigmat_messages_acked_total{link="BF"}' $TOTAL
for t in $TYPES; do
    expect "$SG_DIR/hub2.prom" "sigmat_messages_out_total{link=\"BF\",type=\"$t\"}" $N
done
jget -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP_HUB/api/incidents" | grep -q '"text":"nodeBFisup"' \
    || sg_fail "no incident for BF coming up"
scrape BF $HTTP_BF > "$SG_DIR/bf.prom"
for t in $TYPES; do
    expect "$SG_DIR/bf.prom" "sigmat_messages_in_total{link=\"hub\",type=\"$t\"}" $N
done

sg_stop BF
sg_stop hub
sg_stop CI
sg_pass
