#!/usr/bin/python3
"""summary.py - what the nodes' databases say at the end of deploy/corridor.

Table 1, per corridor, from the departure views (the authority: table
movement, role DEPARTURE, at the CI, TG and BF nodes): movements, discharged,
in transit (RELEASED, EN_ROUTE, ARRIVED, CONTROLLED), discrepancy,
overdue or under enquiry (OVERDUE, UNDER_ENQUIRY, RECOVERY), and the median
time from release to discharge (movement.finished - movement.released, on
the lifecycle clock, i.e. simulated time).

Table 2, per link and corridor: messages delivered on each link, from every
node's delivery table (node -> next hop: a peer node or a local adapter)
and message table (adapter -> node: from_peer), with what still waits and
the dead letters.

  summary.py DIR/corridor.env
"""
import os, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_env, psql, read_offices   # noqa: E402

IN_TRANSIT = ("RELEASED", "EN_ROUTE", "ARRIVED", "CONTROLLED")
LATE = ("OVERDUE", "UNDER_ENQUIRY", "RECOVERY")
CODES = {"CI000101": "ABJ", "TG000101": "LOM", "BF000101": "OUA", "NE000101": "NIA"}


def city(name):
    return name.split(" ")[0]


def main():
    env = load_env(sys.argv[1])
    _, ref2name = read_offices(env["SRC"] + "/adapters/asycuda/offices.csv")
    nodes = env["NODES"].split()
    corridor_of = {}
    per = {}
    for n in ("CI", "TG", "BF"):
        rows = psql(env["DB_" + n],
                    "select mrn, departure, destination, state,"
                    " coalesce(extract(epoch from finished - released)::int8, -1)"
                    " from movement where role = 'DEPARTURE'")
        for mrn, dep, dst, state, secs in rows:
            key = (dep, dst)
            corridor_of[mrn] = key
            c = per.setdefault(key, {"n": 0, "DISCHARGED": 0, "transit": 0, "DISCREPANCY": 0,
                                     "late": 0, "times": [], "late_mrns": [], "disc_mrns": []})
            c["n"] += 1
            if state == "DISCHARGED":
                c["DISCHARGED"] += 1
                if int(secs) >= 0:
                    c["times"].append(int(secs))
            elif state in IN_TRANSIT:
                c["transit"] += 1
            elif state == "DISCREPANCY":
                c["DISCREPANCY"] += 1
                c["disc_mrns"].append(mrn)
            elif state in LATE:
                c["late"] += 1
                c["late_mrns"].append("%s %s" % (mrn, state))
    order = sorted(per, key=lambda k: (-per[k]["n"], k))
    name = {k: "%s -> %s" % (city(ref2name.get(k[0], k[0])), city(ref2name.get(k[1], k[1])))
            for k in order}
    short = {k: "%s-%s" % (CODES.get(k[0], k[0]), CODES.get(k[1], k[1])) for k in order}

    def median(ts):
        if not ts:
            return "-"
        m = int(statistics.median(ts)) // 60
        return "%dh%02d" % (m // 60, m % 60)

    w = max([len(v) for v in name.values()] + [len("corridor")]) + 2
    print("Corridors (departure views at the departure nodes; times are simulated)")
    print("%-*s%11s%12s%12s%13s%17s%28s" % (w, "corridor", "movements", "discharged", "in transit",
                                             "discrepancy", "overdue/enquiry",
                                             "median release->discharge"))
    tot = {"n": 0, "DISCHARGED": 0, "transit": 0, "DISCREPANCY": 0, "late": 0, "times": []}
    for k in order:
        c = per[k]
        for f in tot:
            tot[f] += c[f]
        print("%-*s%11d%12d%12d%13d%17d%28s" % (w, name[k], c["n"], c["DISCHARGED"], c["transit"],
                                                 c["DISCREPANCY"], c["late"], median(c["times"])))
    print("%-*s%11d%12d%12d%13d%17d%28s" % (w, "all corridors", tot["n"], tot["DISCHARGED"],
                                             tot["transit"], tot["DISCREPANCY"], tot["late"],
                                             median(tot["times"])))
    for k in order:
        for x in per[k]["disc_mrns"]:
            print("  discrepancy: %s (%s)" % (x, name[k]))
        for x in per[k]["late_mrns"]:
            print("  overdue:     %s (%s)" % (x, name[k]))

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
