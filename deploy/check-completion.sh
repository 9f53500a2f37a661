#!/bin/bash
# check-completion.sh - sources the bash completion of sigmatctl
# (deploy/bash-completion/sigmatctl) and checks a few completions against
# the built sigmatctl: commands, verbs, options of a verb, option values.
set -u
src=${SIGMAT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${SIGMAT_BUILDDIR:-$src}
ctl=$build/broker/sigmatctl
[ -x "$ctl" ] || { echo "FAIL: $ctl not built" >&2; exit 1; }
# shellcheck source=bash-completion/sigmatctl
. "$src/deploy/bash-completion/sigmatctl"
complete -p sigmatctl >/dev/null 2>&1 || { echo "FAIL: sigmatctl has no completion" >&2; exit 1; }
fails=0
# expect "WORDS..." "WANT...": completes the last word (may be empty) of
# `sigmatctl WORDS`; the sorted candidates must be exactly WANT.
expect ()
{
    local line=$1 want=$2 got
    read -r -a COMP_WORDS <<< "$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_WORDS=("$ctl" "${COMP_WORDS[@]}")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _sigmatctl
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//')
    [ "$got" = "$want" ] || { echo "FAIL: sigmatctl $line<TAB>: got \"$got\", wanted \"$want\"" >&2; fails=$((fails + 1)); }
}
expect "m" "message movement mrn"
expect "pe" "peer"
expect "peer " "add key list remove"
expect "db m" "migrate"
expect "peer add ci-node --r" "--role"
expect "peer add ci-node --role a" "adapter"
expect "keygen --" "--dir --help"
expect "movement list --s" "--since --state"
expect "mrn new --c" "--count"
expect "dead list --db " ""
expect "--v" "--version"
[ "$fails" = 0 ] || exit 1
echo "PASS: bash completion of sigmatctl: commands, verbs, options, values"
