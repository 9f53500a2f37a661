#!/bin/sh
# check-verbs.sh - the three daemons answer the same verbs (--version,
# --help, --check-config, --print-config; the adapters' older command
# spellings still work) and share one key vocabulary: an old key name is
# read with the warning "file:line: key OLD is deprecated, use NEW", and
# print-config shows only the new names (docs/configuration.md). Needs no
# database and no network.
set -u
src=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${SIGMAT_BUILDDIR:-$src}
SIGMATD=$build/broker/sigmatd
ASY=$build/adapters/asycuda/sigmat-asycuda
GEN=$build/adapters/generic/sigmat-generic
for p in "$SIGMATD" "$ASY" "$GEN"; do
    [ -x "$p" ] || { echo "FAIL: $p not built" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sigmat-verbs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
fail () { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect STATUS NAME CMD...: runs CMD (stdout in $tmp/out, stderr in $tmp/err)
expect () {
    want=$1 what=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" = "$want" ] || fail "$what: exit $got, wanted $want: $(head -c 400 "$tmp/err")"
}
has () { grep -q -- "$2" "$tmp/$1" || fail "$3: no \"$2\" in $1: $(head -c 400 "$tmp/$1")"; }
hasnt () { ! grep -q -- "$2" "$tmp/$1" || fail "$3: \"$2\" in $1"; }

# -- a good config for each, in the new vocabulary -------------------------
cat > "$tmp/sigmatd.conf" <<EOF
name ci-node
country CI
curve_secret keys/ci.curve.key
curve_public keys/ci.curve.pub
sign_key keys/ci.sign.key
http_listen 127.0.0.1:7780
EOF
cat > "$tmp/asy.conf" <<EOF
country CI
name ci-asycuda
node_endpoint tcp://127.0.0.1:7700
office_table $src/adapters/asycuda/offices.csv
corridor_table $src/adapters/asycuda/corridors.csv
mapping $src/adapters/asycuda/mapping.conf
state_db $tmp/asy.db
EOF
cat > "$tmp/gen.conf" <<EOF
name sn-generic
node_endpoint tcp://127.0.0.1:7700
http_listen 127.0.0.1:8480
state_db $tmp/gen.db
http_token portal portal-token-0123456789 SN
http_max_body 64KiB
EOF

for prog in "$SIGMATD" "$ASY" "$GEN"; do
    name=$(basename "$prog")
    case $name in sigmatd) conf=$tmp/sigmatd.conf ;; sigmat-asycuda) conf=$tmp/asy.conf ;; *) conf=$tmp/gen.conf ;; esac
    expect 0 "$name --version" "$prog" --version
    has out "^$name (sigmat) " "$name --version"
    expect 0 "$name -V" "$prog" -V
    expect 0 "$name --help" "$prog" --help
    for o in --check-config --print-config --version --config; do has out "$o" "$name --help"; done
    expect 2 "$name --no-such-option" "$prog" --no-such-option
    expect 0 "$name --print-config (defaults)" "$prog" --print-config
    has out "^# [a-z_]* (not set)\|^[a-z_]* " "$name --print-config"
    expect 0 "$name -c FILE --check-config" "$prog" -c "$conf" --check-config
    hasnt err "deprecated" "$name --check-config of a new-vocabulary file"
    expect 0 "$name --config FILE --print-config" "$prog" --config "$conf" --print-config
    expect 0 "$name -o KEY=VALUE" "$prog" -c "$conf" -o log_level=debug --print-config
    has out "^log_level debug$" "$name -o log_level=debug"
    expect 2 "$name -o without =" "$prog" -c "$conf" -o log_level --check-config
    has err "-o log_level: expected KEY=VALUE" "$name -o without ="
    printf 'name x\nno_such_key 1\n' > "$tmp/bad.conf"
    expect 2 "$name --check-config of a bad file" "$prog" -c "$tmp/bad.conf" --check-config
    has err "bad.conf:2: unknown key \"no_such_key\"" "$name --check-config of a bad file"
done
# the file's values, printed back
"$SIGMATD" -c "$tmp/sigmatd.conf" --print-config > "$tmp/out" 2>&1
has out "^http_listen 127.0.0.1:7780$" "sigmatd --print-config"

# the adapters' examples are their print-config (after a header of their own)
for pair in "$ASY:sigmat-asycuda" "$GEN:sigmat-generic"; do
    "${pair%%:*}" --print-config 2>/dev/null > "$tmp/defaults"
    ex=$src/deploy/${pair#*:}.conf.example
    grep -vxF -f "$ex" "$tmp/defaults" > "$tmp/missing"
    [ ! -s "$tmp/missing" ] || fail "$ex differs from ${pair#*:} --print-config: $(head -3 "$tmp/missing")"
done

# -- the adapters' older spellings -----------------------------------------
expect 0 "sigmat-asycuda check-config" "$ASY" -c "$tmp/asy.conf" check-config
has out "good; country CI, node tcp://127.0.0.1:7700" "sigmat-asycuda check-config"
expect 0 "sigmat-asycuda print-config" "$ASY" -c "$tmp/asy.conf" print-config
has out "^node_endpoint tcp://127.0.0.1:7700$" "sigmat-asycuda print-config"
expect 0 "sigmat-generic print-config" "$GEN" -c "$tmp/gen.conf" print-config
has out "^http_listen 127.0.0.1:8480$" "sigmat-generic print-config"
expect 0 "sigmat-generic check-config" "$GEN" -c "$tmp/gen.conf" check-config
has out "good; node tcp://127.0.0.1:7700 as \"sn-generic\", API on 127.0.0.1:8480, 1 tokens" \
    "sigmat-generic check-config"

# -- old key names: read, with a warning naming file, line and new key ------
{ sed -e 's/^http_listen .*/listen 127.0.0.1:8481/' -e 's/^http_token /token /' \
      -e 's/^http_max_body .*/max_body 32KiB/' "$tmp/gen.conf"; echo "request_timeout 5s"; } \
    > "$tmp/gen-old.conf"
expect 0 "sigmat-generic, old names" "$GEN" -c "$tmp/gen-old.conf" --print-config
has err "gen-old.conf:3: key listen is deprecated, use http_listen" "sigmat-generic, old names"
has err "gen-old.conf:5: key token is deprecated, use http_token" "sigmat-generic, old names"
has err "gen-old.conf:6: key max_body is deprecated, use http_max_body" "sigmat-generic, old names"
has err "gen-old.conf:7: key request_timeout is deprecated, use http_request_timeout" "sigmat-generic, old names"
has out "^http_listen 127.0.0.1:8481$" "sigmat-generic, old names"
has out "^http_max_body 32KiB$" "sigmat-generic, old names"
has out "^http_request_timeout 5s$" "sigmat-generic, old names"
has out "^http_token portal sha256:" "sigmat-generic, old names"
hasnt out "^listen \|^token \|^max_body " "sigmat-generic --print-config prints no old name as a key"
has out "^# (Old name listen: still read, with a warning.)$" "sigmat-generic --print-config"
# old and new name of one key in one file: a duplicate
printf 'listen 127.0.0.1:1\nhttp_listen 127.0.0.1:2\n' > "$tmp/dup.conf"
expect 2 "sigmat-generic, old and new name" "$GEN" -c "$tmp/dup.conf" --check-config
has err "dup.conf:2: duplicate key \"http_listen\" (already set on line 1)" "sigmat-generic, old and new name"
sed -e 's/^node_endpoint /node /' -e 's/^office_table /offices /' -e 's/^corridor_table /corridors /' \
    "$tmp/asy.conf" > "$tmp/asy-old.conf"
expect 0 "sigmat-asycuda, old names" "$ASY" -c "$tmp/asy-old.conf" --check-config
has err "asy-old.conf:3: key node is deprecated, use node_endpoint" "sigmat-asycuda, old names"
has err "asy-old.conf:4: key offices is deprecated, use office_table" "sigmat-asycuda, old names"
has err "asy-old.conf:5: key corridors is deprecated, use corridor_table" "sigmat-asycuda, old names"
has out "17 offices, 9 corridors" "sigmat-asycuda, old names"
# -o with an old name warns too
expect 0 "sigmat-asycuda -o node=" "$ASY" -c "$tmp/asy.conf" -o node=tcp://127.0.0.1:7711 --print-config
has err "key node is deprecated, use node_endpoint" "sigmat-asycuda -o node="
has out "^node_endpoint tcp://127.0.0.1:7711$" "sigmat-asycuda -o node="

[ "$fails" = 0 ] || { echo "FAIL: $fails checks of the daemons' verbs and vocabulary" >&2; exit 1; }
echo "PASS: sigmatd, sigmat-asycuda and sigmat-generic: same verbs, old key names warn"
