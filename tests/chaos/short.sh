#!/bin/sh
# short: the chaos run in its CI size (tests/chaos/chaos.sh --short): a
# corridor under random kills, freezes, restarts, link cuts and clock moves,
# then the audit (exit 0 only if clean). SIGMAT_CHAOS_SEED replays a run.
exec sh "$(dirname "$0")/chaos.sh" --short ${SIGMAT_CHAOS_SEED:+--seed "$SIGMAT_CHAOS_SEED"}
