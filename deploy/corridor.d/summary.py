#!/usr/bin/python3
"""summary.py - what the corridor says at the end of deploy/corridor.

Table 1, per corridor, from the hub's monitor (GET /api/corridors: the
region, gathered by the hub from the countries' monitors; each corridor is
counted by its departure node, the authority): movements, discharged,
in transit (released, en route, arrived, controlled), discrepancy,
overdue or under enquiry (and recovery), and the median time from release
to discharge (lifecycle clock, i.e. simulated time). The movements that are
stuck come from the hub's /api/region. This is what an operator gets from
the product itself (docs/monitoring.md).

Table 2, per link and corridor: messages delivered on each link, from every
node's delivery table (node -> next hop: a peer node or a local adapter)
and message table (adapter -> node: from_peer), with what still waits and
the dead letters: a cross-check of the transport, read from the databases.

  summary.py DIR/corridor.env
"""
import json, os, sys, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_env, psql, read_offices   # noqa: E402

CODES = {"CI000101": "ABJ", "TG000101": "LOM", "BF000101": "OUA", "NE000101": "NIA"}


def city(name):
    return name.split(" ")[0]


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=30) as r:
        return json.load(r)


def main():
    env = load_env(sys.argv[1])
    _, ref2name = read_offices(env["SRC"] + "/adapters/asycuda/offices.csv")
    nodes = env["NODES"].split()
    hub = env["MON_hub"]
    t0 = time.time()
    figures = get(hub, "/api/corridors")
    lost = [p["url"] for p in figures["peers"] if not p["ok"]]
    if lost:
        raise RuntimeError("the hub cannot reach the monitors %s" % ", ".join(lost))
    # The region's stuck movements: wait for a gathering that began after now.
    region = get(hub, "/api/region")
    while region.get("gathered_at", 0) / 1000.0 < t0 and time.time() < t0 + 30:
        time.sleep(0.2)
        region = get(hub, "/api/region")
    per = {}
    for c in figures["corridors"]:
        key = (c["departure"], c["destination"])
        per[key] = {"n": c["released"], "DISCHARGED": c["discharged"],
                    "transit": c["in_transit"] + c["arrived"], "DISCREPANCY": c["discrepancy"],
                    "late": c["overdue"] + c["under_enquiry"] + c["recovery"],
                    "rd": c["release_to_discharge"], "late_mrns": [], "disc_mrns": []}
    for m in region["late"]:
        if m.get("role") != "DEPARTURE":
            continue
        c = per.get((m["departure"], m["destination"]))
        if c is None:
            continue
        if m["state"] == "DISCREPANCY":
            c["disc_mrns"].append(m["mrn"])
        else:
            c["late_mrns"].append("%s %s" % (m["mrn"], m["state"]))
    order = sorted(per, key=lambda k: (-per[k]["n"], k))
    name = {k: "%s -> %s" % (city(ref2name.get(k[0], k[0])), city(ref2name.get(k[1], k[1])))
            for k in order}
    short = {k: "%s-%s" % (CODES.get(k[0], k[0]), CODES.get(k[1], k[1])) for k in order}

    def hm(secs):
        if secs is None:
            return "-"
        m = int(secs) // 60
        return "%dh%02d" % (m // 60, m % 60)

    def median(d):
        return hm(d["p50_s"]) if d.get("count") else "-"

    w = max([len(v) for v in name.values()] + [len("corridor")]) + 2
    print("Corridors (the hub's /api/corridors: the departure nodes' figures; times are simulated)")
    print("%-*s%11s%12s%12s%13s%17s%28s" % (w, "corridor", "movements", "discharged", "in transit",
                                             "discrepancy", "overdue/enquiry",
                                             "median release->discharge"))
    tot = {"n": 0, "DISCHARGED": 0, "transit": 0, "DISCREPANCY": 0, "late": 0}
    for k in order:
        c = per[k]
        for f in tot:
            tot[f] += c[f]
        print("%-*s%11d%12d%12d%13d%17d%28s" % (w, name[k], c["n"], c["DISCHARGED"], c["transit"],
                                                 c["DISCREPANCY"], c["late"], median(c["rd"])))
    # The median over all corridors: from the whole-region figures by day
    # would need the raw times; the API's total is the bucketed count, so
    # the table gives the total's range instead of a made-up median.
    allrd = [per[k]["rd"] for k in order if per[k]["rd"].get("count")]
    rng = "-" if not allrd else "%s..%s" % (hm(min(d["min_s"] for d in allrd)),
                                            hm(max(d["max_s"] for d in allrd)))
    print("%-*s%11d%12d%12d%13d%17d%28s" % (w, "all corridors", tot["n"], tot["DISCHARGED"],
                                             tot["transit"], tot["DISCREPANCY"], tot["late"], rng))
    for k in order:
        for x in per[k]["disc_mrns"]:
            print("  discrepancy: %s (%s)" % (x, name[k]))
        for x in per[k]["late_mrns"]:
            print("  overdue:     %s (%s)" % (x, name[k]))
    corridor_of = {}
    for n in ("CI", "TG", "BF"):
        for mrn, dep, dst in psql(env["DB_" + n], "select mrn, departure, destination from movement"
                                  " where role = 'DEPARTURE'"):
            corridor_of[mrn] = (dep, dst)

    # ---- links ----------------------------------------------------------------------
    links = {}
    rejected = 0
    for n in nodes:
        for hop, mrn, done, waiting, dead in psql(
                env["DB_" + n],
                "select d.next_hop, m.mrn, count(*) filter (where d.state = 'done'),"
                " count(*) filter (where d.state in ('pending', 'inflight')),"
                " count(*) filter (where d.state = 'dead')"
                " from delivery d join message m on m.id = d.message_id group by 1, 2"):
            l = links.setdefault("%s -> %s" % (n, hop), {"waiting": 0, "dead": 0})
            k = corridor_of.get(mrn)
            l[k] = l.get(k, 0) + int(done)
            l["waiting"] += int(waiting)
            l["dead"] += int(dead)
        for peer, mrn, cnt in psql(
                env["DB_" + n],
                "select from_peer, mrn, count(*) from message where from_peer in"
                " (select name from peer where role = 'adapter') group by 1, 2"):
            l = links.setdefault("%s -> %s" % (peer, n), {"waiting": 0, "dead": 0})
            k = corridor_of.get(mrn)
            l[k] = l.get(k, 0) + int(cnt)
        rejected += int(psql(env["DB_" + n], "select count(*) from movement_rejection")[0][0])

    def rank(link):
        a, b = link.split(" -> ")
        return (0 if "-" in a else 1 if b == "hub" else 2 if a == "hub" else 3, link)

    lw = max(len(l) for l in links) + 2
    print()
    print("Messages per link and corridor (delivered; waiting and dead letters over all corridors)")
    print("%-*s" % (lw, "link") + "".join("%9s" % short[k] for k in order)
          + "%9s%9s%6s" % ("total", "waiting", "dead"))
    for l in sorted(links, key=rank):
        v = links[l]
        counts = [v.get(k, 0) for k in order]
        total = sum(x for key, x in v.items() if key not in ("waiting", "dead"))
        print("%-*s" % (lw, l) + "".join("%9d" % x for x in counts)
              + "%9d%9d%6d" % (total, v["waiting"], v["dead"]))
    hooks = 0
    if os.path.exists(env.get("HOOK_LOG", "")):
        with open(env["HOOK_LOG"]) as f:
            hooks = sum(1 for _ in f)
    print()
    print("messages refused by a lifecycle (NAK 90/92): %d; webhooks received by Niger's system: %d"
          % (rejected, hooks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
