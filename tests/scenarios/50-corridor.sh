#!/bin/sh
# 50-corridor: the main job, `deploy/corridor up --short`, against this build
# tree. Run twice in one folder (the second run must clean up the first,
# still running), then: it exits 0 with its summary; every number of the
# corridor table equals what the departure nodes' databases say (queried
# here independently); link counts, queues, dead letters, refusals and the
# webhooks agree with the databases; the adapters' /metrics agree with their
# folders and the webhooks received (and count a rejected file); the broken seal is a DISCREPANCY, the
# lost truck UNDER_ENQUIRY, their event chains verify; `deploy/corridor
# down` leaves no process and no folder. Writes only under a temp folder.
set -u
SRC=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SIGMAT_BUILDDIR:-$SRC/build}
NAME=50-corridor
N=${SG_N:-50}

T=$(mktemp -d /tmp/sigmat-cor.XXXXXX) || exit 99
chmod 755 "$T"
DIR=$T/state
OUT=$T/out
cleanup () {
    rc=$?
    SIGMAT_BUILDDIR=$BUILD sh "$SRC/deploy/corridor" down --dir "$DIR" >/dev/null 2>&1
    if [ $rc != 0 ] && [ "${SG_KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail () {
    echo "FAIL: $NAME: $*" >&2
    [ -f "$OUT" ] && { echo "---- corridor output" >&2; tail -n 60 "$OUT" >&2; }
    exit 1
}
log () { echo "[$NAME] $*" >&2; }

# PostgreSQL is needed; skip without it, except under CI.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
        && [ -z "${SIGMAT_PGBIN:-}" ]; then
    [ "${CI:-}" = true ] && fail "PostgreSQL is not installed"
    echo "SKIP: $NAME: PostgreSQL is not installed" >&2
    exit 77
fi
for t in python3 psql curl; do
    command -v $t >/dev/null 2>&1 || fail "$t is needed"
done
[ -x "$BUILD/broker/sigmatd" ] || fail "sigmatd is not built in $BUILD"

run () {
    SIGMAT_BUILDDIR=$BUILD sh "$SRC/deploy/corridor" up --short --detach --no-build \
        --ports random --dir "$DIR" "$@" > "$OUT" 2>&1
}

# 1. A first small run, left running; the second one must clean it up.
run --movements 12 || fail "the first run exited $?"
grep -q "^all corridors *12 " "$OUT" || fail "first run: no summary for 12 movements"
first_pid=$(cat "$DIR/run/node-hub.pid")
log "first run: $(grep '^ran in' "$OUT")"
run --movements "$N" || fail "the second run exited $?"
kill -0 "$first_pid" 2>/dev/null && fail "the first run's hub (pid $first_pid) is still running"
log "second run: $(grep '^ran in' "$OUT")"
grep -q "^dashboard (the hub's monitor, region view): http://127.0.0.1:[0-9]*/$" "$OUT" \
    || fail "no dashboard URL"
grep -q "link cut: Burkina Faso's node stopped" "$OUT" || fail "no link cut"
grep -q "link restored: Burkina Faso" "$OUT" || fail "no link restored"
grep -q "== caught up: .* 0 refused$" "$OUT" || fail "not caught up, or callbacks refused"

. "$DIR/corridor.env"
q () { psql -X -q -A -t -d "$1" -c "$2"; }
curl -sf "http://127.0.0.1:$MON_hub/api/overview" | grep -q '"node":"hub"' || fail "the hub's monitor does not answer"

# 2. The corridor table, row by row, against the departure nodes.
awk '/^Corridors /{on=1; next} on && /^corridor /{next} on && /^all corridors/{exit} on' "$OUT" \
    | awk -F '  +' -v OFS='\t' '{ $1 = $1; print }' > "$T/table"
rows=$(wc -l < "$T/table")
[ "$rows" -ge 3 ] || fail "the corridor table has $rows rows"
city () {
    case $1 in
        CI000101) echo Abidjan ;; TG000101) echo Lomé ;; BF000101) echo Ouagadougou ;;
        NE000101) echo Niamey ;; *) echo "$1" ;;
    esac
}
: > "$T/db"
for n in CI TG BF; do
    q "$(eval echo "\$DB_$n")" "
        with v as (select departure, destination, state,
                          extract(epoch from finished - released)::int8 as secs
                   from movement where role = 'DEPARTURE')
        select departure, destination, count(*),
               count(*) filter (where state = 'DISCHARGED'),
               count(*) filter (where state in ('RELEASED', 'EN_ROUTE', 'ARRIVED', 'CONTROLLED')),
               count(*) filter (where state = 'DISCREPANCY'),
               count(*) filter (where state in ('OVERDUE', 'UNDER_ENQUIRY', 'RECOVERY')),
               coalesce((floor(percentile_cont(0.5) within group (order by secs)
                               filter (where state = 'DISCHARGED'))::int8 / 60)::text, '-')
        from v group by 1, 2" | while IFS='|' read -r dep dst cnt dis tr disc late med; do
        if [ "$med" != - ]; then med=$(printf '%dh%02d' $((med / 60)) $((med % 60))); fi
        printf '%s -> %s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(city "$dep")" "$(city "$dst")" \
            "$cnt" "$dis" "$tr" "$disc" "$late" "$med" >> "$T/db"
    done
done
sort "$T/table" > "$T/table.s"
sort "$T/db" > "$T/db.s"
cmp -s "$T/table.s" "$T/db.s" || {
    echo "summary:" >&2; cat "$T/table.s" >&2; echo "databases:" >&2; cat "$T/db.s" >&2
    fail "the corridor table does not match the databases"; }
total=$(awk -F'\t' '{ s += $2 } END { print s }' "$T/db")
[ "$total" = "$N" ] || fail "$total movements in the databases, expected $N"
grep -q "^all corridors *$N " "$OUT" || fail "the total row does not say $N"
disch=$(awk -F'\t' '{ s += $3 } END { print s }' "$T/db")
[ "$disch" -ge $((N * 3 / 5)) ] || fail "only $disch of $N discharged"
log "corridor table matches the databases ($rows corridors, $disch of $N discharged)"

# 3. The specials: one broken seal, one lost truck under enquiry; chains verify.
disc=$(for n in CI TG BF; do q "$(eval echo "\$DB_$n")" "select mrn || ' $n' from movement where role = 'DEPARTURE' and state = 'DISCREPANCY'"; done)
enq=$(for n in CI TG BF; do q "$(eval echo "\$DB_$n")" "select mrn || ' $n' from movement where role = 'DEPARTURE' and state = 'UNDER_ENQUIRY'"; done)
[ "$(echo "$disc" | grep -c .)" = 1 ] || fail "expected one DISCREPANCY, got: $disc"
[ "$(echo "$enq" | grep -c .)" = 1 ] || fail "expected one UNDER_ENQUIRY, got: $enq"
grep -q "discrepancy: ${disc% *} " "$OUT" || fail "the summary does not name the discrepancy ${disc% *}"
grep -q "overdue: *${enq% *} UNDER_ENQUIRY" "$OUT" || fail "the summary does not name ${enq% *}"
for x in "$disc" "$enq"; do
    "$SIGMATCTL" movement verify "${x% *}" --db "$(eval echo "\$DB_${x#* }")" > "$T/verify" 2>&1 \
        || fail "chain of ${x% *}: $(cat "$T/verify")"
done
[ "$(q "$(eval echo "\$DB_${disc#* }")" "select count(*) from movement_incident where mrn = '${disc% *}' and code = 'SB'")" = 1 ] \
    || fail "the broken seal's INC SB is not recorded"
q "$(eval echo "\$DB_${enq#* }")" "select string_agg(to_state, ' ' order by seq) from movement_event where mrn = '${enq% *}' and office = (select office from movement where mrn = '${enq% *}' and role = 'DEPARTURE')" \
    | grep -q "RELEASED .*OVERDUE .*UNDER_ENQUIRY" || fail "${enq% *} did not go OVERDUE then UNDER_ENQUIRY"

# 4. Links, queues, dead letters, refusals, webhooks.
link () { awk -v l="$1" 'index($0, l " ") == 1 { print $(NF - 2), $(NF - 1), $NF }' "$OUT"; }
[ "$(link "hub -> BF")" = "$(q "$DB_hub" "select count(*) filter (where state = 'done') || ' 0 0' from delivery where next_hop = 'BF'")" ] \
    || fail "link hub -> BF: summary '$(link "hub -> BF")'"
[ "$(link "ci-asycuda -> CI" | cut -d' ' -f1)" = "$(q "$DB_CI" "select count(*) from message where from_peer = 'ci-asycuda'")" ] \
    || fail "link ci-asycuda -> CI"
[ "$(link "NE -> ne-generic" | cut -d' ' -f1)" = "$(wc -l < "$HOOK_LOG")" ] \
    || fail "NE delivered $(link "NE -> ne-generic") to its adapter, Niger's system got $(wc -l < "$HOOK_LOG") webhooks"
for n in $NODES; do
    [ "$(q "$(eval echo "\$DB_$n")" "select count(*) from delivery where state <> 'done'")" = 0 ] \
        || fail "$n has messages waiting or dead"
    [ "$(q "$(eval echo "\$DB_$n")" "select count(*) from movement_rejection")" = 0 ] \
        || fail "$n refused messages: $(q "$(eval echo "\$DB_$n")" "select msg_type, reason from movement_rejection limit 3")"
done
grep -q "refused by a lifecycle (NAK 90/92): 0; webhooks received by Niger's system: $(wc -l < "$HOOK_LOG")$" "$OUT" \
    || fail "the refusals/webhooks line is wrong"
for a in ci-asycuda bf-asycuda tg-asycuda; do
    [ -z "$(ls "$DIR/$a/rejected")" ] || fail "$a rejected files: $(cat "$DIR/$a"/rejected/*.err | head -5)"
done
log "links, queues and webhooks match"

# 4b. The adapters' /metrics agree with their folders and the webhooks.
. "$SRC/tests/scenarios/promcheck.sh"
scrape () { curl -sf --max-time 10 -H "Authorization: Bearer $2" "http://127.0.0.1:$1/metrics"; }
val () { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }
sum () { awk -v p="$2{" 'index($1, p) == 1 { s += $2 } END { print s + 0 }' "$1"; }
scrape "$HTTP_CI" "$ASY_TOKEN" > "$T/ci-asycuda.prom" || fail "ci-asycuda /metrics"
scrape "$HTTP_NE" "$GEN_TOKEN" > "$T/ne-generic.prom" || fail "ne-generic /metrics"
for f in "$T/ci-asycuda.prom" "$T/ne-generic.prom"; do
    prom_check "$f" || fail "$(basename "$f") is not valid Prometheus text format"
    [ "$(val "$f" sigmat_adapter_node_connected)" = 1 ] || fail "$(basename "$f"): not connected"
    [ "$(val "$f" sigmat_adapter_outbox_depth)" = 0 ] || fail "$(basename "$f"): outbox not empty"
done
[ "$(val "$T/ci-asycuda.prom" sigmat_adapter_files_processed_total)" = "$(ls "$DIR/ci-asycuda/done" | wc -l)" ] \
    || fail "ci-asycuda: files processed $(val "$T/ci-asycuda.prom" sigmat_adapter_files_processed_total), done/ has $(ls "$DIR/ci-asycuda/done" | wc -l)"
[ "$(sum "$T/ci-asycuda.prom" sigmat_adapter_inbox_writes_total)" = "$(ls "$DIR/ci-asycuda/inbox" | wc -l)" ] \
    || fail "ci-asycuda: inbox writes $(sum "$T/ci-asycuda.prom" sigmat_adapter_inbox_writes_total), inbox/ has $(ls "$DIR/ci-asycuda/inbox" | wc -l)"
[ "$(sum "$T/ci-asycuda.prom" sigmat_adapter_officer_actions_total)" -gt 0 ] || fail "ci-asycuda: no officer action"
[ "$(sum "$T/ne-generic.prom" sigmat_adapter_inbox_writes_total)" = "$(wc -l < "$HOOK_LOG")" ] \
    || fail "ne-generic: webhooks delivered $(sum "$T/ne-generic.prom" sigmat_adapter_inbox_writes_total), received $(wc -l < "$HOOK_LOG")"
[ "$(val "$T/ne-generic.prom" sigmat_adapter_webhooks_pending)" = 0 ] || fail "ne-generic: webhooks pending"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_CI/metrics")" = 401 ] \
    || fail "ci-asycuda served /metrics without a token"
# A file ASYCUDA cannot have written lands in rejected/ and in the metric.
printf '<ASYCUDA><broken>\n' > "$DIR/ci-asycuda/spool/.bad.tmp"
mv "$DIR/ci-asycuda/spool/.bad.tmp" "$DIR/ci-asycuda/spool/bad-export.xml"
i=0
until [ "$(scrape "$HTTP_CI" "$ASY_TOKEN" | awk '$1 == "sigmat_adapter_files_rejected" { print $2 }')" = 1 ]; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "the rejected file is not counted"; sleep 0.2
done
# The CI node reads its adapter's /metrics for its dashboard (/api/adapters).
i=0
until curl -sf "http://127.0.0.1:$MON_CI/api/adapters" | python3 -c "
import json, sys
a = json.load(sys.stdin)
sys.exit(0 if len(a) == 1 and a[0]['ok'] and a[0]['name'] == 'CI' and a[0]['node_connected'] == 1
         and a[0]['files_rejected'] == 1 and 'token=redacted' in a[0]['url'] else 1)"; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "CI /api/adapters: $(curl -s "http://127.0.0.1:$MON_CI/api/adapters")"; sleep 0.2
done
curl -s "http://127.0.0.1:$MON_CI/api/adapters" | grep -q "$ASY_TOKEN" && fail "/api/adapters shows the adapter's token"
curl -sf "http://127.0.0.1:$MON_NE/api/adapters" | grep -q '"webhooks_pending":0' \
    || fail "NE /api/adapters: $(curl -s "http://127.0.0.1:$MON_NE/api/adapters")"
log "adapters' metrics match (files, inbox, webhooks, rejected), and the nodes show them"

# 5. down: no process left, no folder.
SIGMAT_BUILDDIR=$BUILD sh "$SRC/deploy/corridor" down --dir "$DIR" > "$T/down" 2>&1 || fail "down failed"
sleep 0.5
for p in /proc/[0-9]*; do
    cat "$p/cmdline" 2>/dev/null | tr '\0' ' ' | grep -qF "$DIR/" && fail "still running after down: $(tr '\0' ' ' < "$p/cmdline")"
done
[ -e "$DIR" ] && fail "$DIR still exists after down"
log "PASS"
exit 0
