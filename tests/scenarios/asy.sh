# asy.sh - helpers of the scenarios that run sigmat-asycuda, sourced after
# lib.sh.
#
#   asy_write NAME COUNTRY [EXTRA CONFIG LINES...]
#       writes $SG_DIR/NAME.conf for an adapter NAME of COUNTRY's node
#       (folders under $SG_DIR/NAME, the repository's tables, fast scans,
#       callbacks on a free port kept in $HTTP_<COUNTRY>)

ASY=${SIGMAT_ASYCUDA:-$SG_BUILD/adapters/asycuda/sigmat-asycuda}

asy_write () {
    name=$1 country=$2
    shift 2
    d=$SG_DIR/$name
    mkdir -p "$d"
    port=$(sg_port)
    eval "HTTP_$country=$port"
    cat > "$d.conf" <<EOC
country $country
name $name
node $(sg_endpoint $country)
node_public_key $SG_DIR/keys/$country.curve.pub
curve_secret $SG_DIR/keys/$name.curve.key
curve_public $SG_DIR/keys/$name.curve.pub
connect_timeout 1s
reconnect_interval 1s
spool_dir $d/spool
work_dir $d/work
done_dir $d/done
rejected_dir $d/rejected
inbox_dir $d/inbox
state_db $d/state.db
offices $SG_SRC/adapters/asycuda/offices.csv
corridors $SG_SRC/adapters/asycuda/corridors.csv
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
