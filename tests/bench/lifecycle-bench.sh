#!/bin/sh
# lifecycle-bench.sh - intake of one node with and without the lifecycle,
# with sigmat-bench over loopback and a real PostgreSQL (fsync on). The
# node (BF, offices BF) receives AARs for its office of destination from
# an adapter allowed to speak for CI: with `lifecycle yes` each message
# opens a destination view (one movement row and one hash-chained event,
# written set-based in the batch transaction) before it is delivered.
#
# After each run it prints the CPU each side used per message, from
# /proc/PID/stat (utime + stime): the node (sigmatd), PostgreSQL (the
# postmaster and all its processes, those that ended counted through
# its cutime/cstime) and sigmat-bench itself (/usr/bin/time), with the
# load average at the end of the run.
#
#   tests/bench/lifecycle-bench.sh        (N messages per run, default 20000; RUNS 3)
set -u
SIGMAT_SRCDIR=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGMAT_BUILDDIR=${SIGMAT_BUILDDIR:-$SIGMAT_SRCDIR/build}
export SIGMAT_SRCDIR SIGMAT_BUILDDIR
. "$SIGMAT_SRCDIR/tests/scenarios/lib.sh"
BENCH=$SIGMAT_BUILDDIR/tests/bench/sigmat-bench
[ -x "$BENCH" ] || { echo "lifecycle-bench: build first ($BENCH missing)" >&2; exit 2; }
N=${N:-20000}
RUNS=${RUNS:-3}
SG_LOG_LEVEL=warn
sg_setup lifecycle-bench
conn () { echo "--${3:-}node $(sg_endpoint "$2") --${3:-}server-pub $SG_DIR/keys/$2.curve.pub --${3:-}key $SG_DIR/keys/$1 --${3:-}name $1"; }
HZ=$(getconf CLK_TCK)
echo "# lifecycle bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
sg_adapter send
sg_adapter recv
for lc in no yes; do
    SG_LIFECYCLE=$lc
    node=L$lc
    sg_node $node BF "offices BF"
    sg_peer $node send adapter CI
    sg_peer $node recv adapter BF
    sg_start $node
    pid=$(sg_pid $node)
    for r in $(seq "$RUNS"); do
        n0=$(sg_ticks "$pid") p0=$(sg_pg_ticks)
        /usr/bin/time -f '%U %S' -o "$SG_DIR/time" \
        "$BENCH" node $(conn send $node) $(conn recv $node recv-) \
            --template "$SG_SRC/messages/examples/aar.xml" --count "$N" --mrns "$N" \
            --label "lifecycle $lc, run $r" || sg_fail "lifecycle $lc run $r"
        n1=$(sg_ticks "$pid") p1=$(sg_pg_ticks)
        awk -v hz="$HZ" -v n="$N" -v nd=$((n1 - n0)) -v pg=$((p1 - p0)) -v load="$(cut -d' ' -f1 /proc/loadavg)" \
            '{ printf "# cpu per message: node %.0f us, postgres %.0f us, bench %.0f us; load %s\n",
               nd * 1e6 / hz / n, pg * 1e6 / hz / n, ($1 + $2) * 1e6 / n, load }' "$SG_DIR/time"
    done
    [ "$lc" = yes ] && echo "# views opened: $(sg_sql $node "select count(*) from movement"), events: $(sg_sql $node "select count(*) from movement_event")"
    sg_stop $node
done
sg_pass
