#!/bin/sh
# node-bench.sh - measures sigmatd with sigmat-bench over loopback, with a
# real PostgreSQL (fsync on), each node in its own database of one
# throwaway cluster (tests/scenarios/lib.sh does the set-up).
#
#   tests/bench/node-bench.sh [single|corridor|backlog|all]   (default all)
#
#   single    one node: adapter -> node -> adapter; flat out, then 1,000 msg/s
#             for the per-hop latency
#   corridor  CI -> BF: origin node signs, BF verifies, BF's adapter receives
#   backlog   BF offline: intake rate with an empty queue, then with
#             BACKLOG (default 1,000,000) messages queued for BF
#
# Environment: SIGMAT_BUILDDIR (default ./build), N (messages per flat-out
# run, default 20000), BACKLOG, RUNS (flat-out repeats, default 3), RATE
# (the fixed rate of the latency runs, default 1000; 0 skips them), TEMPLATE
# (the message sent, default messages/examples/aar.xml; its sender must be
# a CI office and its recipient a BF office), NODE_CONF (one more config
# line for every node, e.g. "validate all"), WINDOW (unacknowledged
# messages per link, both in the bench's clients and in each node's
# `window`; default 500, the confirms window race.sh gives RabbitMQ), MRNS
# (how many movements the messages are spread over, default 1000; set it
# to N for traffic where nearly every message opens a movement of its own).
#
# After each mode it prints the CPU time each node and the PostgreSQL
# cluster used ("# cpu NODE: S s, U us per message"): a figure the
# machine's load disturbs far less than the rates.
set -u
SIGMAT_SRCDIR=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGMAT_BUILDDIR=${SIGMAT_BUILDDIR:-$SIGMAT_SRCDIR/build}
export SIGMAT_SRCDIR SIGMAT_BUILDDIR
. "$SIGMAT_SRCDIR/tests/scenarios/lib.sh"
BENCH=$SIGMAT_BUILDDIR/tests/bench/sigmat-bench
[ -x "$BENCH" ] || { echo "node-bench: build first ($BENCH missing)" >&2; exit 2; }
MODE=${1:-all}
N=${N:-20000}
RUNS=${RUNS:-3}
RATE=${RATE:-1000}
WINDOW=${WINDOW:-500}
MRNS=${MRNS:-1000}
BACKLOG=${BACKLOG:-1000000}
TEMPLATE=${TEMPLATE:-$SIGMAT_SRCDIR/messages/examples/aar.xml}
SG_LOG_LEVEL=${SG_LOG_LEVEL:-warn}
sg_setup node-bench

# cpu_line LABEL TICKS COUNT: "# cpu LABEL: S s, U us per message".
cpu_line () {
    awk -v s="$2" -v t="$(getconf CLK_TCK)" -v n="$3" -v name="$1" \
        'BEGIN { printf "# cpu %s: %.2f s, %.0f us per message\n", name, s / t, s / t * 1e6 / n }'
}
# cpu NAME COUNT: the CPU time (user + system) node NAME has used so far,
# and per message for COUNT messages.
cpu () { cpu_line "$1" "$(sg_ticks "$(sg_pid "$1")")" "$2"; }
# pg_mark, then pg_cpu NODE COUNT: the CPU time the whole PostgreSQL
# cluster used in between, and per message; its WAL flushes (fsyncs) so
# far (asked through NODE's database).
pg_mark () { PG0=$(sg_pg_ticks); }
pg_cpu () {
    cpu_line PostgreSQL "$(( $(sg_pg_ticks) - PG0 ))" "$2"
    sg_sql "$1" "select wal_sync from pg_stat_wal" \
        | awk -v n="$2" '{ printf "# WAL flushes, whole cluster: %d, %.3f per message\n", $1, $1 / n }'
}
node () { sg_node "$@" "window $WINDOW" ${NODE_CONF:+"$NODE_CONF"}; }
bench () { "$BENCH" node --window "$WINDOW" --mrns "$MRNS" "$@"; }

conn () { # conn NAME NODE [recv-]
    echo "--${3:-}node $(sg_endpoint "$2") --${3:-}server-pub $SG_DIR/keys/$2.curve.pub --${3:-}key $SG_DIR/keys/$1 --${3:-}name $1"
}

echo "# sigmat node bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$MODE" = single ] || [ "$MODE" = all ]; then
    node S1 CI
    sg_adapter s1-send
    sg_adapter s1-recv
    sg_peer S1 s1-send adapter CI
    sg_peer S1 s1-recv adapter BF
    sg_start S1
    pg_mark
    for r in $(seq "$RUNS"); do
        bench $(conn s1-send S1) $(conn s1-recv S1 recv-) --template "$TEMPLATE" \
            --count "$N" --duplicates fail --label "single node, flat out, run $r" || sg_fail "single run $r"
    done
    [ "$RATE" -gt 0 ] && { bench $(conn s1-send S1) $(conn s1-recv S1 recv-) --template "$TEMPLATE" \
        --count $((RATE * 10)) --rate "$RATE" --duplicates fail --label "single node, at $RATE msg/s" \
        || sg_fail "single at $RATE/s"; }
    cpu S1 $((N * RUNS + RATE * 10))
    pg_cpu S1 $((N * RUNS + RATE * 10))
    sg_stop S1
fi

if [ "$MODE" = corridor ] || [ "$MODE" = all ]; then
    node C1 CI
    node C2 BF
    sg_adapter c1-send
    sg_adapter c2-recv
    sg_peer C1 c1-send adapter CI
    sg_peer C1 C2 node BF "$(sg_endpoint C2)"
    sg_route C1 BF C2
    sg_peer C2 c2-recv adapter BF
    sg_peer C2 C1 node CI "$(sg_endpoint C1)"
    sg_start C1
    sg_start C2
    pg_mark
    for r in $(seq "$RUNS"); do
        bench $(conn c1-send C1) $(conn c2-recv C2 recv-) --template "$TEMPLATE" \
            --count "$N" --duplicates fail --label "CI -> BF, flat out, run $r" || sg_fail "corridor run $r"
    done
    [ "$RATE" -gt 0 ] && { bench $(conn c1-send C1) $(conn c2-recv C2 recv-) --template "$TEMPLATE" \
        --count $((RATE * 10)) --rate "$RATE" --duplicates fail --label "CI -> BF, at $RATE msg/s (two hops)" \
        || sg_fail "corridor at $RATE/s"; }
    cpu C1 $((N * RUNS + RATE * 10))
    cpu C2 $((N * RUNS + RATE * 10))
    pg_cpu C2 $((N * RUNS + RATE * 10))
    sg_stop C1
    sg_stop C2
fi

if [ "$MODE" = backlog ] || [ "$MODE" = all ]; then
    node B1 CI
    sg_node B2 BF                     # registered, never started: offline
    sg_adapter b1-send
    sg_peer B1 b1-send adapter CI
    sg_peer B1 B2 node BF "$(sg_endpoint B2)"
    sg_route B1 BF B2
    sg_start B1
    bench $(conn b1-send B1) --template "$TEMPLATE" --count "$N" \
        --label "intake, empty queue" || sg_fail "empty-queue intake"
    left=$BACKLOG
    while [ "$left" -gt 0 ]; do
        n=$(( left > 200000 ? 200000 : left ))
        bench $(conn b1-send B1) --template "$TEMPLATE" --count "$n" \
            --label "filling the backlog ($(( BACKLOG - left + n )) of $BACKLOG)" >/dev/null \
            || sg_fail "filling the backlog"
        left=$(( left - n ))
    done
    echo "queued for BF: $(sg_sql B1 "select count(*) from delivery where next_hop = 'B2' and state <> 'done'")"
    bench $(conn b1-send B1) --template "$TEMPLATE" --count "$N" \
        --label "intake, $BACKLOG queued for an offline peer" || sg_fail "backlog intake"
    sg_stop B1
fi
sg_pass
