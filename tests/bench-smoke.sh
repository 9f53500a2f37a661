#!/bin/sh
# Runs `sigmat-bench codec` for a moment on the AAR example and checks that
# it reports a positive rate for each operation. Speed itself is measured by
# hand (docs/performance.md), never asserted here.
set -eu
out=$("$SIGMAT_BUILDDIR/tests/bench/sigmat-bench" codec --runs 1 --seconds 0.05 \
      "$SIGMAT_SRCDIR/messages/examples/aar.xml")
echo "$out"
for op in parse+validate build+serialise sign verify; do
    echo "$out" | awk -v op="$op" '$1 == op && $2 > 0 { found = 1 } END { exit !found }' \
        || { echo "bench-smoke: no rate for $op" >&2; exit 1; }
done

# tests/bench/race.sh is run by hand (it starts RabbitMQ); here only its
# syntax and its help.
sh -n "$SIGMAT_SRCDIR/tests/bench/race.sh"
"$SIGMAT_SRCDIR/tests/bench/race.sh" --help | grep -q 'RabbitMQ' \
    || { echo "bench-smoke: race.sh --help says nothing" >&2; exit 1; }
