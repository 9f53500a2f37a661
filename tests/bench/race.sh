#!/bin/sh
# race.sh - sigmat against RabbitMQ with publisher confirms, in one run on
# one machine: starts a private RabbitMQ (Debian's rabbitmq-server: loopback
# only, its own folder, config, Erlang cookie, node name, epmd and ports),
# measures it with `sigmat-bench amqp` (durable queue, persistent 2 KiB
# messages, confirms with a window of 500, consumed and acknowledged),
# stops it, then measures sigmat with tests/bench/node-bench.sh (one node
# AAR and WOF flat out, CI -> BF AAR flat out, one node at a fixed 1,000
# AAR/s for the ACK latency) and prints each rate, its ratio to RabbitMQ
# and the machine's load. Run by hand (docs/performance.md); it asserts no
# speed. RabbitMQ is stopped at the end, also on failure or Ctrl-C.
#
#   tests/bench/race.sh [--help]
#
# Environment: SIGMAT_BUILDDIR (default ./build), N (messages per flat-out
# run, default 20000), RUNS (repeats, medians are quoted, default 3),
# RABBITMQ_SERVER (default /usr/lib/rabbitmq/bin/rabbitmq-server),
# RACE_KEEP=1 keeps the RabbitMQ folder.
set -u
usage () {
    sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
}
case ${1:-} in
    -h|--help) usage; exit 0 ;;
    '') ;;
    *) usage >&2; exit 2 ;;
esac

SIGMAT_SRCDIR=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGMAT_BUILDDIR=${SIGMAT_BUILDDIR:-$SIGMAT_SRCDIR/build}
export SIGMAT_SRCDIR SIGMAT_BUILDDIR
BENCH=$SIGMAT_BUILDDIR/tests/bench/sigmat-bench
RABBITMQ_SERVER=${RABBITMQ_SERVER:-/usr/lib/rabbitmq/bin/rabbitmq-server}
N=${N:-20000}
RUNS=${RUNS:-3}
export N RUNS

[ -x "$BENCH" ] || { echo "race: build first ($BENCH missing)" >&2; exit 2; }
"$BENCH" amqp --help 2>&1 | grep -q 'sigmat-bench amqp' || {
    echo "race: sigmat-bench was built without librabbitmq (apt-get install librabbitmq-dev," >&2
    echo "      or deploy/install-deps --bench, then configure again)" >&2
    exit 2
}
[ -x "$RABBITMQ_SERVER" ] && command -v epmd >/dev/null 2>&1 || {
    echo "race: RabbitMQ missing (apt-get install rabbitmq-server, or deploy/install-deps --bench)" >&2
    exit 2
}

load () { cut -d' ' -f1-3 /proc/loadavg; }

# sg_port: a free TCP port below the ephemeral range (nothing else of
# lib.sh is used here: node-bench.sh sets up its own nodes).
. "$SIGMAT_SRCDIR/tests/scenarios/lib.sh"
port () { sg_port; }

RMQ_DIR=$(mktemp -d /tmp/sigmat-race.XXXXXX) || exit 99
RMQ_PID= EPMD_PID= RMQ_PORT=
OUT=$RMQ_DIR/out

# Stops what this script started, by process id: the rabbitmq-server
# script (which stops its Erlang VM on TERM), the VM itself if it is still
# listening on our port, and our epmd.
rabbit_stop () {
    if [ -n "$RMQ_PID" ]; then
        beam=$(ss -Htlnp "sport = :$RMQ_PORT" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
        kill -TERM "$RMQ_PID" 2>/dev/null
        i=0
        while kill -0 "$RMQ_PID" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$RMQ_PID" 2>/dev/null
        [ -n "$beam" ] && kill -0 "$beam" 2>/dev/null && kill -9 "$beam" 2>/dev/null
        wait "$RMQ_PID" 2>/dev/null
        RMQ_PID=
    fi
    if [ -n "$EPMD_PID" ]; then
        kill "$EPMD_PID" 2>/dev/null
        wait "$EPMD_PID" 2>/dev/null
        EPMD_PID=
    fi
}

finish () {
    rc=$?
    rabbit_stop
    if [ "$rc" != 0 ]; then
        for f in "$RMQ_DIR"/server.log "$RMQ_DIR"/log/*.log; do
            [ -f "$f" ] && { echo "---- tail of $f" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    if [ "${RACE_KEEP:-0}" = 1 ]; then echo "kept $RMQ_DIR" >&2; else rm -rf "$RMQ_DIR"; fi
    exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM HUP

rabbit_start () {
    RMQ_PORT=$(port)
    dist=$(port)
    epmd_port=$(port)
    mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$RMQ_DIR/home/.erlang.cookie"
    chmod 400 "$RMQ_DIR/home/.erlang.cookie"
    cat > "$RMQ_DIR/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$RMQ_PORT
loopback_users.guest = true
log.file.level = warning
log.console = false
disk_free_limit.absolute = 50MB
EOF
    echo "[]." > "$RMQ_DIR/enabled_plugins"
    : > "$RMQ_DIR/rabbitmq-env.conf"
    ERL_EPMD_ADDRESS=127.0.0.1 epmd -port "$epmd_port" >"$RMQ_DIR/epmd.log" 2>&1 &
    EPMD_PID=$!
    HOME=$RMQ_DIR/home \
    ERL_EPMD_PORT=$epmd_port \
    RABBITMQ_NODENAME=sigmat-race-$$@localhost \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$RMQ_PORT \
    RABBITMQ_DIST_PORT=$dist \
    RABBITMQ_CONF_ENV_FILE=$RMQ_DIR/rabbitmq-env.conf \
    RABBITMQ_CONFIG_FILE=$RMQ_DIR/rabbitmq.conf \
    RABBITMQ_ADVANCED_CONFIG_FILE=$RMQ_DIR/advanced.config \
    RABBITMQ_ENABLED_PLUGINS_FILE=$RMQ_DIR/enabled_plugins \
    RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia \
    RABBITMQ_LOG_BASE=$RMQ_DIR/log \
    RABBITMQ_PID_FILE=$RMQ_DIR/rabbitmq.pid \
        "$RABBITMQ_SERVER" >"$RMQ_DIR/server.log" 2>&1 </dev/null &
    RMQ_PID=$!
    i=0
    until ss -Htln "sport = :$RMQ_PORT" 2>/dev/null | grep -q .; do
        kill -0 "$RMQ_PID" 2>/dev/null || { echo "race: rabbitmq-server exited at start" >&2; exit 1; }
        i=$((i + 1))
        [ $i -lt 1200 ] || { echo "race: RabbitMQ not listening after 120 s" >&2; exit 1; }
        sleep 0.1
    done
}

# median: the middle of the numbers on stdin (mean of the two middle ones).
median () {
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
                                         else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# field FILE LABEL-REGEX LINE-PREFIX: from each block of FILE whose "# label"
# matches, the rate (msg/s) of its "accepted" or "delivered" line, or the
# p50/p99 of its "ACK latency" line ("p50 p99" in ms).
rates () {
    awk -v re="$2" -v what="$3" '
        /^# / { on = ($0 ~ re) }
        on && index($0, what) == 1 && what != "ACK latency" { for (i = 1; i < NF; i++) if ($(i + 1) == "msg/s") print $i }
        on && index($0, what) == 1 && what == "ACK latency" { print $4, $7 }' "$1"
}

ratio () { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2fx", a / b; else print "-" }'; }

echo "# race: sigmat against RabbitMQ, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(load)"
echo "# $N messages per flat-out run, $RUNS runs each, medians"

# ---- RabbitMQ
rabbit_start
rmq_version=$(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo "?")
echo "# RabbitMQ $rmq_version on 127.0.0.1:$RMQ_PORT, load $(load)"
for r in $(seq "$RUNS"); do
    "$BENCH" amqp --port "$RMQ_PORT" --count "$N" --window 500 --size 2048 --consume during \
        --label "RabbitMQ, consumed during, run $r" >>"$OUT" || exit 1
    "$BENCH" amqp --port "$RMQ_PORT" --count "$N" --window 500 --size 2048 --consume after \
        --label "RabbitMQ, consumed after, run $r" >>"$OUT" || exit 1
done
"$BENCH" amqp --port "$RMQ_PORT" --count 10000 --window 500 --size 2048 --rate 1000 --consume during \
    --label "RabbitMQ, at 1000 msg/s" >>"$OUT" || exit 1
cat "$OUT"
rabbit_stop
rmq_load=$(load)

# ---- sigmat (each node-bench.sh run sets up and tears down its own nodes
# and PostgreSQL cluster)
: >"$RMQ_DIR/sigmat"
RATE=1000 "$SIGMAT_SRCDIR/tests/bench/node-bench.sh" single >>"$RMQ_DIR/sigmat" || exit 1
echo "# load after single AAR: $(load)" >>"$RMQ_DIR/sigmat"
TEMPLATE=$SIGMAT_SRCDIR/messages/examples/wof.xml RATE=0 \
    "$SIGMAT_SRCDIR/tests/bench/node-bench.sh" single | sed 's/^# single node/# WOF single node/' \
    >>"$RMQ_DIR/sigmat" || exit 1
echo "# load after single WOF: $(load)" >>"$RMQ_DIR/sigmat"
RATE=0 "$SIGMAT_SRCDIR/tests/bench/node-bench.sh" corridor >>"$RMQ_DIR/sigmat" || exit 1
cat "$RMQ_DIR/sigmat"
sig_load=$(load)

# ---- the table
S=$RMQ_DIR/sigmat
rmq_during=$(rates "$OUT" 'consumed during, run' 'accepted' | median)
rmq_during_del=$(rates "$OUT" 'consumed during, run' 'delivered' | median)
rmq_after=$(rates "$OUT" 'consumed after, run' 'accepted' | median)
rmq_after_del=$(rates "$OUT" 'consumed after, run' 'delivered' | median)
rmq_lat=$(rates "$OUT" 'RabbitMQ, at ' 'ACK latency')
# The yardstick: RabbitMQ's better confirmed rate of the two ways.
ref=$(printf '%s\n%s\n' "$rmq_during" "$rmq_after" | sort -n | tail -n 1)
aar=$(rates "$S" '^# single node, flat out' 'accepted' | median)
aar_del=$(rates "$S" '^# single node, flat out' 'delivered' | median)
wof=$(rates "$S" '^# WOF single node, flat out' 'accepted' | median)
wof_del=$(rates "$S" '^# WOF single node, flat out' 'delivered' | median)
two=$(rates "$S" '^# CI -> BF, flat out' 'accepted' | median)
two_del=$(rates "$S" '^# CI -> BF, flat out' 'delivered' | median)
lat=$(rates "$S" '^# single node, at ' 'ACK latency')
p99=$(echo "$lat" | awk '{ print $2 }')

echo
echo "## race result ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; load during RabbitMQ $rmq_load, during sigmat $sig_load)"
echo
echo "| system | accepted msg/s | delivered msg/s | ratio to RabbitMQ | target |"
echo "|---|---:|---:|---:|---|"
echo "| RabbitMQ $rmq_version, 2 KiB, confirms window 500, consumed during | $rmq_during | $rmq_during_del | - | - |"
echo "| RabbitMQ, same, consumed after publishing | $rmq_after | $rmq_after_del | - | - |"
echo "| sigmat, one node, AAR | $aar | $aar_del | $(ratio "$aar" "$ref") | >= 1.0x |"
echo "| sigmat, one node, WOF | $wof | $wof_del | $(ratio "$wof" "$ref") | >= 1.5x |"
echo "| sigmat, CI -> BF, AAR | $two | $two_del | $(ratio "$two" "$ref") | >= 0.6x |"
echo
echo "| at 1,000 msg/s | ACK p50 / p99 (ms) | target |"
echo "|---|---|---|"
echo "| RabbitMQ, 2 KiB | $(echo "$rmq_lat" | awk '{ print $1 " / " $2 }') | - |"
echo "| sigmat, one node, AAR | $(echo "$lat" | awk '{ print $1 " / " $2 }') | p99 < 10 ms: $(awk -v p="$p99" 'BEGIN { print (p != "" && p < 10) ? "met" : "not met" }') |"
echo
echo "Ratios are to RabbitMQ's better confirmed rate ($ref msg/s); medians of $RUNS runs of $N."
