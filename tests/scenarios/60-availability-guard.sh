#!/bin/sh
# 60-availability-guard: a database belongs to one node. The first start
# records the node's name and country in it; a sigmatd configured as another
# node (other name, or same name with another country) on that database
# refuses to start, exit 1, with a message that names both and a hint, and
# writes nothing; a database migrated by a newer release (schema above the
# program's migrations) is refused with the hint to upgrade; the rightful
# node still starts afterwards.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 60-availability-guard

sg_node CI CI
sg_node BF BF
sg_start CI
[ "$(sg_sql CI "select name || '/' || country from node_identity")" = CI/CI ] \
    || sg_fail "identity not recorded: $(sg_sql CI "select * from node_identity")"
sg_stop CI

# refuse CONF PATTERN WHAT: sigmatd -c CONF exits 1 and its output matches PATTERN.
refuse () {
    "$SIGMATD" -c "$1" > "$SG_DIR/refused.out" 2>&1
    rc=$?
    [ $rc = 1 ] || sg_fail "$3: expected exit 1, got $rc: $(cat "$SG_DIR/refused.out")"
    grep -q "$2" "$SG_DIR/refused.out" || sg_fail "$3: message: $(cat "$SG_DIR/refused.out")"
    grep -q "hint:" "$SG_DIR/refused.out" || sg_fail "$3: no hint: $(cat "$SG_DIR/refused.out")"
}

# Node BF pointed at CI's database.
sed "s|^db .*|db \"$(sg_conninfo CI)\"|" "$SG_DIR/BF.conf" > "$SG_DIR/bf-on-ci.conf"
refuse "$SG_DIR/bf-on-ci.conf" 'belongs to node "CI", not "BF"' "other node"
[ "$(sg_sql CI "select count(*) from node_status where name = 'BF'")" = 0 ] \
    || sg_fail "the refused node wrote a status row"

# Node CI with the wrong country.
sed "s|^country .*|country BF|" "$SG_DIR/CI.conf" > "$SG_DIR/ci-as-bf.conf"
refuse "$SG_DIR/ci-as-bf.conf" 'of country CI, not BF' "other country"

# A database from before the country was recorded gets it from its own node.
sg_sql BF "update node_identity set country = null" >/dev/null 2>&1
sg_sql BF "insert into node_identity (name) values ('BF')" >/dev/null
sg_start BF
[ "$(sg_sql BF "select country from node_identity")" = BF ] || sg_fail "country not filled in"
sg_stop BF

# A schema newer than this program's migrations: a newer release migrated it.
latest=$(sg_sql CI "select max(version) from schema_migrations")
sg_sql CI "insert into schema_migrations (version, name) values ($((latest + 1)), 'from_the_future.sql')" >/dev/null
refuse "$SG_DIR/CI.conf" "schema is at version $((latest + 1)), newer than this program" "newer schema"
"$SIGMATCTL" db version --db "$(sg_conninfo CI)" --dir "$SG_MIGRATIONS" > "$SG_DIR/check.out" 2>&1 \
    && sg_fail "sigmatctl db version accepted the newer schema"
grep -q "newer than this program" "$SG_DIR/check.out" || sg_fail "db version: $(cat "$SG_DIR/check.out")"

# Back to the schema it knows: the rightful node starts again.
sg_sql CI "delete from schema_migrations where version = $((latest + 1))" >/dev/null
sg_start CI
sg_status_until "$(sg_conninfo CI)" "^node CI (.*): running" \
    || sg_fail "CI not running after the guard: $out"
sg_stop CI
sg_pass
