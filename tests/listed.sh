#!/bin/sh
# tests/listed.sh - one place lists every test: each scenario
# (tests/scenarios/NN-*.sh) and each other script test registered in TESTS
# must appear in tests/README.md, and each scenario must be registered in
# TESTS (or SCENARIO_TESTS) by some Makefile fragment.
set -eu
src=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src"
readme=tests/README.md
[ -f "$readme" ] || { echo "FAIL: $readme is missing"; exit 1; }
fail=0

# the Makefile fragments, continuation lines joined
ams=$(find . -name '*.am' -not -path './build*' -not -path './.git/*')
regs=$(cat $ams | sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' \
    | sed -n 's/^[[:space:]]*\(TESTS\|SCENARIO_TESTS\)[[:space:]]*+\{0,1\}=\(.*\)$/\2/p' | tr ' \t' '\n\n' | grep . || true)

for f in tests/scenarios/[0-9]*.sh; do
    b=$(basename "$f")
    if ! grep -q "\`$b\`" "$readme"; then
        echo "FAIL: $f is not listed in $readme"; fail=1
    fi
    if ! printf '%s\n' "$regs" | grep -qx "$f"; then
        echo "FAIL: $f is in no TESTS/SCENARIO_TESTS of a Makefile fragment"; fail=1
    fi
done
# every other script test in TESTS is listed too
for t in $(printf '%s\n' "$regs" | grep '\.sh$' | grep -v '^tests/scenarios/'); do
    if ! grep -q "\`$t\`" "$readme"; then
        echo "FAIL: $t (in TESTS) is not listed in $readme"; fail=1
    fi
done
# and the list names nothing that is gone
for t in $(grep -o '`[^`]*\.sh`' "$readme" | tr -d '`' | sort -u); do
    case $t in
        */*) p=$t ;;
        *) p=tests/scenarios/$t ;;
    esac
    [ -f "$p" ] || { echo "FAIL: $readme lists $t, which does not exist"; fail=1; }
done
[ $fail = 0 ] && echo "ok: every scenario and script test is listed and registered"
exit $fail
