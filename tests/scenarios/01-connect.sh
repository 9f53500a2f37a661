#!/bin/sh
# 01-connect: HELLO/WELCOME with a registered CURVE key; an unknown key and
# a registered key claiming another name get nowhere; SIGHUP admits a key
# registered after the start; the node refuses an
# unmigrated database with the right message; a bad config line is
# reported as file:line with exit 2; SIGTERM stops cleanly (exit 0) and
# the status row says so.
. "${SIGMAT_SRCDIR:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
sg_setup 01-connect

sg_node CI CI
sg_adapter ci-adapter
sg_adapter stranger
sg_peer CI ci-adapter adapter CI
sg_start CI

# A registered adapter is welcomed by name.
out=$("$SGTEST" hello $(sg_conn ci-adapter CI) --timeout 10) || sg_fail "registered adapter refused: $out"
[ "$out" = "WELCOME CI" ] || sg_fail "expected WELCOME CI, got: $out"
grep -q "adapter ci-adapter: welcome" "$SG_DIR/CI.log" || sg_fail "node did not log the welcome"

# An unknown CURVE key: the handshake is refused (ZAP), no session.
out=$("$SGTEST" hello $(sg_conn stranger CI) --timeout 5)
rc=$?
[ $rc = 3 ] || sg_fail "unknown key: expected exit 3, got $rc ($out)"
case "$out" in *CONNECT-FAILED*) ;; *) sg_fail "unknown key: $out" ;; esac
grep -q "stranger: welcome" "$SG_DIR/CI.log" && sg_fail "stranger was welcomed"

# SIGHUP reloads the peer table: the stranger, registered now, gets in.
sg_peer CI stranger adapter CI
kill -HUP "$(sg_pid CI)"
# Connect once the reload is over (its "peers:" line, which comes after the
# new key table is in place), not when it starts.
sg_until 5 grep -q "peers: 2 registered" "$SG_DIR/CI.log" || sg_fail "SIGHUP not handled"
out=$("$SGTEST" hello $(sg_conn stranger CI) --timeout 10) || sg_fail "registered stranger refused after SIGHUP: $out"
[ "$out" = "WELCOME CI" ] || sg_fail "after SIGHUP: $out"

# A registered key saying HELLO under another name is DENIED.
out=$("$SGTEST" hello --node "$(sg_endpoint CI)" --server-pub "$SG_DIR/keys/CI.curve.pub" \
      --key "$SG_DIR/keys/ci-adapter" --name someone-else --timeout 5)
rc=$?
[ $rc = 3 ] || sg_fail "wrong name: expected exit 3, got $rc ($out)"
case "$out" in *denied*) ;; *) sg_fail "wrong name not denied: $out" ;; esac

# The status row is written while running.
sg_until 5 sh -c "[ \"\$(psql -X -qAt -d '$(sg_conninfo CI)' -c \"select state from node_status where name = 'CI'\")\" = running ]" \
    || sg_fail "no running status row"
out=$("$SIGMATCTL" status --db "$(sg_conninfo CI)") || sg_fail "sigmatctl status failed: $out"
echo "$out" | grep -q "^node CI (.*): running" || sg_fail "status does not show the running node: $out"
echo "$out" | grep -q "connected: .*ci-adapter\|inbound connection" || sg_fail "status lacks connections: $out"

# SIGTERM: clean stop, exit 0, status stopped.
sg_stop CI
[ "$(sg_sql CI "select state from node_status where name = 'CI'")" = stopped ] \
    || sg_fail "status row not 'stopped' after SIGTERM"

# A database without the schema: refused with the operator's next step.
raw=$(sh "$SG_SRC/tests/pg.sh" createdb "$SG_PGDIR" rawdb) || sg_fail "createdb rawdb"
sed "s|^db .*|db \"$raw\"|" "$SG_DIR/CI.conf" > "$SG_DIR/raw.conf"
"$SIGMATD" -c "$SG_DIR/raw.conf" > "$SG_DIR/raw.out" 2>&1
rc=$?
[ $rc = 1 ] || sg_fail "unmigrated database: expected exit 1, got $rc"
grep -q "sigmatctl db migrate" "$SG_DIR/raw.out" || sg_fail "no migrate hint: $(cat "$SG_DIR/raw.out")"

# A bad config line: file:line and exit 2, before touching anything.
cp "$SG_DIR/CI.conf" "$SG_DIR/bad.conf"
echo "batch_size lots" >> "$SG_DIR/bad.conf"
line=$(wc -l < "$SG_DIR/bad.conf")
"$SIGMATD" -c "$SG_DIR/bad.conf" > "$SG_DIR/bad.out" 2>&1
rc=$?
[ $rc = 2 ] || sg_fail "bad config: expected exit 2, got $rc"
grep -q "$SG_DIR/bad.conf:$line:" "$SG_DIR/bad.out" || sg_fail "no file:line: $(cat "$SG_DIR/bad.out")"
printf 'name CI\nfrobnicate yes\n' > "$SG_DIR/bad2.conf"
"$SIGMATD" -c "$SG_DIR/bad2.conf" > "$SG_DIR/bad2.out" 2>&1
[ $? = 2 ] && grep -q "bad2.conf:2:.*frobnicate" "$SG_DIR/bad2.out" \
    || sg_fail "unknown key: $(cat "$SG_DIR/bad2.out")"
"$SIGMATD" -c "$SG_DIR/CI.conf" --check-config || sg_fail "good config refused by --check-config"

sg_pass
