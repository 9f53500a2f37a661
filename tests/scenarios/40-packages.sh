#!/bin/sh
# 40-packages: the Debian packages, as an administration would use them.
# Builds the .debs (dpkg-buildpackage, running the unit tests) from a clean copy of the
# distributed tree (`make distdir`, so debian/ must be complete in the
# dist), installs them with dpkg -i, checks the layout (dpkg -L), the
# conffiles, the `sigmat` user and permissions, a C program built against
# libsigmat-dev with pkg-config, the units (systemd-analyze verify and
# security), then runs /usr/bin/sigmatd as user sigmat against a throwaway
# PostgreSQL migrated with /usr/bin/sigmatctl (no SIGMAT_* paths: the
# packaged defaults), asks /usr/bin/sigmatctl status for the node, stops
# it with SIGTERM, and purges the packages. lintian checks the build (clean,
# or each override in debian/*.lintian-overrides says why); the docs, the
# three OpenAPI files and the monitoring examples are installed, and every
# path the man pages' SEE ALSO names exists.
#
# Needs root (dpkg -i). Not root: skipped, a failure under CI=true.
# SIGMAT_SKIP_PACKAGES=1 skips it on a developer machine (never under
# CI=true). SG_KEEP=1 keeps the work folder after a failure.
set -u

SRC=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SIGMAT_BUILDDIR:-$SRC}
PKGS="sigmat-common libsigmat0 libsigmat-dev sigmat-node sigmat-adapters"
MARK=/var/lib/sigmat-packages-test.installed
T0=$(date +%s)
TMP=
NODE_PID=
PG=
INSTALLED=0
NOTIFY_PID=

log () { echo "[$(( $(date +%s) - T0 ))s] $*" >&2; }

skip () { echo "SKIP: 40-packages: $*" >&2; exit 77; }

# Not root, a missing tool: skipped locally, a failure under CI=true.
skip_or_fail () {
    [ "${CI:-}" = true ] && fail "$* (CI=true: this cannot be skipped)"
    skip "$*"
}

fail () {
    echo "FAIL: 40-packages: $*" >&2
    for f in "$TMP"/*.log; do
        [ -f "$f" ] || continue
        echo "---- tail of $f" >&2
        tail -n 30 "$f" >&2
    done
    exit 1
}

purge () {
    # shellcheck disable=SC2086
    dpkg --purge $PKGS >"$TMP/purge.log" 2>&1
    purge_rc=$?
    rm -f "$MARK"
    return $purge_rc
}

cleanup () {
    exit_rc=$?
    [ -n "$NODE_PID" ] && kill -9 "$NODE_PID" 2>/dev/null
    [ -n "$NOTIFY_PID" ] && kill "$NOTIFY_PID" 2>/dev/null
    [ -n "$PG" ] && [ -d "$PG" ] && sh "$SRC/tests/pg.sh" stop "$PG" >/dev/null 2>&1
    [ "$INSTALLED" = 1 ] && purge
    if [ -n "$TMP" ]; then
        if [ "$exit_rc" != 0 ] && [ "${SG_KEEP:-0}" = 1 ]; then
            echo "kept $TMP" >&2
        else
            rm -rf "$TMP"
        fi
    fi
    exit "$exit_rc"
}

[ "${SIGMAT_IN_PACKAGE_BUILD:-}" = 1 ] && skip "inside a package build (debian/rules)"
if [ "${SIGMAT_SKIP_PACKAGES:-0}" = 1 ] && [ "${CI:-}" != true ]; then
    skip "SIGMAT_SKIP_PACKAGES=1"
fi
[ "$(id -u)" = 0 ] || skip_or_fail "needs root to install packages (dpkg -i)"
for tool in dpkg-buildpackage dh dh_autoreconf fakeroot runuser setpriv flock ss cc pkg-config lintian; do
    command -v "$tool" >/dev/null 2>&1 \
        || skip_or_fail "$tool is missing (deploy/install-deps installs the packaging tools)"
done
[ -f "$BUILD/Makefile" ] || fail "no Makefile in $BUILD (configure first)"

# One run at a time on a machine (several build trees may run make check
# at once; dpkg and the installed files are shared).
exec 9>/var/lock/sigmat-packages-test.lock || fail "cannot open the lock file"
if ! flock -n 9; then
    log "waiting for another 40-packages run to finish"
    flock -w 900 9 || fail "another 40-packages run held the lock for 15 minutes"
fi

# Someone else's sigmat packages are never replaced; ours, left by a killed
# run (the mark), are purged first.
for p in $PKGS; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        if [ -f "$MARK" ]; then
            log "purging packages left by an earlier run"
            # shellcheck disable=SC2086
            dpkg --purge $PKGS >/dev/null 2>&1
            rm -f "$MARK"
            break
        fi
        skip_or_fail "$p is installed on this machine and was not installed by this test"
    fi
done

TMP=$(mktemp -d /tmp/sigmat-pkg.XXXXXX) || exit 99
chmod 755 "$TMP"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- a clean copy: exactly what `make dist` would ship --------------------
log "copying the distributed tree to $TMP/src"
mkdir "$TMP/src" || fail "mkdir"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$BUILD" distdir distdir="$TMP/src/sigmat" \
    >"$TMP/distdir.log" 2>&1 || fail "make distdir failed"
[ -x "$TMP/src/sigmat/debian/rules" ] || fail "debian/rules missing from the dist (EXTRA_DIST)"

# --- build ------------------------------------------------------------------
# The package build runs the unit tests with Debian's hardening flags
# (check_msg once overflowed a buffer only there); the scenarios have run in
# this same suite already, so SIGMAT_PACKAGE_TESTS=unit keeps CI short.
log "dpkg-buildpackage -us -uc -b (unit tests)"
(
    cd "$TMP/src/sigmat" || exit 1
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SIGMAT_SCHEMA_DIR \
        DEB_BUILD_OPTIONS="parallel=2" SIGMAT_PACKAGE_TESTS=unit \
        dpkg-buildpackage -us -uc -b
) >"$TMP/build.log" 2>&1 || { tail -n 80 "$TMP/build.log" >&2; fail "dpkg-buildpackage failed"; }
debs=""
for p in $PKGS; do
    f=$(ls "$TMP"/src/"${p}"_*.deb 2>/dev/null | head -n 1)
    [ -n "$f" ] || fail "no $p .deb built: $(ls "$TMP/src")"
    debs="$debs $f"
done
# --- lintian: errors and warnings fail (overrides carry their reason) -------
log "lintian"
changes=$(ls "$TMP"/src/sigmat_*.changes 2>/dev/null | head -n 1)
[ -n "$changes" ] || fail "no .changes file built"
lintian --fail-on error,warning --display-info --no-tag-display-limit "$changes" \
    >"$TMP/lintian.log" 2>&1 \
    || fail "lintian: $(grep -E '^[EW]: ' "$TMP/lintian.log" | head -n 30)"
log "lintian: $(grep -c '^[EWI]: ' "$TMP/lintian.log") remarks, none an error or warning"
grep -q "sigmat-asycuda was not built" "$TMP/build.log" && log "note: sigmat-asycuda not built yet; sigmat-adapters is without it"
grep -q "sigmat-generic was not built" "$TMP/build.log" && log "note: sigmat-generic not built yet; sigmat-adapters is without it"

# --- install ----------------------------------------------------------------
log "dpkg -i$(for d in $debs; do printf ' %s' "$(basename "$d")"; done)"
touch "$MARK"
INSTALLED=1
# shellcheck disable=SC2086
dpkg -i $debs >"$TMP/install.log" 2>&1 || fail "dpkg -i failed"

# dpkg -L PKG lists PATH
has () {
    dpkg -L "$1" 2>/dev/null | grep -qx "$2" || fail "$1 does not install $2"
}
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null) || fail "dpkg-architecture"
libdir=/usr/lib/$multiarch
has sigmat-node /usr/bin/sigmatd
has sigmat-node /usr/bin/sigmatctl
has sigmat-node /usr/share/bash-completion/completions/sigmatctl
has sigmat-node /usr/share/sigmat/migrations/001_init.sql
has sigmat-node /usr/share/sigmat/migrations/002_node_status.sql
has sigmat-node /usr/share/sigmat/conf/sigmatd.conf.example
has sigmat-node /lib/systemd/system/sigmatd.service
has sigmat-node /etc/sigmat/sigmatd.conf
has sigmat-node /usr/share/man/man8/sigmatd.8.gz
has sigmat-node /usr/share/man/man1/sigmatctl.1.gz
has sigmat-node /usr/share/man/man5/sigmatd.conf.5.gz
dpkg -L sigmat-node | grep -qx /usr/share/doc/sigmat-node/operations.md \
    || fail "sigmat-node does not install its operations.md"
has sigmat-common /usr/share/sigmat/schemas/sigmat.xsd
has sigmat-common /usr/share/sigmat/examples/aar.xml
has sigmat-common /usr/lib/sysusers.d/sigmat.conf
# What teams need to run it: the docs, the three OpenAPI files, the
# Prometheus, alert and Grafana examples.
for f in monitoring.md operations.md node.md lifecycle.md protocol.md messages.md asycuda.md \
         generic.md monitor-openapi.yaml sigmat-asycuda-openapi.yaml sigmat-generic-openapi.yaml \
         examples/prometheus.yml examples/alerts.yml examples/grafana-dashboard.json; do
    has sigmat-common "/usr/share/doc/sigmat-common/$f"
done
has libsigmat0 "$libdir/libsigmat.so.0"
has libsigmat-dev "$libdir/libsigmat.so"
has libsigmat-dev "$libdir/pkgconfig/libsigmat.pc"
has libsigmat-dev /usr/include/sigmat.h
has libsigmat-dev /usr/include/sigmat/sg.h
has libsigmat-dev /usr/include/sigmat/notify.h
for a in sigmat-asycuda sigmat-generic; do
    if dpkg -L sigmat-adapters | grep -qx "/usr/bin/$a"; then
        has sigmat-adapters "/lib/systemd/system/$a.service"
        has sigmat-adapters "/usr/share/man/man8/$a.8.gz"
        if [ -f "$SRC/deploy/$a.conf.example" ]; then
            has sigmat-adapters "/usr/share/sigmat/conf/$a.conf.example"
            has sigmat-adapters "/etc/sigmat/$a.conf"
        fi
        "/usr/bin/$a" --help >/dev/null 2>&1 || fail "/usr/bin/$a --help fails"
    fi
done
dpkg -L libsigmat0 | grep -q '\.la$' && fail "libsigmat0 ships a libtool .la file"
# Every path a man page's SEE ALSO names is installed.
for m in $(dpkg -L sigmat-node sigmat-adapters | grep '^/usr/share/man/.*\.gz$'); do
    for p in $(zcat "$m" | sed -n '/^\.SH SEE ALSO/,$p' | grep -o '/usr/share/doc/[^ ,;]*'); do
        [ -e "$p" ] || fail "$(basename "$m"): SEE ALSO names $p, which is not installed"
    done
done
dpkg-query -W -f='${Conffiles}\n' sigmat-node | grep -q ' /etc/sigmat/sigmatd.conf ' \
    || fail "/etc/sigmat/sigmatd.conf is not a conffile"
grep -q '^migrations_dir /usr/share/sigmat/migrations$' /etc/sigmat/sigmatd.conf \
    || fail "packaged sigmatd.conf does not point at /usr/share/sigmat/migrations"

# The user and the permissions the postinsts set.
getent passwd sigmat >/dev/null || fail "no sigmat user after install"
getent group sigmat >/dev/null || fail "no sigmat group after install"
[ "$(getent passwd sigmat | cut -d: -f7)" = /usr/sbin/nologin ] || fail "sigmat user has a login shell"
[ "$(stat -c '%U:%G %a' /etc/sigmat/keys)" = "root:sigmat 750" ] \
    || fail "/etc/sigmat/keys is $(stat -c '%U:%G %a' /etc/sigmat/keys), want root:sigmat 750"
[ "$(stat -c '%U:%G %a' /etc/sigmat/sigmatd.conf)" = "root:sigmat 640" ] \
    || fail "/etc/sigmat/sigmatd.conf is $(stat -c '%U:%G %a' /etc/sigmat/sigmatd.conf)"
[ "$(stat -c '%U:%G' /var/lib/sigmat)" = "sigmat:sigmat" ] || fail "/var/lib/sigmat not owned by sigmat"
[ "$(stat -c '%U:%G %a' /var/spool/sigmat)" = "sigmat:sigmat 2770" ] \
    || fail "/var/spool/sigmat is $(stat -c '%U:%G %a' /var/spool/sigmat 2>&1)"

# libsigmat-dev: a national team's adapter builds with pkg-config alone.
cat > "$TMP/client.c" <<'EOF'
#include <sigmat.h>
#include <stdio.h>
int main (void)
{
    sg_diag_t d;
    int rc = sg_diag_set (&d, SG_EMRN, 0, SG_NAK_INVALID_MRN, "x");
    printf ("%s %d\n", sg_strerror (rc), sg_mrn_check ("24GB000246J8NY33L7", NULL) == SG_OK);
    return 0;
}
EOF
flags=$(pkg-config --cflags --libs libsigmat) || fail "pkg-config libsigmat"
# libsigmat does not link libpq (deploy/check-lib-deps.sh): its -dev neither pulls libpq-dev
dpkg-query -W -f='${Depends}' libsigmat-dev | grep -q libpq-dev && fail "libsigmat-dev depends on libpq-dev"
# shellcheck disable=SC2086
cc -o "$TMP/client" "$TMP/client.c" $flags >"$TMP/cc.log" 2>&1 || fail "cannot build against libsigmat-dev"
out=$("$TMP/client") || fail "client linked against libsigmat0 does not run"
case "$out" in "invalid MRN"*" 1") ;; *) fail "client printed: $out" ;; esac

# --- units --------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
    units=/lib/systemd/system/sigmatd.service
    for a in sigmat-asycuda sigmat-generic; do
        [ -f "/lib/systemd/system/$a.service" ] && units="$units /lib/systemd/system/$a.service"
    done
    for u in $units; do
        # verify is static (no running systemd needed); missing man pages of
        # units whose adapter does not ship one yet are not this test's business
        systemd-analyze verify "$u" >"$TMP/verify.log" 2>&1
        grep -v "Command 'man " "$TMP/verify.log" | grep -q . \
            && fail "systemd-analyze verify $u: $(cat "$TMP/verify.log")"
        systemd-analyze security --offline=true --threshold=25 "$u" >"$TMP/security.log" 2>&1 \
            || fail "systemd-analyze security $u: $(tail -n 1 "$TMP/security.log")"
        log "$(basename "$u"): $(tail -n 1 "$TMP/security.log" | sed 's/^→ //')"
    done
else
    log "systemd-analyze not installed: units not verified"
fi
[ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ] && log "note: systemd is PID 1 here, but the test starts the binary directly"

# --- run the packaged node ------------------------------------------------------
unset SIGMAT_SCHEMA_DIR SIGMAT_MIGRATIONS_DIR SIGMAT_DB
PG=$TMP/pg
conn=$(sh "$SRC/tests/pg.sh" start "$PG" $$)
case $? in
    0) ;;
    3) PG=; skip_or_fail "PostgreSQL unavailable" ;;
    *) PG=; fail "cannot start PostgreSQL" ;;
esac
chmod 711 "$PG"          # the sigmat user reaches the socket, not the data
/usr/bin/sigmatctl db migrate --db "$conn" >"$TMP/migrate.log" 2>&1 \
    || fail "sigmatctl db migrate with the packaged migrations"
/usr/bin/sigmatctl db version --db "$conn" >"$TMP/version.log" 2>&1 || fail "sigmatctl db version"

mkdir "$TMP/keys"
/usr/bin/sigmatctl keygen --dir "$TMP/keys" pkgtest-node >/dev/null || fail "sigmatctl keygen"
chgrp -R sigmat "$TMP/keys" && chmod 750 "$TMP/keys" && chmod 640 "$TMP/keys"/* || fail "key permissions"
port=$(( 10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 22000 ))
while ss -Htln "sport = :$port" | grep -q .; do port=$((port + 1)); done
cat > "$TMP/sigmatd.conf" <<EOF
# 40-packages: the packaged node, default migrations_dir and schemas
name pkgtest-node
country CI
bind tcp://127.0.0.1:$port
db "$conn"
curve_secret $TMP/keys/pkgtest-node.curve.key
curve_public $TMP/keys/pkgtest-node.curve.pub
sign_key $TMP/keys/pkgtest-node.sign.key
status_interval 200ms
EOF
chmod 644 "$TMP/sigmatd.conf"
# as the unit does (User=sigmat), without a forking runuser in between
AS_SIGMAT="setpriv --reuid=sigmat --regid=sigmat --init-groups --"
$AS_SIGMAT /usr/bin/sigmatd -c "$TMP/sigmatd.conf" --check-config >"$TMP/check.log" 2>&1 \
    || fail "packaged sigmatd refuses the config"

# sd_notify: a datagram socket standing in for systemd, once the node's
# sources call it (Type=notify in the unit depends on it).
notify=0
if grep -q 'sg_notify_ready' "$SRC/broker/node/sigmatd.c" "$SRC/broker/node/node.c" 2>/dev/null; then
    [ -x /usr/bin/python3 ] || skip_or_fail "python3 is missing (stands in for systemd's notify socket)"
    notify=1
    /usr/bin/python3 - "$TMP/notify.sock" "$TMP/notify.out" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.settimeout(60)
with open(sys.argv[2], "a") as out:
    while True:
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        out.write(data.decode() + "\n")
        out.flush()
EOF
    NOTIFY_PID=$!
    # notified WORD WHAT: waits (10 s) for WORD from sigmatd; the listener
    # writes what it got on its own time.
    notified () {
        n=0
        until grep -qx "$1" "$TMP/notify.out" 2>/dev/null; do
            n=$((n + 1)); [ $n -gt 100 ] && fail "no $1 from sigmatd $2"
            sleep 0.1
        done
    }
    n=0
    while [ ! -S "$TMP/notify.sock" ]; do
        n=$((n + 1)); [ $n -gt 50 ] && fail "notify listener did not start"; sleep 0.1
    done
fi

log "starting /usr/bin/sigmatd as user sigmat on port $port"
if [ $notify = 1 ]; then
    NOTIFY_SOCKET="$TMP/notify.sock" $AS_SIGMAT /usr/bin/sigmatd -c "$TMP/sigmatd.conf" >"$TMP/node.log" 2>&1 &
else
    $AS_SIGMAT /usr/bin/sigmatd -c "$TMP/sigmatd.conf" >"$TMP/node.log" 2>&1 &
fi
NODE_PID=$!
n=0
while ! ss -Htln "sport = :$port" | grep -q .; do
    kill -0 "$NODE_PID" 2>/dev/null || fail "packaged sigmatd exited at start"
    n=$((n + 1)); [ $n -gt 200 ] && fail "packaged sigmatd not listening after 20 s"
    sleep 0.1
done
[ "$(ps -o user= -p "$NODE_PID")" = sigmat ] \
    || fail "sigmatd is not running as user sigmat"
if [ $notify = 1 ]; then
    notified READY=1 "on NOTIFY_SOCKET"
else
    log "note: /usr/bin/sigmatd does not call sg_notify_ready yet (Type=notify needs it)"
fi

# sigmatctl status from /usr/bin answers with this node: "node NAME (HOST): running".
n=0
until /usr/bin/sigmatctl status --db "$conn" >"$TMP/status.log" 2>&1 \
      && grep -q "^node pkgtest-node (.*): running" "$TMP/status.log"; do
    n=$((n + 1))
    [ $n -gt 50 ] && fail "sigmatctl status does not show the running node: $(cat "$TMP/status.log")"
    sleep 0.2
done
grep -q "^schema version: [1-9]" "$TMP/status.log" || fail "sigmatctl status: no schema version"
grep -q "bind tcp://127.0.0.1:$port" "$TMP/status.log" || fail "sigmatctl status: not our node's bind"

kill -TERM "$NODE_PID"
wait "$NODE_PID"
rc=$?
NODE_PID=
[ $rc = 0 ] || fail "packaged sigmatd exited $rc after SIGTERM"
if [ $notify = 1 ]; then
    notified STOPPING=1 "on SIGTERM"
fi

# --- purge ----------------------------------------------------------------------
log "dpkg --purge"
INSTALLED=0
purge || fail "dpkg --purge failed"
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" && fail "$p still installed"
done
for f in /usr/bin/sigmatd /usr/bin/sigmatctl /etc/sigmat/sigmatd.conf /lib/systemd/system/sigmatd.service \
         "$libdir/libsigmat.so.0" /usr/share/sigmat; do
    [ -e "$f" ] && fail "$f left after purge"
done
log "PASS: 40-packages"
exit 0
