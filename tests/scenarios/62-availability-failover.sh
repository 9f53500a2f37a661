#!/bin/sh
# 62-availability-failover: node CI on a PostgreSQL primary with a
# synchronous streaming standby (pg_basebackup -R, synchronous_standby_names,
# synchronous_commit on), its `db` a libpq multi-host conninfo with
# target_session_attrs=read-write. During traffic the primary is killed
# (kill -9, every server process) and the standby promoted (pg_ctl
# promote): sigmatd keeps running, reconnects to the promoted server by
# itself and carries on; every message it acknowledged is in the promoted
# database and reaches the receiving adapter (duplicates to the adapter
# are allowed and marked, as at-least-once delivery says), in order per MRN.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 62-availability-failover

N=${SG_N:-1500}
[ "${SIGMAT_LONG:-0}" = 1 ] && N=20000

PGBIN=$(sh "$SG_SRC/tests/pg.sh" bin) || sg_skip "PostgreSQL binaries not found"
[ -x "$PGBIN/pg_basebackup" ] || sg_skip "no pg_basebackup in $PGBIN"
as_pg () { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PRIMARY=$SG_PGDIR
STANDBY=$SG_DIR/pg2
stop_standby () {
    [ -f "$STANDBY/data/postmaster.pid" ] \
        && as_pg "$PGBIN/pg_ctl" -D "$STANDBY/data" -m immediate stop >/dev/null 2>&1
}
trap 'rc=$?; stop_standby; (exit $rc); sg_cleanup' EXIT

sg_node CI CI
sg_adapter ci-adapter
sg_adapter ci-border
sg_peer CI ci-adapter adapter CI
sg_peer CI ci-border adapter CI000401

# The standby: a base backup of the primary that follows it over its socket.
mkdir -p "$STANDBY"
[ "$(id -u)" = 0 ] && chown postgres "$STANDBY"
chmod 700 "$STANDBY"
as_pg mkdir "$STANDBY/sock"
as_pg "$PGBIN/pg_basebackup" -h "$PRIMARY/sock" -p 5432 -U postgres -D "$STANDBY/data" -R \
    -X stream -c fast > "$SG_DIR/basebackup.log" 2>&1 || sg_fail "pg_basebackup: $(cat "$SG_DIR/basebackup.log")"
as_pg sh -c "cat >> '$STANDBY/data/postgresql.auto.conf'" <<EOF
unix_socket_directories = '$STANDBY/sock'
primary_conninfo = 'host=$PRIMARY/sock port=5432 user=postgres application_name=standby1'
EOF
as_pg "$PGBIN/pg_ctl" -D "$STANDBY/data" -l "$STANDBY/server.log" -w -t 60 start >/dev/null \
    || sg_fail "standby did not start: $(tail -5 "$STANDBY/server.log")"
PSQL_P="psql -X -qAt -h $PRIMARY/sock -p 5432 -U postgres -d postgres"
sg_until 30 sh -c "[ \"\$($PSQL_P -c \"select count(*) from pg_stat_replication where application_name = 'standby1' and state = 'streaming'\")\" = 1 ]" \
    || sg_fail "the standby is not streaming"
$PSQL_P -c "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" -c "SELECT pg_reload_conf()" >/dev/null
sg_until 30 sh -c "[ \"\$($PSQL_P -c \"select sync_state from pg_stat_replication where application_name = 'standby1'\")\" = sync ]" \
    || sg_fail "the standby is not synchronous"

# The node's db: both servers, whichever accepts writes.
MULTI="host=$PRIMARY/sock,$STANDBY/sock port=5432,5432 dbname=n_ci user=postgres target_session_attrs=read-write connect_timeout=5"
sed -i "s|^db .*|db \"$MULTI\"|" "$SG_DIR/CI.conf"
DB_CI=$MULTI
sg_start CI

# sigmatctl status: the process, and the database's role through each door.
sg_status_until "$MULTI" "^node CI (.*:$(sg_pid CI)): running" "^database: primary" "standbys: 1: standby1 streaming sync"
echo "$out" | grep -q "^node CI (.*:$(sg_pid CI)): running" || sg_fail "status lacks the process: $out"
echo "$out" | grep -q "^database: primary, PostgreSQL .* at $PRIMARY/sock" || sg_fail "status lacks the primary: $out"
echo "$out" | grep -q "standbys: 1: standby1 streaming sync" || sg_fail "status lacks the sync standby: $out"
out=$("$SIGMATCTL" status --db "host=$STANDBY/sock port=5432 dbname=n_ci user=postgres") || sg_fail "status on the standby: $out"
echo "$out" | grep -q "^database: standby (in recovery, read-only)" || sg_fail "status on the standby: $out"

sg_bg "$SGTEST" listen $(sg_conn ci-border CI) --count $N --timeout 180 --out "$SG_DIR/got.out"
L=$SG_BG
sg_bg "$SGTEST" send $(sg_conn ci-adapter CI) --template "$SG_EXAMPLES/wof.xml" --from CI000101 \
    --to CI000401 --count $N --mrns 13 --timeout 180 --out "$SG_DIR/sent.out"
S=$SG_BG

# A third of the traffic acknowledged: kill the primary, every process of it.
sg_until 120 sh -c "n=\$(grep -c '^ACK' '$SG_DIR/sent.out' 2>/dev/null); [ \"\${n:-0}\" -ge $((N / 3)) ]" \
    || sg_fail "traffic did not start"
ppid=$(head -n 1 "$PRIMARY/data/postmaster.pid")
kids=$(ps -o pid= --ppid "$ppid")
kill -9 "$ppid" $kids 2>/dev/null
acked_at_kill=$(grep -c '^ACK' "$SG_DIR/sent.out")
sg_log "primary killed (pid $ppid) with $acked_at_kill of $N acknowledged"
as_pg "$PGBIN/pg_ctl" -D "$STANDBY/data" -w -t 60 promote >/dev/null || sg_fail "promote failed"
sg_log "standby promoted"

sg_wait $S "the sender did not get every message acknowledged"
[ "$(grep -c '^ACK' "$SG_DIR/sent.out")" = $N ] || sg_fail "not $N ACKs"
sg_wait $L "the receiving adapter did not get every message"
n=$(sg_check_order "$SG_DIR/got.out") || sg_fail "out-of-order delivery (or an id twice unmarked)"
[ "$n" = $N ] || sg_fail "$n distinct deliveries, expected $N"
kill -0 "$(sg_pid CI)" || sg_fail "sigmatd did not survive the failover"

# Every acknowledged id is in the promoted database (now the only writer).
PSQL_S="psql -X -qAt -h $STANDBY/sock -p 5432 -U postgres -d n_ci"
[ "$($PSQL_S -c "select pg_is_in_recovery()")" = f ] || sg_fail "the standby is still in recovery"
grep '^ACK' "$SG_DIR/sent.out" | awk '{print $2}' | sort -u > "$SG_DIR/acked.ids"
$PSQL_S -c "select id from message" | sort > "$SG_DIR/stored.ids"
missing=$(comm -23 "$SG_DIR/acked.ids" "$SG_DIR/stored.ids" | wc -l)
[ "$missing" = 0 ] || sg_fail "$missing acknowledged messages are not in the promoted database"
[ "$(wc -l < "$SG_DIR/stored.ids")" = $N ] || sg_fail "the promoted database holds $(wc -l < "$SG_DIR/stored.ids") messages, expected $N"
sg_until 30 sh -c "[ \"\$($PSQL_S -c \"select count(*) from delivery where state <> 'done'\")\" = 0 ]" \
    || sg_fail "undelivered rows left in the promoted database"
sg_log "database errors the node logged and survived: $(grep -c "cannot store\|cannot reconnect" "$SG_DIR/CI.log")"

sg_status_until "$MULTI" "^database: primary, PostgreSQL .* at $STANDBY/sock" "^node CI (.*:$(sg_pid CI)): running"
echo "$out" | grep -q "^database: primary, PostgreSQL .* at $STANDBY/sock" || sg_fail "status after the failover: $out"
echo "$out" | grep -q "^node CI (.*:$(sg_pid CI)): running" || sg_fail "status after the failover lacks the process: $out"

sg_stop CI
sg_pass
