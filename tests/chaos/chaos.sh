#!/bin/sh
# tests/chaos/chaos.sh - the chaos run: a whole corridor (deploy/corridor:
# hub, CI, BF, NE and TG nodes, their adapters, Niger's webhook receiver, one
# PostgreSQL cluster) carries a day of complete movements while
# tests/chaos/controller.py kills, freezes, restarts, cuts and moves things
# at random (seeded) moments; then tests/chaos/audit.py checks, from the
# databases and the adapters' outputs only, that nothing was lost, nothing
# applied twice, nothing refused, every chain intact, and prints the
# figures. See docs/reliability.md.
#
#   tests/chaos/chaos.sh [--short | --long] [--movements N] [--seed N]
#                        [--kinds LIST] [--dir DIR] [--keep] [--build-dir DIR]
#
# --short (default): sized for CI (about 3 minutes on 2 cores): 80
#   movements, a fault every 2-6 s, link cuts of 3-10 s.
# --long: by hand: 20000 movements (give --movements 50000 for the second
#   run), a fault every 8-30 s, link cuts of 10-120 s.
# --seed N: the faults' seed (default: from the clock, printed); the day's
#   plan has its own seed (SIGMAT_CORRIDOR_SEED, default 2026).
# --kinds: comma list of kill-node, kill-adapter, kill-receiver, pg-freeze,
#   pg-restart, link-cut, clock (default all).
# --keep: leave the corridor running after the audit (stop it with
#   deploy/corridor down --dir DIR).
# Exit 0 when the audit is clean, 1 when it is not, 77 without PostgreSQL.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SIGMAT_BUILDDIR:-$SRC/build}
MODE=short MOVEMENTS= SEED= KINDS= KEEP=0 DIR=
while [ $# -gt 0 ]; do
    case $1 in
        --short) MODE=short ;;
        --long) MODE=long ;;
        --movements) MOVEMENTS=${2:?}; shift ;;
        --seed) SEED=${2:?}; shift ;;
        --kinds) KINDS=${2:?}; shift ;;
        --dir) DIR=${2:?}; shift ;;
        --keep) KEEP=1 ;;
        --build-dir) BUILD=${2:?}; shift ;;
        -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "chaos: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$MOVEMENTS" ] || { MOVEMENTS=80; [ $MODE = long ] && MOVEMENTS=20000; }
[ -n "$SEED" ] || SEED=$(( $(date +%s) % 100000 ))
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
        && [ -z "${SIGMAT_PGBIN:-}" ]; then
    [ "${CI:-}" = true ] && { echo "FAIL: chaos: PostgreSQL is not installed" >&2; exit 1; }
    echo "SKIP: chaos: PostgreSQL is not installed" >&2
    exit 77
fi
for t in python3 psql runuser; do
    command -v $t >/dev/null 2>&1 || { echo "FAIL: chaos: $t is needed" >&2; exit 1; }
done
[ -x "$BUILD/broker/sigmatd" ] || { echo "FAIL: chaos: sigmatd is not built in $BUILD" >&2; exit 1; }

TMP=
if [ -z "$DIR" ]; then
    TMP=$(mktemp -d /tmp/sigmat-chaos.XXXXXX) || exit 99
    chmod 755 "$TMP"
    DIR=$TMP/state
fi
OUT=$(dirname "$DIR")/chaos-corridor.log
CTL_PID= COR_PID=
finish () {
    rc=$?
    [ -n "$CTL_PID" ] && kill "$CTL_PID" 2>/dev/null
    # the corridor waits on its traffic simulation: stop that first
    [ -n "$COR_PID" ] && { pkill -TERM -P "$COR_PID" 2>/dev/null; kill "$COR_PID" 2>/dev/null; }
    if [ $KEEP = 0 ]; then
        SIGMAT_BUILDDIR=$BUILD sh "$SRC/deploy/corridor" down --dir "$DIR" >/dev/null 2>&1
        if [ -n "$TMP" ] && { [ $rc = 0 ] || [ "${SG_KEEP:-0}" != 1 ]; }; then rm -rf "$TMP"
        elif [ -n "$TMP" ]; then echo "chaos: kept $TMP" >&2; fi
    fi
    exit $rc
}
trap finish EXIT
trap 'exit 1' INT TERM HUP

T0=$(date +%s)
echo "chaos: mode $MODE, $MOVEMENTS movements, fault seed $SEED (replay: --seed $SEED), state in $DIR"
echo "chaos: machine at start: $(uptime | sed 's/.*load/load/'), $(nproc) cores"
mkdir -p "$(dirname "$DIR")"
# Faults begin once the simulated day has started; the controller heals
# everything and writes its log when the day ends.
python3 -B "$SRC/tests/chaos/controller.py" "$DIR/corridor.env" --seed "$SEED" --mode "$MODE" \
    ${KINDS:+--kinds "$KINDS"} > "$(dirname "$DIR")/chaos-controller.log" 2>&1 &
CTL_PID=$!
if [ $MODE = long ]; then
    SHORTFLAG=
    export COR_FINISH_WAIT=1800 COR_CATCHUP_WAIT=3600
else
    SHORTFLAG=--short
    export COR_FINISH_WAIT=240 COR_CATCHUP_WAIT=240
fi
SIGMAT_CORRIDOR_HOOK=$SRC/tests/chaos/hook.sh SIGMAT_BUILDDIR=$BUILD \
    sh "$SRC/deploy/corridor" up $SHORTFLAG --detach --no-build --ports random:6000-9999 \
    --movements "$MOVEMENTS" --dir "$DIR" > "$OUT" 2>&1 &
COR_PID=$!
wait "$COR_PID"
crc=$?
COR_PID=
wait "$CTL_PID"
CTL_PID=
cat "$(dirname "$DIR")/chaos-controller.log"
if [ $crc != 0 ]; then
    echo "FAIL: chaos: the corridor run failed (exit $crc); its output:" >&2
    tail -n 40 "$OUT" >&2
fi
grep -E '^\[ *[0-9]+s\] (==|  [0-9])' "$OUT" | tail -n 4
echo "chaos: the day ran in $(( $(date +%s) - T0 )) s; auditing"
DRAIN=240; [ $MODE = long ] && DRAIN=3600
python3 -B "$SRC/tests/chaos/audit.py" "$DIR/corridor.env" --drain-timeout $DRAIN
arc=$?
echo "chaos: machine at end: $(uptime | sed 's/.*load/load/'); total $(( $(date +%s) - T0 )) s"
[ $crc = 0 ] && [ $arc = 0 ] && exit 0
exit 1
