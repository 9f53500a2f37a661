# tests/chaos/hook.sh - sourced by deploy/corridor (SIGMAT_CORRIDOR_HOOK)
# after it wrote the configs and before it starts the nodes: routes every
# link between the hub and a country node through tests/chaos/linkproxy.py,
# so that the chaos controller can cut one (links hub-CI, CI-hub, ...).
mkdir -p "$DIR/chaos"
links="" i=0
for c in $COUNTRIES; do
    p1=$(cor_port $((40 + i)))
    p2=$(cor_port $((60 + i)))
    i=$((i + 1))
    # hub -> c and c -> hub go through the relay
    cor_peer hub "$c" node "$c" "tcp://127.0.0.1:$p1"
    cor_peer "$c" hub node "" "tcp://127.0.0.1:$p2"
    links="$links hub-$c:$p1:$(envget "PORT_$c") $c-hub:$p2:$PORT_hub"
done
envset CHAOS_LINKS "$links"
cor_spawn linkproxy "$DIR/log/linkproxy.log" python3 -B "$SRC/tests/chaos/linkproxy.py" \
    --control "$DIR/chaos" $links
for spec in $links; do
    port=$(echo "$spec" | cut -d: -f2)
    cor_wait_port "$port" linkproxy linkproxy
done
