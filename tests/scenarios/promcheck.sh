# promcheck.sh - checks a scrape in the Prometheus text format 0.0.4
# (sourced by the scenarios): `promtool check metrics` when promtool is
# installed (Debian: prometheus), and always a strict parser of our own:
# HELP/TYPE once per family and before its samples, sample lines well
# formed, no series twice, every sample in its family.
#
#   prom_check FILE     0 if valid; the reasons on stderr

prom_strict () {
    awk '
        function bad(why) { printf "line %d: %s: %s\n", NR, why, $0 > "/dev/stderr"; err = 1 }
        /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* / { help[$3]++; if (help[$3] > 1) bad("HELP twice"); next }
        /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/ {
            if (type[$3]++) bad("TYPE twice"); if (seen[$3]) bad("TYPE after samples"); fam = $3; next }
        /^#/ { bad("bad comment"); next }
        {
            if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? [-+]?([0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|NaN|\+Inf|-Inf)$/)
                bad("not a sample line")
            name = $0; sub(/[{ ].*/, "", name); base = name
            sub(/_(bucket|sum|count|total)$/, "", base)
            if (!(name in type) && !(base in type)) bad("no TYPE for " name)
            if (name != fam && base != fam && !(name in type && name == fam)) bad("sample outside its family")
            key = $1; if (dup[key]++) bad("series twice")
            seen[name] = 1
        }
        END { exit err }' "$1"
}

prom_check () {
    if command -v promtool >/dev/null 2>&1; then
        promtool check metrics < "$1" > "$1.promtool" 2>&1 || { cat "$1.promtool" >&2; return 1; }
        # lint remarks are not errors; a parse error is
        if grep -qi "error" "$1.promtool"; then cat "$1.promtool" >&2; return 1; fi
    fi
    prom_strict "$1"
}
