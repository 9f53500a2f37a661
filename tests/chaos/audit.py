#!/usr/bin/python3
"""audit.py - the chaos run's verdict (tests/chaos/chaos.sh), from the
nodes' databases and the adapters' outputs only (state files, inbox
folders, the webhook receiver's log), once every queue has drained:

 1. every movement of the day's plan reached, at every node that has a view
    of it, the state its completed steps call for (DISCHARGED, or where the
    day left it: EN_ROUTE, ARRIVED...; the broken seal DISCREPANCY, the lost
    truck UNDER_ENQUIRY), and no node has a view the plan does not explain;
 2. every message for an office reached that country's adapter exactly once:
    the node's delivery rows to its adapter, the adapter's record of what it
    handed on (ASYCUDA inbox table and files; sigmat-generic's webhook
    outbox) and Niger's receiver log are the same set of message ids (the
    receiver may log one twice after a kill -9: webhooks are at least once,
    deduplicated by X-Sigmat-Message-Id; the business effect is counted once);
    everything the adapters sent was acknowledged and is in their node;
 3. no NAK the test did not provoke: no dead letter, no lifecycle refusal,
    nothing rejected in the adapters' outboxes;
 4. every event chain verifies (`sigmatctl movement verify --all` at each node);
then prints the figures. Exit 0 when clean, 1 with the failures listed.

  audit.py DIR/corridor.env [--drain-timeout S]
"""
import argparse, collections, concurrent.futures, glob, json, os, re, sqlite3, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "deploy", "corridor.d"))
from common import load_env, psql   # noqa: E402
import traffic                       # noqa: E402

COUNTRIES = ("CI", "BF", "NE", "TG")
ADAPTER = {"CI": "ci-asycuda", "BF": "bf-asycuda", "TG": "tg-asycuda", "NE": "ne-generic"}


class Audit:
    def __init__(self, env):
        self.env = env
        self.dir = env["DIR"]
        self.failures = []
        self.fig = collections.OrderedDict()

    def fail(self, text):
        self.failures.append(text)

    def sqlite(self, path, sql):
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def asy_db(self, c):
        return os.path.join(self.dir, ADAPTER[c], "state.db")

    # ---- 0. wait until everything has drained ---------------------------------------
    def busy(self):
        n = 0
        for node in self.env["NODES"].split():
            n += int(psql(self.env["DB_" + node], "select count(*) from delivery where state in"
                          " ('pending', 'inflight')")[0][0])
        for c in ("CI", "BF", "TG"):
            n += self.sqlite(self.asy_db(c), "select count(*) from outbox where status = 'queued'")[0][0]
            for sub in ("spool", "work"):
                n += len([f for f in os.listdir(os.path.join(self.dir, ADAPTER[c], sub))
                          if not f.startswith(".")])
        g = os.path.join(self.dir, "ne-generic.db")
        n += self.sqlite(g, "select count(*) from out_msg where status = 'queued'")[0][0]
        n += self.sqlite(g, "select count(*) from hook where state = 'pending'")[0][0]
        return n

    def drain(self, timeout):
        t0, calm, left = time.time(), 0, None
        while time.time() - t0 < timeout:
            left = self.busy()
            calm = calm + 1 if left == 0 else 0
            if calm >= 3:
                return time.time() - t0
            time.sleep(1)
        self.fail("queues did not drain within %d s (%d items still waiting)" % (timeout, left))
        return time.time() - t0

    # ---- 1. movements -----------------------------------------------------------------
    def expected(self):
        sim = traffic.Sim(dict(self.env))       # the same seeded plan as the day that ran
        ref = sim.code2ref
        mrn_of = {}
        for c in ("CI", "BF", "TG"):
            for lrn, mrn in self.sqlite(self.asy_db(c), "select lrn, mrn from declaration"):
                mrn_of[lrn] = mrn
        views, plan = {}, {}
        for m in sim.movements:
            mrn = mrn_of.get(m["lrn"])
            if not mrn:
                self.fail("movement %s (%s) never got an MRN from its departure adapter"
                          % (m["lrn"], m["corridor"]))
                continue
            done = [s for s in m["steps"] if s[0] <= sim.end]
            kinds = [s[1] for s in done]
            crossed = {ref[s[2]] for s in done if s[1] == "crossing"}
            if m["special"] == "overdue":
                dep = "UNDER_ENQUIRY"
            elif "control" in kinds:
                dep = "DISCREPANCY" if m["special"] == "seal" else "DISCHARGED"
            elif "arrival" in kinds:
                dep = "ARRIVED"
            elif crossed:
                dep = "EN_ROUTE"
            elif len(done) >= 2:
                dep = "RELEASED"
            else:
                dep = "REGISTERED"
            gone = dep == "DISCHARGED"
            v = {ref[m["dep"]]: ("DEPARTURE", dep)}
            for o in m["transit"]:
                r = ref[o]
                v[r] = ("TRANSIT", "DISCHARGED" if gone else "CROSSED" if r in crossed
                        else "ANTICIPATED")
            dst = ref[m["dst"]]
            v[dst] = ("DESTINATION", "DISCHARGED" if gone else "CONTROLLED" if "control" in kinds
                      else "ARRIVED" if "arrival" in kinds else "ANTICIPATED")
            views[mrn] = v
            plan[mrn] = m
        return views, plan

    def movements(self):
        views, plan = self.expected()
        got = {}
        for c in COUNTRIES:
            for mrn, office, role, state in psql(self.env["DB_" + c],
                                                  "select mrn, office, role, state from movement"):
                got[(mrn, office)] = (role, state, c)
        states = collections.Counter()
        bad = 0
        for mrn, v in views.items():
            for office, (role, state) in v.items():
                g = got.pop((mrn, office), None)
                if role == "DEPARTURE":
                    states[state] += 1
                if g is None:
                    self.fail("movement %s: no %s view at office %s (node %s)"
                              % (mrn, role, office, office[:2]))
                    bad += 1
                elif g[0] != role or g[1] != state or g[2] != office[:2]:
                    self.fail("movement %s at %s: %s %s at node %s, expected %s %s (%s)"
                              % (mrn, office, g[0], g[1], g[2], role, state, plan[mrn]["lrn"]))
                    bad += 1
        for (mrn, office), g in sorted(got.items()):
            self.fail("node %s has a view of %s at %s (%s %s) the plan does not explain"
                      % (g[2], mrn, office, g[0], g[1]))
        self.fig["movements"] = len(views)
        self.fig["departure states"] = ", ".join("%s %d" % kv for kv in sorted(states.items()))
        self.fig["views checked"] = sum(len(v) for v in views.values())
        return views

    # ---- 4. event chains ------------------------------------------------------------------
    def chains(self, views):
        nodes = sorted({office[:2] for v in views.values() for office in v})

        def verify(c):
            r = subprocess.run([self.env["SIGMATCTL"], "movement", "verify", "--all", "--db",
                                self.env["DB_" + c]], capture_output=True, text=True)
            return c, r.returncode, r.stdout.strip(), r.stderr.strip()
        n = 0
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            for c, rc, out, err in ex.map(verify, nodes):
                last = out.splitlines()[-1] if out else ""
                m = re.match(r"(\d+) views of (\d+) movements verified", last)
                if m:
                    n += int(m.group(1))
                if rc != 0 or not m:
                    self.fail("event chains at node %s: %s" % (c, (out + " " + err).strip()))
        self.fig["event chains verified"] = n

    # ---- 2. exactly once, 3. no NAK -----------------------------------------------------
    def deliveries(self):
        ids_at, delivered, msgs = {}, {}, collections.Counter()
        for node in self.env["NODES"].split():
            db = self.env["DB_" + node]
            ids_at[node] = {r[0]: (r[1], r[2], r[3]) for r in
                            psql(db, "select id, type, recipient, origin_node from message")}
            dead = int(psql(db, "select count(*) from delivery where state = 'dead'")[0][0])
            if dead:
                self.fail("node %s has %d dead letters (a NAK the test did not provoke)" % (node, dead))
            rej = psql(db, "select message_id, msg_type, code, reason from movement_rejection")
            for r in rej:
                self.fail("node %s refused %s %s: NAK %s %s" % (node, r[1], r[0], r[2], r[3]))
            if node in ADAPTER:
                delivered[node] = {r[0] for r in psql(db, "select message_id from delivery where"
                                                          " next_hop = '%s' and state = 'done'"
                                                          % ADAPTER[node])}
        every = {}
        for node, ids in ids_at.items():
            for i, v in ids.items():
                every[i] = v
        for i, (t, rcpt, origin) in every.items():
            msgs[t] += 1
            c = rcpt[:2]
            if c not in ids_at:
                continue
            # end to end: it reached the recipient's node, and, when it came
            # from another country, that node handed it to its adapter (what
            # a country's own adapter sends to its own offices is consumed by
            # the node's lifecycle)
            if i not in ids_at[c]:
                self.fail("%s %s from %s for %s never reached node %s" % (t, i, origin, rcpt, c))
            elif origin != c and i not in delivered[c]:
                self.fail("%s %s from %s for %s never reached %s" % (t, i, origin, rcpt, ADAPTER[c]))
            if t == "NAK":
                self.fail("a NAK message %s for %s" % (i, rcpt))
        self.fig["messages"] = "%d (%s)" % (len(every), ", ".join("%s %d" % kv for kv in
                                                                  sorted(msgs.items())))
        # the adapters' side
        handed = 0
        for c in ("CI", "BF", "TG"):
            a = ADAPTER[c]
            inbox = {r[0]: r[1] for r in self.sqlite(self.asy_db(c), "select msg_id, file from inbox")}
            files = collections.Counter()
            for f in os.listdir(os.path.join(self.dir, a, "inbox")):
                m = re.search(r"_([0-9a-f-]{36})\.xml$", f)
                if m:
                    files[m.group(1)] += 1
            for i in delivered[c] - set(inbox):
                self.fail("%s: the node delivered %s but the adapter has no record of it" % (a, i))
            for i in set(inbox) - delivered[c]:
                self.fail("%s: recorded %s that its node did not deliver" % (a, i))
            for i, f in inbox.items():
                if f and files[i] != 1:
                    self.fail("%s: message %s has %d inbox files (expected 1)" % (a, i, files[i]))
            handed += len(inbox)
            for i, st, code, why in self.sqlite(self.asy_db(c), "select msg_id, status, nak_code,"
                                                " nak_reason from outbox"):
                if st != "accepted":
                    self.fail("%s: outbox %s is %s (%s %s)" % (a, i, st, code, why))
                elif i not in ids_at[c]:
                    self.fail("%s: %s was acknowledged but node %s does not have it" % (a, i, c))
        g = os.path.join(self.dir, "ne-generic.db")
        hooks = {r[0]: r[1] for r in self.sqlite(g, "select id, state from hook")}
        for i in delivered["NE"] - set(hooks):
            self.fail("ne-generic: the node delivered %s but there is no webhook for it" % i)
        for i, st in hooks.items():
            if st != "delivered":
                self.fail("ne-generic: webhook %s is %s" % (i, st))
        for i, st, code, why in self.sqlite(g, "select id, status, nak_code, nak_reason from out_msg"):
            if st != "acknowledged":
                self.fail("ne-generic: message %s to the node is %s (%s %s)" % (i, st, code, why))
            elif i not in ids_at["NE"]:
                self.fail("ne-generic: %s was acknowledged but node NE does not have it" % i)
        raw = collections.Counter()
        try:
            with open(self.env["HOOK_LOG"]) as f:
                for line in f:
                    raw[json.loads(line)["id"]] += 1
        except OSError:
            pass
        for i in set(hooks) - set(raw):
            self.fail("Niger's system never received webhook %s" % i)
        for i in set(raw) - set(hooks):
            self.fail("Niger's system received %s, which sigmat-generic never sent" % i)
        handed += len(hooks)
        self.fig["handed to national systems"] = "%d (ASYCUDA inbox %d, webhooks %d)" % (
            handed, handed - len(hooks), len(hooks))
        self.fig["webhooks received again after a receiver kill -9"] = sum(raw.values()) - len(raw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("env")
    ap.add_argument("--drain-timeout", type=int, default=240)
    a = ap.parse_args()
    env = load_env(a.env)
    au = Audit(env)
    faults = {}
    fpath = os.path.join(env["DIR"], "chaos", "faults.json")
    if os.path.exists(fpath):
        faults = json.load(open(fpath))
    t = au.drain(a.drain_timeout)
    drained_at = time.time()
    healed = faults.get("healed_at")
    views = au.movements()
    au.deliveries()
    au.chains(views)
    for u in faults.get("unexpected", []):
        au.fail("%s %s at %.1f s" % (u["process"], u["what"], u["t"]))
    f = collections.OrderedDict()
    f["seed"] = faults.get("seed", "?")
    f.update(au.fig)
    f["faults"] = "%d (%s)" % (len(faults.get("faults", [])), ", ".join(
        "%s %d" % kv for kv in sorted(faults.get("by_kind", {}).items())))
    f["processes that died on their own"] = len(faults.get("unexpected", []))
    f["max queue (deliveries waiting, all nodes)"] = faults.get("max_queue", "?")
    f["longest restart until listening"] = "%.2f s" % faults.get("max_back_s", 0)
    f["recovery: all queues empty after the last fault"] = (
        "%.1f s" % (drained_at - healed if healed else t))
    sizes = []
    for n in env["NODES"].split():
        try:
            sizes.append("%s %s" % (n, psql(env["DB_" + n], "select pg_size_pretty("
                                           "pg_database_size(current_database()))")[0][0]))
        except RuntimeError:
            sizes.append("%s ?" % n)
    f["database sizes"] = ", ".join(sizes)
    f["load average (1, 5, 15 min)"] = "%.2f %.2f %.2f" % os.getloadavg()
    w = max(len(k) for k in f)
    print("chaos audit figures")
    for k, v in f.items():
        print("  %-*s  %s" % (w, k, v))
    if au.failures:
        print("\nchaos audit: %d FAILURES" % len(au.failures))
        for x in au.failures[:200]:
            print("  FAIL " + x)
        return 1
    print("\nchaos audit: clean (every movement in its expected state at every node, every"
          " message handed on exactly once, no NAK, every event chain intact)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
