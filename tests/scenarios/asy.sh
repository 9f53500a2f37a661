# asy.sh - helpers of the sigmat-asycuda scenarios (10-asycuda, 12-asycuda-
# exports), sourced after lib.sh with $ASY and $TOKEN set:
#   asy_conf NAME COUNTRY NODE [MAPPING]   folders, keys and config of one adapter
#   asy_start NAME / asy_pid NAME         run it in the background / its pid
#   drop FILE DEST                        put FILE into a spool as DEST, as an export should
#   asy_write NAME COUNTRY [EXTRA CONFIG LINES...]
#       writes $SG_DIR/NAME.conf for an adapter NAME of COUNTRY's node
#       (folders under $SG_DIR/NAME, the repository's tables, fast scans,
#       callbacks on a free port kept in $HTTP_<COUNTRY>), for the
#       officer scenarios (38, 39), which bring their own token files

# asy_config NAME COUNTRY NODE MAPPING [EXTRA CONFIG LINES...]: writes and
# checks $SG_DIR/NAME.conf for adapter NAME of COUNTRY connected to node
# NODE (MAPPING "" for the repository's), with its folders under
# $SG_DIR/NAME and its callbacks on a free port kept in $HTTP_<COUNTRY>.
asy_config () {
    name=$1 country=$2 node=$3 mapping=${4:-$SG_SRC/adapters/asycuda/mapping.conf}
    shift 4
    d=$SG_DIR/$name
    mkdir -p "$d"
    port=$(sg_port)
    eval "HTTP_$country=$port"
    cat > "$d.conf" <<EOC
country $country
$(sg_adapter_link "$name" "$node")
connect_timeout 1s
reconnect_interval 1s
spool_dir $d/spool
work_dir $d/work
done_dir $d/done
rejected_dir $d/rejected
inbox_dir $d/inbox
state_db $d/state.db
office_table $SG_SRC/adapters/asycuda/offices.csv
corridor_table $SG_SRC/adapters/asycuda/corridors.csv
mapping $mapping
scan_interval 100ms
spool_settle 0
http_listen 127.0.0.1:$port
log_level ${SG_LOG_LEVEL:-info}
EOC
    for line in "$@"; do
        echo "$line" >> "$d.conf"
    done
    "$ASY" -c "$d.conf" check-config >/dev/null || sg_fail "check-config $name"
}

# asy_conf NAME COUNTRY NODE [MAPPING]: folders, keys and config of one
# adapter, with the shared $TOKEN for its callbacks.
asy_conf () {
    mkdir -p "$SG_DIR/$1"
    echo "$TOKEN" > "$SG_DIR/$1/token"
    asy_config "$1" "$2" "$3" "${4:-}" "http_token_file $SG_DIR/$1/token"
}

asy_start () {
    "$ASY" -c "$SG_DIR/$1.conf" run >>"$SG_DIR/$1.log" 2>&1 &
    eval "APID_$(sg_var $1)=$!"
    SG_PIDS="$SG_PIDS $!"
}
asy_pid () { eval "echo \$APID_$(sg_var $1)"; }

# Drops a file into a spool as ASYCUDA's export should: written under a
# dot name, then renamed (the tests run with spool_settle 0).
drop () { cp "$1" "$(dirname "$2")/.$(basename "$2").tmp" && mv "$(dirname "$2")/.$(basename "$2").tmp" "$2"; }

ASY=${ASY:-${SIGMAT_ASYCUDA:-$SG_BUILD/adapters/asycuda/sigmat-asycuda}}

asy_write () {
    name=$1 country=$2
    shift 2
    asy_config "$name" "$country" "$country" "" "$@"
}
