# lib.sh - shared helpers for the scenario tests (sourced, POSIX sh + bash
# arrays avoided). Each test gets its own folder, PostgreSQL cluster
# (tests/pg.sh), one database, key set and config per node, loopback TCP
# on free ports; everything it started is stopped by the EXIT trap, also
# on failure.
#
#   . "$SIGMAT_SRCDIR/tests/scenarios/lib.sh"
#   sg_setup NAME           folder, cluster, binaries, trap
#   sg_node NAME COUNTRY    database (migrated), keys, config; sets PORT_<NAME>
#   sg_adapter NAME         keys for an adapter (register it with sg_peer)
#   sg_adapter_link NAME NODE   its config lines for the node (name, keys)
#   sg_peer AT NAME ROLE OFFICES [ENDPOINT]   register NAME in AT's database
#   sg_route AT PREFIX HOP
#   sg_ci_bf / sg_ci_hub_bf   adapters, peers and routes of CI -> BF (direct
#                           or through hub), on nodes made with sg_node
#   sg_twin NODE NAME       a second sigmatd of NODE (same keys and database)
#   sg_wof FILE [SED...]    a WOF for CI000401 with a fresh $id and $mrn
#   sg_start NAME / sg_stop NAME / sg_kill NAME
#   sg_sql NAME SQL         one value from NAME's database
#   sg_send / sg_listen     the sgtest client against a node
#   sg_fail MSG / sg_pass
#
# Environment: SIGMAT_SRCDIR, SIGMAT_BUILDDIR (set by make check), SIGMAT_LONG=1
# for the big numbers, SG_KEEP=1 to keep the folder after a failure (with
# NAME.dump, each node's delivery rows),
# SG_LIFECYCLE=yes for nodes that track movements (off by default: most
# scenarios test transport with messages no movement would accept).

set -u

SG_SRC=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SG_BUILD=${SIGMAT_BUILDDIR:-$SG_SRC}
SG_PIDS=""
SG_T0=$(date +%s)

sg_log () { echo "[$(( $(date +%s) - SG_T0 ))s] $*" >&2; }

sg_fail () {
    echo "FAIL: $SG_NAME: $*" >&2
    for f in "$SG_DIR"/*.log; do
        [ -f "$f" ] || continue
        echo "---- tail of $f" >&2
        tail -n 25 "$f" >&2
    done
    SG_FAILED=1
    exit 1
}

sg_pass () {
    sg_log "PASS: $SG_NAME"
    exit 0
}

sg_skip () {
    echo "SKIP: $SG_NAME: $*" >&2
    exit 77
}

sg_cleanup () {
    rc=$?
    for p in $SG_PIDS; do
        kill -9 "$p" 2>/dev/null
    done
    for p in $SG_PIDS; do
        wait "$p" 2>/dev/null
    done
    if [ "$rc" != 0 ] && [ "${SG_KEEP:-0}" = 1 ]; then
        # Each node's deliveries, in seq order, to see who sent what when.
        for n in ${SG_NODES:-}; do
            psql -X -q -A -F ' ' -d "$(sg_conninfo "$n")" -c "SELECT d.seq, d.message_id,
                m.mrn, d.next_hop, d.state, d.attempts, m.received, d.acked_at FROM delivery d
                JOIN message m ON m.id = d.message_id ORDER BY d.seq" > "$SG_DIR/$n.dump" 2>&1
        done
    fi
    if [ -n "${SG_PGDIR:-}" ] && [ -d "$SG_PGDIR" ]; then
        sh "$SG_SRC/tests/pg.sh" stop "$SG_PGDIR" >/dev/null 2>&1
    fi
    if [ "${SG_KEEP:-0}" = 2 ]; then echo "kept $SG_DIR" >&2
    elif [ "$rc" = 0 ] || [ "${SG_KEEP:-0}" != 1 ]; then
        rm -rf "$SG_DIR"
    else
        echo "kept $SG_DIR" >&2
    fi
    exit $rc
}

# Finds a binary in the build tree (libtool wrappers are fine).
sg_bin () {
    for p in "$SG_BUILD/$1" "$SG_BUILD/broker/$1" "$SG_BUILD/tests/scenarios/$1"; do
        [ -x "$p" ] && { echo "$p"; return; }
    done
    echo ""
}

sg_setup () {
    SG_NAME=$1
    SG_FAILED=0
    SG_DIR=$(mktemp -d /tmp/sigmat-scn.XXXXXX) || exit 99
    chmod 755 "$SG_DIR"
    trap sg_cleanup EXIT
    trap 'exit 1' INT TERM HUP
    SIGMATD=${SIGMATD:-$(sg_bin sigmatd)}
    SIGMATCTL=${SIGMATCTL:-$(sg_bin sigmatctl)}
    SGTEST=${SGTEST:-$(sg_bin sgtest)}
    [ -n "$SIGMATD" ] || sg_fail "sigmatd not built in $SG_BUILD"
    [ -n "$SIGMATCTL" ] || sg_fail "sigmatctl not built in $SG_BUILD"
    [ -n "$SGTEST" ] || sg_fail "tests/scenarios/sgtest not built in $SG_BUILD"
    SG_MIGRATIONS=$SG_SRC/db/migrations
    SG_EXAMPLES=$SG_SRC/messages/examples
    export SIGMAT_SCHEMA_DIR=${SIGMAT_SCHEMA_DIR:-$SG_SRC/messages/schemas}
    export SIGMAT_MIGRATIONS_DIR=$SG_MIGRATIONS
    SG_PGDIR=$SG_DIR/pg
    SG_PGCONN=$(sh "$SG_SRC/tests/pg.sh" start "$SG_PGDIR" $$)
    case $? in
        0) ;;
        3) [ "${CI:-}" = true ] && sg_fail "PostgreSQL unavailable"; SG_PGDIR=; sg_skip "PostgreSQL unavailable" ;;
        *) SG_PGDIR=; sg_fail "cannot start PostgreSQL" ;;
    esac
    mkdir -p "$SG_DIR/keys"
    sg_log "setup $SG_NAME in $SG_DIR"
}

# A TCP port nobody listens on (random, checked with ss), below Linux's
# ephemeral range (32768-60999) so an outgoing connection cannot take it
# between the choice and the bind, or while a node is down for a restart.
sg_port () {
    while :; do
        p=$(( 10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 22000 ))
        ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
    done
}

# Sets variable NAME_VAR for node $1 (dots and dashes become _).
sg_var () { echo "$1" | tr '.-' '__'; }

sg_conninfo () { eval "echo \"\$DB_$(sg_var "$1")\""; }
sg_endpoint () { eval "echo \"tcp://127.0.0.1:\$PORT_$(sg_var "$1")\""; }

sg_keygen () {
    "$SIGMATCTL" keygen --dir "$SG_DIR/keys" "$1" >/dev/null || sg_fail "keygen $1"
}

# sg_node NAME COUNTRY [EXTRA CONFIG LINES...]
sg_node () {
    name=$1 country=$2
    shift 2
    v=$(sg_var "$name")
    dbname=$(echo "n_$v" | tr 'A-Z.' 'a-z_')
    conn=$(sh "$SG_SRC/tests/pg.sh" createdb "$SG_PGDIR" "$dbname") || sg_fail "createdb $dbname"
    eval "DB_$v=\"\$conn\""
    SG_NODES="${SG_NODES:-} $name"
    "$SIGMATCTL" db migrate --db "$conn" --dir "$SG_MIGRATIONS" >/dev/null \
        || sg_fail "migrate $name"
    sg_keygen "$name"
    port=$(sg_port)
    eval "PORT_$v=$port"
    k=$SG_DIR/keys/$name
    cat > "$SG_DIR/$name.conf" <<EOF
# scenario node $name
name $name
country $country
bind tcp://127.0.0.1:$port
db "$conn"
migrations_dir $SG_MIGRATIONS
curve_secret $k.curve.key
curve_public $k.curve.pub
sign_key $k.sign.key
log_level ${SG_LOG_LEVEL:-info}
heartbeat 1s
resend_timeout 1s
resend_backoff_max 4s
status_interval 1s
lifecycle ${SG_LIFECYCLE:-no}
EOF
    for line in "$@"; do
        echo "$line" >> "$SG_DIR/$name.conf"
    done
}

sg_adapter () { sg_keygen "$1"; }

# sg_adapter_link NAME NODE: the config lines (either adapter's) that
# connect adapter NAME to node NODE: its name, the endpoint and the keys.
sg_adapter_link () {
    printf 'name %s\nnode_endpoint %s\nnode_public_key %s\ncurve_public %s\ncurve_secret %s\n' \
        "$1" "$(sg_endpoint "$2")" "$SG_DIR/keys/$2.curve.pub" "$SG_DIR/keys/$1.curve.pub" \
        "$SG_DIR/keys/$1.curve.key"
}

# sg_peer AT NAME ROLE OFFICES [ENDPOINT]
sg_peer () {
    at=$1 name=$2 role=$3 offices=$4 ep=${5:-}
    k=$SG_DIR/keys/$name
    set -- peer add "$name" --role "$role" --curve-pub "$k.curve.pub" --sign-pub "$k.sign.pub" \
        --db "$(sg_conninfo "$at")"
    [ -n "$offices" ] && set -- "$@" --offices "$offices"
    [ -n "$ep" ] && set -- "$@" --endpoint "$ep"
    "$SIGMATCTL" "$@" >/dev/null || sg_fail "peer add $name at $at"
}

sg_route () {
    "$SIGMATCTL" route add "$2" "$3" --db "$(sg_conninfo "$1")" >/dev/null \
        || sg_fail "route add $2 $3 at $1"
}

# sg_ci_bf: adapters ci-adapter (at CI) and bf-adapter (at BF), and nodes
# CI and BF peered with each other, CI routing BF to BF.
sg_ci_bf () {
    sg_adapter ci-adapter
    sg_adapter bf-adapter
    sg_peer CI ci-adapter adapter CI
    sg_peer CI BF node BF "$(sg_endpoint BF)"
    sg_route CI BF BF
    sg_peer BF bf-adapter adapter BF
    sg_peer BF CI node CI "$(sg_endpoint CI)"
}

# sg_ci_hub_bf: the same through node hub (CI -> hub -> BF, routes both
# ways at the hub); BF knows CI as the origin (signing key, no link).
sg_ci_hub_bf () {
    sg_adapter ci-adapter
    sg_adapter bf-adapter
    sg_peer CI ci-adapter adapter CI
    sg_peer CI hub node "" "$(sg_endpoint hub)"
    sg_route CI BF hub
    sg_peer hub CI node CI "$(sg_endpoint CI)"
    sg_peer hub BF node BF "$(sg_endpoint BF)"
    sg_route hub BF BF
    sg_route hub CI CI
    sg_peer BF bf-adapter adapter BF
    sg_peer BF hub node "" "$(sg_endpoint hub)"
    sg_peer BF CI node CI
}

# sg_twin NODE NAME: NAME.conf for a second sigmatd of NODE (HA: same
# name, keys, database and peers) listening on its own port, PORT_NAME.
sg_twin () {
    port=$(sg_port)
    eval "PORT_$(sg_var "$2")=$port"
    sed "s|^bind .*|bind tcp://127.0.0.1:$port|" "$SG_DIR/$1.conf" > "$SG_DIR/$2.conf"
    cp "$SG_DIR/keys/$1.curve.pub" "$SG_DIR/keys/$2.curve.pub"     # same node, same keys
}

# sg_wof FILE [SED-EXPRESSIONS...]: writes to FILE the example WOF for
# office CI000401 with a fresh message id and MRN, set in $id and $mrn.
sg_wof () {
    out=$1
    shift
    mrn=$("$SIGMATCTL" mrn new CI) || sg_fail "mrn new"
    id=$(cat /proc/sys/kernel/random/uuid)
    sed -e "s|<MessageID>[^<]*<|<MessageID>$id<|" -e "s|<DeclarationID>[^<]*<|<DeclarationID>$mrn<|" \
        -e "s|<RecipientOfficeID>[^<]*<|<RecipientOfficeID>CI000401<|" "$@" \
        "$SG_EXAMPLES/wof.xml" > "$out"
}

# sg_browser LABEL: for the dashboard tests, finds node, chromium
# ($CHROMIUM) and playwright-core (npm ci in tests/dashboard, or
# $SG_DASHBOARD_MODULES) and sets HERE, CHROMIUM, NODE_MODULES; without
# them skips, or fails under CI=true but in a read-only tree (make
# distcheck's copy of the sources has no node_modules).
sg_browser () {
    HERE=$SG_SRC/tests/dashboard
    CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
    NODE_MODULES=${SG_DASHBOARD_MODULES:-$HERE/node_modules}
    missing=""
    command -v node >/dev/null 2>&1 || missing="node"
    [ -x "$CHROMIUM" ] || missing="$missing chromium"
    [ -d "$NODE_MODULES/playwright-core" ] || missing="$missing playwright-core (npm ci in tests/dashboard)"
    [ -z "$missing" ] && return 0
    [ "${CI:-}" = true ] && [ -w "$HERE" ] && { echo "FAIL: $1: missing$missing" >&2; exit 1; }
    echo "SKIP: $1: missing$missing" >&2
    exit 77
}

# sg_sql NODE SQL: prints the result, unaligned, no header.
sg_sql () {
    psql -X -q -A -t -d "$(sg_conninfo "$1")" -c "$2"
}

# sg_start NAME: starts sigmatd in the background; waits until it listens.
sg_start () {
    name=$1 v=$(sg_var "$1")
    log=$SG_DIR/$name.log
    port=$(eval "echo \$PORT_$v")
    "$SIGMATD" -c "$SG_DIR/$name.conf" >>"$log" 2>&1 &
    pid=$!
    eval "PID_$v=$pid"
    SG_PIDS="$SG_PIDS $pid"
    i=0
    while ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; do
        kill -0 "$pid" 2>/dev/null || sg_fail "sigmatd $name exited at start"
        i=$((i + 1))
        [ $i -gt 200 ] && sg_fail "sigmatd $name not listening after 20 s"
        sleep 0.1
    done
}

sg_pid () { eval "echo \"\$PID_$(sg_var "$1")\""; }

# sg_ticks PID...: the CPU (utime + stime) the processes used so far, in
# clock ticks (getconf CLK_TCK per second).
sg_ticks () { for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done | sed 's/^.*) //' \
    | awk '{ t += $12 + $13 } END { print t + 0 }'; }

# sg_pg_ticks: the CPU the test PostgreSQL used so far: the postmaster,
# its live children and (cutime + cstime) those it has reaped.
sg_pg_ticks () {
    pm=$(head -1 "$SG_PGDIR/data/postmaster.pid")
    echo $(( $(sg_ticks "$pm" $(ps -o pid= --ppid "$pm")) \
             + $(sed 's/^.*) //' "/proc/$pm/stat" | awk '{ print $14 + $15 }') ))
}

# sg_stop NAME: SIGTERM and wait; fails if it does not exit 0.
sg_stop () {
    pid=$(sg_pid "$1")
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    [ "$rc" = 0 ] || sg_fail "sigmatd $1 exited $rc after SIGTERM"
}

sg_kill () {
    pid=$(sg_pid "$1")
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    sg_log "killed $1 (pid $pid)"
}

# Common sgtest connection options for client NAME at node NODE.
sg_conn () {
    echo "--node $(sg_endpoint "$2") --server-pub $SG_DIR/keys/$2.curve.pub --key $SG_DIR/keys/$1 --name $1"
}

# sg_bg CMD...: runs a command in the background, remembers its pid in SG_BG.
sg_bg () {
    "$@" &
    SG_BG=$!
    SG_PIDS="$SG_PIDS $SG_BG"
}

# Waits for pid $1 and fails with $2 if it did not exit 0.
sg_wait () {
    wait "$1"
    rc=$?
    [ "$rc" = 0 ] || sg_fail "$2 (exit $rc)"
}

# sg_until SECONDS CMD...: retries CMD every 0.2 s until it succeeds.
sg_until () {
    n=$(( $1 * 5 ))
    shift
    while [ $n -gt 0 ]; do
        "$@" && return 0
        sleep 0.2
        n=$((n - 1))
    done
    return 1
}

# sg_status_has CONNINFO PATTERN...: `sigmatctl status --db CONNINFO`
# into $out, and whether it has a line matching each grep PATTERN.
sg_status_has () {
    out=$("$SIGMATCTL" status --db "$1" 2>&1)
    shift
    for _p in "$@"; do
        echo "$out" | grep -q -- "$_p" || return 1
    done
}

# sg_status_until CONNINFO PATTERN...: sg_status_has, up to 20 s (a process
# writes its status row a moment after it listens); $out keeps the last
# output, for the caller's own checks and messages.
sg_status_until () { sg_until 20 sg_status_has "$@"; }

# Checks a listen output file: every line "id mrn seq ..." once, seq
# strictly increasing per MRN. Prints the number of deliveries.
sg_check_order () {
    awk '
        $1 == "DUP" { dup++; next }
        { if (seen[$1]++) { print "id twice: " $1 > "/dev/stderr"; bad = 1 }
          if (($2 in last) && $3 + 0 <= last[$2] + 0) { print "out of order for " $2 ": " $3 " after " last[$2] > "/dev/stderr"; bad = 1 }
          last[$2] = $3; n++ }
        END { print n + 0; exit bad }' "$1"
}
