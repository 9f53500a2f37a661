#!/bin/sh
# pg.sh - a throwaway PostgreSQL cluster for tests: data folder and unix
# socket inside one temporary folder, no TCP, fsync on unless
# SIGMAT_TEST_FSYNC=off. PostgreSQL refuses to run as root, so as root the
# server runs as the `postgres` user (runuser).
#
#   pg.sh start DIR [WATCH_PID]  create the cluster in DIR (empty or absent),
#                                start it, create database `sigmat`, print its
#                                libpq conninfo; with WATCH_PID, a watcher
#                                stops the cluster once that process is gone
#   pg.sh createdb DIR NAME      create database NAME, print its conninfo
#   pg.sh stop DIR               fast stop, then remove DIR
#   pg.sh bin                    print the folder of initdb, pg_ctl, pg_basebackup
#
# Exit codes: 0 ok, 1 failure, 3 PostgreSQL is not installed or cannot run
# here (callers may skip the test then).
set -u

PORT=5432
MARK=.sigmat-pg

die () { echo "pg.sh: $*" >&2; exit 1; }
unavailable () { echo "pg.sh: $*" >&2; exit 3; }

# Finds initdb/pg_ctl: $SIGMAT_PGBIN, then PATH, then Debian's folders.
find_bin () {
    if [ -n "${SIGMAT_PGBIN:-}" ]; then
        [ -x "$SIGMAT_PGBIN/initdb" ] || unavailable "no initdb in SIGMAT_PGBIN=$SIGMAT_PGBIN"
        PGBIN=$SIGMAT_PGBIN; return
    fi
    if p=$(command -v initdb 2>/dev/null) && [ -n "$p" ]; then
        PGBIN=$(dirname "$(readlink -f "$p")"); return
    fi
    PGBIN=
    for d in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
        [ -x "$d/initdb" ] && PGBIN=$d     # the glob sorts, so the newest wins
    done
    [ -n "$PGBIN" ] || unavailable "PostgreSQL server not found (no initdb in SIGMAT_PGBIN, PATH or /usr/lib/postgresql/*/bin); install it, e.g. apt-get install postgresql"
}

# Runs a command as the cluster owner: postgres when we are root.
as_owner () {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

conninfo () { echo "host=$1/sock port=$PORT dbname=$2 user=postgres"; }

check_dir () {
    case "$1" in
        /*) ;;
        *) die "DIR must be an absolute path: $1" ;;
    esac
    case "$1" in
        *[!A-Za-z0-9/._-]*) die "DIR may only hold letters, digits and / . _ -: $1" ;;
    esac
}

start () {
    dir=$1; watch=${2:-}
    check_dir "$dir"
    find_bin
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || unavailable "running as root and there is no postgres user to run the server"
        command -v runuser >/dev/null 2>&1 || unavailable "running as root and runuser is missing"
    fi
    mkdir -p "$dir" || die "cannot create $dir"
    [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
    touch "$dir/$MARK" || die "cannot write in $dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir" && chmod 700 "$dir" || die "cannot hand $dir to postgres"
        runuser -u postgres -- test -w "$dir" \
            || die "the postgres user cannot reach $dir (a parent folder is closed to it); use a folder under /tmp"
    fi
    as_owner mkdir "$dir/sock" || die "cannot create $dir/sock"
    fsync=on
    [ "${SIGMAT_TEST_FSYNC:-on}" = off ] && fsync=off
    if ! as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
            --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        die "initdb failed in $dir/data"
    fi
    as_owner sh -c "cat >> '$dir/data/postgresql.conf'" <<EOF
# pg.sh test settings
listen_addresses = ''
unix_socket_directories = '$dir/sock'
port = $PORT
fsync = $fsync
synchronous_commit = on
max_connections = 100
shared_buffers = 128MB
max_wal_size = 2GB
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
    # glibc gives the heap's free top back to the kernel after each large
    # free, so every intake batch (hundreds of KB of bodies in one Bind
    # message) faults its pages in again: up to two page faults per AAR,
    # a third of PostgreSQL's CPU on a virtual machine. docs/operations.md
    # (2.2) gives deployments the same setting.
    tunables="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=33554432"
    if ! as_owner env GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}$tunables" \
            "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            start >/dev/null 2>&1; then
        cat "$dir/server.log" >&2 2>/dev/null
        die "the server did not start (log above, from $dir/server.log)"
    fi
    if ! as_owner "$PGBIN/psql" -X -q -h "$dir/sock" -p $PORT -U postgres -d postgres \
            -c "CREATE DATABASE sigmat" >/dev/null; then
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
        die "cannot create database sigmat"
    fi
    if [ -n "$watch" ]; then
        # The watcher stops the cluster if its owner dies without doing so
        # (killed test, timeout); it exits once the folder is gone.
        ( trap '' HUP INT
          while kill -0 "$watch" 2>/dev/null && [ -d "$dir/data" ]; do sleep 1; done
          [ -d "$dir/data" ] && sh "$0" stop "$dir"
        ) </dev/null >/dev/null 2>&1 &
    fi
    conninfo "$dir" sigmat
}

createdb () {
    dir=$1; name=$2
    check_dir "$dir"
    case "$name" in
        ''|*[!a-z0-9_]*) die "database name must be lowercase letters, digits and _: $name" ;;
    esac
    find_bin
    as_owner "$PGBIN/psql" -X -q -h "$dir/sock" -p $PORT -U postgres -d postgres \
        -c "CREATE DATABASE $name" >/dev/null || die "cannot create database $name"
    conninfo "$dir" "$name"
}

stop () {
    dir=$1
    check_dir "$dir"
    [ -f "$dir/$MARK" ] || die "$dir was not made by pg.sh start; not touching it"
    if [ -f "$dir/data/postmaster.pid" ]; then
        find_bin
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start)    [ $# -ge 2 ] || die "usage: pg.sh start DIR [WATCH_PID]"; start "$2" "${3:-}" ;;
    createdb) [ $# -eq 3 ] || die "usage: pg.sh createdb DIR NAME"; createdb "$2" "$3" ;;
    stop)     [ $# -eq 2 ] || die "usage: pg.sh stop DIR"; stop "$2" ;;
    bin)      find_bin; echo "$PGBIN" ;;
    *)        die "usage: pg.sh start DIR [WATCH_PID] | createdb DIR NAME | stop DIR" ;;
esac
