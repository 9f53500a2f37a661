# corridor.d/lib.sh - the parts of deploy/corridor that set up and stop the
# corridor (sourced). Every process runs in its own session (setsid, so a
# Ctrl-C reaches only deploy/corridor, which stops them in order) and has a
# pid file in $DIR/run; `down` uses those files, so it also cleans up after
# a run that was killed.
#
# Topology: every country node peers with the hub only (star); the hub
# routes each country to its node. Nodes know the other countries' signing
# keys (peer without endpoint), since messages keep their origin's
# signature end to end.

MARK=.sigmat-corridor
NODES="hub CI BF NE TG"
COUNTRIES="CI BF NE TG"

phase () { printf '[%4ss] == %s\n' "$(( $(date +%s) - ${T0:-$(date +%s)} ))" "$*"; }
die () { echo "corridor: $*" >&2; cor_stop_all; exit 1; }

cor_binaries () {
    SIGMATD=$BUILD/broker/sigmatd
    SIGMATCTL=$BUILD/broker/sigmatctl
    ASY=$BUILD/adapters/asycuda/sigmat-asycuda
    GEN=$BUILD/adapters/generic/sigmat-generic
    for b in "$SIGMATD" "$SIGMATCTL" "$ASY" "$GEN"; do
        [ -x "$b" ] || { echo "corridor: $b is not built (run without --no-build, or set SIGMAT_BUILDDIR)" >&2; exit 1; }
    done
    for t in python3 psql; do
        command -v $t >/dev/null 2>&1 || { echo "corridor: $t is needed (deploy/install-deps installs it)" >&2; exit 1; }
    done
}

# True if pid $1 is alive and its command line names our folder.
cor_ours () {
    [ -r "/proc/$1/cmdline" ] || return 1
    tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF "$DIR"
}

cor_gone () {
    kill -0 "$1" 2>/dev/null || return 0
    if [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; then
        wait "$1" 2>/dev/null
        return 0
    fi
    return 1
}

# cor_stop_pidfile FILE: SIGTERM, wait up to 20 s, then SIGKILL.
cor_stop_pidfile () {
    [ -f "$1" ] || return 0
    pid=$(cat "$1")
    name=$(basename "$1" .pid)
    if [ -n "$pid" ] && cor_ours "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        i=0
        while ! cor_gone "$pid"; do
            i=$((i + 1))
            if [ $i -gt 200 ]; then
                echo "corridor: $name (pid $pid) did not stop after SIGTERM; killing it" >&2
                kill -KILL "$pid" 2>/dev/null
                break
            fi
            sleep 0.1
        done
    fi
    rm -f "$1"
}

# Stops every process of the run: adapters, receiver, nodes (hub last), then
# the database cluster. Keeps the folder.
cor_stop_all () {
    [ -d "$DIR/run" ] || return 0
    [ "${1:-}" = quiet ] || phase "stopping: adapters, nodes (SIGTERM, wait), PostgreSQL"
    for f in "$DIR"/run/adapter-*.pid "$DIR"/run/receiver.pid; do cor_stop_pidfile "$f"; done
    for n in $COUNTRIES hub; do cor_stop_pidfile "$DIR/run/node-$n.pid"; done
    for f in "$DIR"/run/*.pid; do cor_stop_pidfile "$f"; done
    if [ -f "$DIR/pg/.sigmat-pg" ]; then
        sh "$SRC/tests/pg.sh" stop "$DIR/pg" >/dev/null 2>&1 \
            || echo "corridor: could not stop PostgreSQL in $DIR/pg" >&2
    fi
}

cor_interrupted () {
    trap - INT TERM HUP
    echo "corridor: interrupted" >&2
    cor_stop_all
    exit 130
}

# Stops a previous run in $DIR and removes the folder.
cor_down () {
    [ -e "$DIR" ] || { [ "${1:-}" = quiet ] || echo "corridor: nothing in $DIR"; return 0; }
    if [ ! -f "$DIR/$MARK" ]; then
        [ -z "$(ls -A "$DIR" 2>/dev/null)" ] && { rmdir "$DIR"; return 0; }
        echo "corridor: $DIR was not made by deploy/corridor (no $MARK); not touching it" >&2
        exit 1
    fi
    cor_stop_all quiet
    rm -rf "$DIR"
    [ "${1:-}" = quiet ] || echo "corridor: stopped and removed $DIR"
}

# True if something listens on loopback port $1 (ss, or Python where iproute2 is absent).
cor_listening () {
    if command -v ss >/dev/null 2>&1; then
        ss -Htln "sport = :$1" 2>/dev/null | grep -q .
    else
        python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
            "$1" 2>/dev/null
    fi
}

# The ports given out so far are kept in a file: cor_port runs in a
# subshell ($(cor_port N)), where a variable would be forgotten, and two
# processes of the corridor would then get one port.
cor_free () { ! cor_listening "$1" && ! grep -qx "$1" "$DIR/ports.used" 2>/dev/null; }
# cor_port OFFSET: the port BASE+OFFSET, or a random free one (--ports random,
# or when that one is taken) from 10000-31999, or from LO-HI with
# --ports random:LO-HI (the chaos test takes a band of its own: the ports of
# the processes it kills must not be taken by another test meanwhile).
cor_port () {
    p= lo=10000 hi=31999
    case $PORTS in
        random:*-*) lo=${PORTS#random:}; lo=${lo%-*}; hi=${PORTS##*-} ;;
        random) ;;
        *) p=$((PORTS + $1)) ;;
    esac
    if [ -z "$p" ] || ! cor_free "$p"; then
        while :; do
            p=$(( lo + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (hi - lo + 1) ))
            cor_free "$p" && break
        done
    fi
    echo "$p" >> "$DIR/ports.used"
    echo "$p"
}

envset () { eval "$1=\$2"; printf "%s='%s'\n" "$1" "$2" >> "$DIR/corridor.env"; }
envget () { eval "echo \"\$$1\""; }

ctl () { "$SIGMATCTL" "$@" >> "$DIR/log/setup.log" 2>&1 || die "sigmatctl $* failed (see $DIR/log/setup.log)"; }

# cor_peer AT NAME ROLE OFFICES [ENDPOINT]
cor_peer () {
    set -- "$1" "$2" "$3" "$4" "${5:-}"
    k=$DIR/keys/$2
    if [ -n "$5" ]; then
        ctl peer add "$2" --role "$3" --curve-pub "$k.curve.pub" --sign-pub "$k.sign.pub" \
            --offices "$4" --endpoint "$5" --db "$(envget "DB_$1")"
    elif [ -n "$4" ]; then
        ctl peer add "$2" --role "$3" --curve-pub "$k.curve.pub" --sign-pub "$k.sign.pub" \
            --offices "$4" --db "$(envget "DB_$1")"
    else
        ctl peer add "$2" --role "$3" --curve-pub "$k.curve.pub" --sign-pub "$k.sign.pub" \
            --db "$(envget "DB_$1")"
    fi
}

cor_setup () {
    : > "$DIR/corridor.env"
    : > "$DIR/ports.used"
    envset SRC "$SRC"; envset DIR "$DIR"; envset BUILD "$BUILD"
    envset SIGMATD "$SIGMATD"; envset SIGMATCTL "$SIGMATCTL"; envset ASY "$ASY"; envset GEN "$GEN"
    envset MOVEMENTS "$MOVEMENTS"; envset SHORT "$SHORT"; envset SEED "$SEED"
    envset CLOCK "$DIR/clock"; envset NODES "$NODES"
    envset DAY1 "$(date -u +%Y-%m-%d)"
    printf '%sT05:00:00Z\n' "$DAY1" > "$DIR/clock"
    i=0
    for n in $NODES; do
        dbname=n_$(echo "$n" | tr 'A-Z' 'a-z')
        conn=$(sh "$SRC/tests/pg.sh" createdb "$DIR/pg" "$dbname" 2>>"$DIR/log/pg.log") || die "createdb $dbname"
        envset "DB_$n" "$conn"
        ctl db migrate --db "$conn" --dir "$SRC/db/migrations"
        ctl keygen --dir "$DIR/keys" "$n"
        envset "PORT_$n" "$(cor_port $i)"
        envset "MON_$n" "$(cor_port $((80 + i)))"
        i=$((i + 1))
    done
    for a in ci-asycuda bf-asycuda tg-asycuda ne-generic; do ctl keygen --dir "$DIR/keys" "$a"; done
    for n in $NODES; do
        k=$DIR/keys/$n
        c=$n; [ "$n" = hub ] && c=ZZ
        cat > "$DIR/$n.conf" <<EOF
# deploy/corridor: node $n
name $n
country $c
bind tcp://127.0.0.1:$(envget "PORT_$n")
db "$(envget "DB_$n")"
migrations_dir $SRC/db/migrations
curve_secret $k.curve.key
curve_public $k.curve.pub
sign_key $k.sign.key
log_level info
heartbeat 1s
resend_timeout 1s
resend_backoff_max 4s
status_interval 1s
lifecycle yes
discharge auto
enquiry_after 1d
clock_file $DIR/clock
timer_interval 100ms
http_listen 127.0.0.1:$(envget "MON_$n")
http_sample 1s
EOF
    done
    for c in $COUNTRIES; do
        echo "http_peers http://127.0.0.1:$(envget "MON_$c")" >> "$DIR/hub.conf"
        cor_peer hub "$c" node "$c" "tcp://127.0.0.1:$(envget "PORT_$c")"
        ctl route add "$c" "$c" --db "$(envget "DB_hub")"
        cor_peer "$c" hub node "" "tcp://127.0.0.1:$PORT_hub"
        for o in $COUNTRIES; do
            [ "$o" = "$c" ] && continue
            cor_peer "$c" "$o" node "$o"
            ctl route add "$o" hub --db "$(envget "DB_$c")"
        done
    done
    cor_peer CI ci-asycuda adapter CI
    cor_peer BF bf-asycuda adapter BF
    cor_peer TG tg-asycuda adapter TG
    cor_peer NE ne-generic adapter NE

    # ASYCUDA adapters (CI, BF, TG) with the shipped office and corridor tables.
    TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    envset ASY_TOKEN "$TOKEN"
    i=0
    for c in CI BF TG; do
        a=$(echo "$c" | tr 'A-Z' 'a-z')-asycuda
        d=$DIR/$a
        mkdir -p "$d"
        echo "$TOKEN" > "$d/token"
        hp=$(cor_port $((90 + i)))
        i=$((i + 1))
        envset "HTTP_$c" "$hp"; envset "SPOOL_$c" "$d/spool"; envset "ACONF_$c" "$DIR/$a.conf"
        # Each country keeps its own copy of the mapping profile.
        cp "$SRC/adapters/asycuda/mapping.conf" "$DIR/$a.mapping.conf"
        # The node's dashboard shows its adapter (its /metrics).
        echo "http_adapters http://127.0.0.1:$hp/metrics?token=$TOKEN" >> "$DIR/$c.conf"
        cat > "$DIR/$a.conf" <<EOF
# deploy/corridor: ASYCUDA adapter of $c
country $c
name $a
node_endpoint tcp://127.0.0.1:$(envget "PORT_$c")
node_public_key $DIR/keys/$c.curve.pub
curve_secret $DIR/keys/$a.curve.key
curve_public $DIR/keys/$a.curve.pub
connect_timeout 1s
reconnect_interval 1s
spool_dir $d/spool
work_dir $d/work
done_dir $d/done
rejected_dir $d/rejected
inbox_dir $d/inbox
state_db $d/state.db
office_table $SRC/adapters/asycuda/offices.csv
corridor_table $SRC/adapters/asycuda/corridors.csv
mapping $DIR/$a.mapping.conf
scan_interval 100ms
spool_settle 0
http_listen 127.0.0.1:$hp
http_token_file $d/token
log_level info
EOF
        "$ASY" -c "$DIR/$a.conf" check-config >> "$DIR/log/setup.log" 2>&1 || die "check-config $a (see $DIR/log/setup.log)"
    done

    # Niger: the generic adapter, webhooks to a small receiver.
    GTOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    envset GEN_TOKEN "$GTOKEN"
    od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$DIR/webhook.secret"
    envset HTTP_NE "$(cor_port 93)"
    echo "http_adapters http://127.0.0.1:$(envget HTTP_NE)/metrics?token=$GTOKEN" >> "$DIR/NE.conf"
    envset HOOK_PORT "$(cor_port 99)"
    envset HOOK_LOG "$DIR/log/webhooks.jsonl"
    envset GCONF_NE "$DIR/ne-generic.conf"
    cat > "$DIR/ne-generic.conf" <<EOF
# deploy/corridor: generic adapter of NE
name ne-generic
node_endpoint tcp://127.0.0.1:$PORT_NE
node_public_key $DIR/keys/NE.curve.pub
curve_public $DIR/keys/ne-generic.curve.pub
curve_secret $DIR/keys/ne-generic.curve.key
http_listen 127.0.0.1:$HTTP_NE
state_db $DIR/ne-generic.db
http_token niger-system $GTOKEN NE
webhook_url http://127.0.0.1:$HOOK_PORT/sigmat/hooks
webhook_secret_file $DIR/webhook.secret
webhook_retry_min 200ms
webhook_retry_max 2s
log_level info
EOF
}

# cor_spawn PIDNAME LOG CMD...: starts CMD in its own session, records its pid.
cor_spawn () {
    pidf=$DIR/run/$1.pid log=$2
    shift 2
    if command -v setsid >/dev/null 2>&1; then
        setsid "$@" >> "$log" 2>&1 < /dev/null &
    else
        "$@" >> "$log" 2>&1 < /dev/null &
    fi
    echo $! > "$pidf"
}

cor_wait_port () {
    i=0
    while ! cor_listening "$1"; do
        cor_gone "$(cat "$DIR/run/$2.pid")" && die "$2 exited at start (see $DIR/log/$3.log)"
        i=$((i + 1))
        [ $i -gt 300 ] && die "$2 is not listening on port $1 after 30 s"
        sleep 0.1
    done
}

cor_start_node () {
    cor_spawn "node-$1" "$DIR/log/$1.log" "$SIGMATD" -c "$DIR/$1.conf"
    cor_wait_port "$(envget "PORT_$1")" "node-$1" "$1"
}

cor_start_adapters () {
    for c in CI BF TG; do
        a=$(echo "$c" | tr 'A-Z' 'a-z')-asycuda
        cor_spawn "adapter-$a" "$DIR/log/$a.log" "$ASY" -c "$DIR/$a.conf" run
    done
    cor_spawn receiver "$DIR/log/receiver.log" python3 -B "$HERE/webhook.py" --port "$HOOK_PORT" \
        --secret-file "$DIR/webhook.secret" --log "$HOOK_LOG"
    cor_spawn adapter-ne-generic "$DIR/log/ne-generic.log" "$GEN" -c "$DIR/ne-generic.conf"
    for c in CI BF TG; do
        cor_wait_port "$(envget "HTTP_$c")" "adapter-$(echo "$c" | tr 'A-Z' 'a-z')-asycuda" \
            "$(echo "$c" | tr 'A-Z' 'a-z')-asycuda"
    done
    cor_wait_port "$HTTP_NE" adapter-ne-generic ne-generic
    cor_wait_port "$HOOK_PORT" receiver receiver
}
