#!/usr/bin/python3
"""traffic.py - the simulated day of deploy/corridor.

Plays N transit movements on the corridors Abidjan -> Ouagadougou, Abidjan
-> Niamey, Lome -> Ouagadougou, Lome -> Niamey and Ouagadougou -> Niamey,
the way the national systems would:

- each T1 is exported by ASYCUDA World twice (registered, then released)
  as SAD XML into the departure adapter's spool folder (write, then rename);
- border officers record each crossing, destination officers the arrival
  and the control results, through the adapters' HTTP callbacks (Niger's
  through sigmat-generic's REST API), looking the truck up by its local
  reference in the list of movements expected at their office;
- a few incidents, one broken seal (INC SB, then DCR B1 with seals not
  intact: DISCREPANCY), one truck that never arrives (its time limit
  passes: OVERDUE, then UNDER_ENQUIRY), and Burkina Faso's node stopped for
  a while (a minute; 10 s with --short) in the middle of the day.

Time is simulated: the nodes' lifecycle clock is the clock file, moved in
steps of 10 minutes from day 1 05:00 to day 3 12:00 UTC; the callbacks
carry the same times. An arrival is recorded only once the departure node
has the truck's crossings (a crossing that reaches the departure office
after the arrival is refused there, NAK 92), which is what a truck that
waits at a border whose node is down looks like.

  traffic.py DIR/corridor.env
"""
import datetime, http.client, json, os, random, re, signal, socket, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_env, psql, fmt_dt, read_offices   # noqa: E402
from sad import sad_xml                                     # noqa: E402

STEP = datetime.timedelta(minutes=10)

# code, name, departure country, departure, destination, transit offices with
# the hours of road (+ border) before each, then the hours to destination; weight
CORRIDORS = [
    ("ABJ-OUA", "CI", "CIAB1", "BFOU1", [("CIOU1", 13), ("BFNI1", 2)], 8, 35),
    ("ABJ-NIA", "CI", "CIAB1", "NENI1", [("CIOU1", 13), ("BFNI1", 2), ("BFKA1", 14), ("NEMK1", 2)], 2, 20),
    ("LOM-OUA", "TG", "TGLO1", "BFOU1", [("TGCK1", 12), ("BFCK1", 1.5)], 4, 25),
    ("LOM-NIA", "TG", "TGLO1", "NENI1", [("TGCK1", 12), ("BFCK1", 1.5), ("BFKA1", 8), ("NEMK1", 2)], 2, 10),
    ("OUA-NIA", "BF", "BFOU1", "NENI1", [("BFKA1", 6), ("NEMK1", 2)], 2, 10),
]
INCIDENTS = [
    ("AC", "Accrochage sans gravité au poste, chargement et scellés intacts"),
    ("OT", "Camion immobilisé 5 h: pneu crevé, réparé sur place"),
    ("RD", "Déviation: pont coupé, itinéraire de contournement validé par la brigade"),
    ("OT", "Panne de tracteur, dépannage sous escorte douanière"),
]


class Api:
    """A keep-alive HTTP client of one adapter's callback API."""

    def __init__(self, port, token, generic):
        self.port, self.token, self.generic = port, token, generic
        self.conn = None

    def call(self, method, path, body=None, key=None):
        headers = {"Authorization": "Bearer " + self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, data, headers)
                r = self.conn.getresponse()
                raw = r.read()
                try:
                    js = json.loads(raw) if raw else None
                except ValueError:
                    js = None
                return r.status, js
            except (OSError, http.client.HTTPException):
                self.conn = None
                time.sleep(0.2)
        return 0, None


class Sim:
    def __init__(self, env):
        self.env = env
        self.dir = env["DIR"]
        self.short = env["SHORT"] == "1"
        self.rng = random.Random(int(env["SEED"]))
        self.n = int(env["MOVEMENTS"])
        self.code2ref, self.ref2name = read_offices(env["SRC"] + "/adapters/asycuda/offices.csv")
        d1 = datetime.datetime.strptime(env["DAY1"], "%Y-%m-%d")
        self.day1 = d1
        self.start = d1 + datetime.timedelta(hours=5)
        self.end = d1 + datetime.timedelta(days=2, hours=12)
        self.cut_from = d1 + datetime.timedelta(hours=13)
        self.cut_to = d1 + datetime.timedelta(hours=16)
        self.cut_seconds = 10 if self.short else 60
        self.tick_seconds = 0.03 if self.short else 0.1
        self.api = {c: Api(int(env["HTTP_" + c]), env["ASY_TOKEN"], False) for c in ("CI", "BF", "TG")}
        self.api["NE"] = Api(int(env["HTTP_NE"]), env["GEN_TOKEN"], True)
        self.count = {"registered": 0, "released": 0, "crossings": 0, "incidents": 0,
                      "arrivals": 0, "controls": 0, "errors": 0}
        self.t0 = float(os.environ.get("COR_T0") or time.time())
        self.plan()

    # ---- the plan --------------------------------------------------------------------
    def plan(self):
        rng = self.rng
        weights = [c[6] for c in CORRIDORS]
        self.movements = []
        serial = {}
        for i in range(self.n):
            cor = rng.choices(CORRIDORS, weights)[0]
            code, country, dep, dst, legs, last, _ = cor
            serial[dep] = serial.get(dep, 0) + 1
            reg = self.start + datetime.timedelta(hours=1, minutes=rng.randint(0, 11 * 60))
            rel = reg + datetime.timedelta(minutes=rng.randint(20, 120))
            m = {"i": i, "corridor": code, "country": country, "dep": dep, "dst": dst,
                 "transit": [o for o, _ in legs], "reg_no": 20000 + serial[dep],
                 "lrn": "%s-%s-%05d" % (code[:3], self.day1.strftime("%y%m%d"), i + 1),
                 "registered": reg, "released": rel, "time_limit": rel.date() + datetime.timedelta(days=8),
                 "mrn": None, "special": None, "steps": []}
            t = rel
            steps = [(reg, "file", "registered"), (rel, "file", "released")]
            for office, hours in legs:
                t = t + datetime.timedelta(hours=hours * rng.uniform(0.8, 1.5) + rng.uniform(0, 2))
                steps.append((t, "crossing", office))
            t = t + datetime.timedelta(hours=last * rng.uniform(0.8, 1.5) + rng.uniform(0, 1))
            steps.append((t, "arrival", dst))
            steps.append((t + datetime.timedelta(minutes=rng.randint(40, 240)), "control", dst))
            m["steps"] = steps
            self.movements.append(m)
        # The specials: one truck that never arrives (a one-day time limit,
        # last seen at its first border), one broken seal, a few incidents.
        ordinary = [m for m in self.movements]
        rng.shuffle(ordinary)
        late = next((m for m in ordinary if m["corridor"] in ("OUA-NIA", "LOM-OUA")), ordinary[0])
        late["special"] = "overdue"
        late["time_limit"] = late["released"].date()
        late["steps"] = late["steps"][:3]
        seal = next((m for m in ordinary if m["special"] is None and m["corridor"] in ("LOM-OUA", "ABJ-OUA")),
                    next(m for m in ordinary if m["special"] is None))
        seal["special"] = "seal"
        b = seal["steps"][3]          # at the second border post, before its crossing
        seal["steps"].insert(3, (b[0], "incident", (b[2], "SB", "Scellé %s rompu constaté à l'entrée du poste;"
                                                    " nouveau scellé posé" % seal_ids(seal)[0])))
        n_inc = max(3, self.n // 60)
        for m in [m for m in ordinary if m["special"] is None][:n_inc]:
            m["special"] = "incident"
            k = 2 + rng.randrange(len(m["transit"]))         # before the crossing of transit k
            s = m["steps"][k]
            m["steps"].insert(k, (s[0], "incident", (s[2],) + rng.choice(INCIDENTS)))
        self.late, self.seal = late, seal
        for m in self.movements:
            m["next"] = 0

    # ---- helpers ---------------------------------------------------------------------
    def log(self, text):
        print("[%4ds] %s" % (time.time() - self.t0, text), flush=True)

    def write_clock(self, t):
        # tests/chaos moves the clock: minutes to add, while CLOCK.skew exists
        try:
            t = t + datetime.timedelta(minutes=int(open(self.env["CLOCK"] + ".skew").read()))
        except (OSError, ValueError):
            pass
        tmp = self.env["CLOCK"] + ".tmp"
        with open(tmp, "w") as f:
            f.write(fmt_dt(t) + "\n")
        os.rename(tmp, self.env["CLOCK"])

    def expected(self, office):
        """lrn -> mrn of the movements expected (ANTICIPATED) at office, once per tick."""
        if office in self.cache:
            return self.cache[office]
        country = office[:2]
        api = self.api[country]
        out = {}
        if api.generic:
            st, js = api.call("GET", "/v1/offices/%s/movements" % self.code2ref[office])
            for v in (js or {}).get("Movements", []) if st == 200 else []:
                out[v.get("FunctionalReferenceID")] = v["DeclarationID"]
        else:
            st, js = api.call("GET", "/v1/offices/%s/expected" % office)
            for v in (js or {}).get("expected", []) if st == 200 else []:
                out[v.get("lrn")] = v["mrn"]
        self.cache[office] = out
        return out

    def crossed(self, country):
        """mrn -> crossings recorded by the departure node of country, once per tick."""
        key = "crossed-" + country
        if key not in self.cache:
            rows = psql(self.env["DB_" + country],
                        "select mrn, cardinality(crossed) from movement where role = 'DEPARTURE'")
            self.cache[key] = {r[0]: int(r[1]) for r in rows}
        return self.cache[key]

    # ---- one step of one movement: True when done, False to try again later -----------
    def do(self, m, t, kind, arg):
        if kind == "file":
            spool = self.env["SPOOL_" + m["country"]]
            name = "%s-%s.xml" % (m["lrn"], arg)
            with open(os.path.join(spool, name + ".tmp"), "w", encoding="utf-8") as f:
                f.write(sad_xml(m, arg == "released", self.code2ref))
            os.rename(os.path.join(spool, name + ".tmp"), os.path.join(spool, name))
            self.count[arg] += 1
            return True
        office = arg[0] if kind == "incident" else arg
        country = office[:2]
        api = self.api[country]
        mrn = m["mrn"]
        if kind != "control":
            mrn = self.expected(office).get(m["lrn"])
            if not mrn:
                return False            # the record has not reached that office yet
            m["mrn"] = mrn
        if kind == "arrival" and self.crossed(m["country"]).get(mrn, 0) < len(m["transit"]):
            return False                # wait until the departure office has the crossings
        at = fmt_dt(t)
        rid = "%s-%s-%s" % (m["lrn"], kind, office)
        ref = self.code2ref[office]
        seal = m["special"] == "seal"
        if api.generic:
            if kind == "crossing":
                body = {"TransitCustomsOffice": {"ID": ref}, "CrossingDateTime": at}
            elif kind == "incident":
                body = {"IncidentCustomsOffice": {"ID": ref}, "IncidentDateTime": at,
                        "IncidentTypeCode": arg[1], "IncidentText": arg[2]}
            elif kind == "arrival":
                body = {"ArrivalCustomsOffice": {"ID": ref}, "ArrivalDateTime": at,
                        "GoodsLocation": {"Name": "Aire de dédouanement de %s" % self.ref2name[ref]}}
            else:
                body = {"ControlCustomsOffice": {"ID": ref}, "ControlDate": at[:10],
                        "ControlResultCode": "B1" if seal else "A1", "SealsIntactIndicator": not seal}
                if seal:
                    body["DiscrepanciesDescription"] = "Scellé rompu; 12 colis manquants"
            st, js = api.call("POST", "/v1/movements/%s/%s" % (mrn, kind), body, key=rid)
            ok = st in (200, 201, 202)
        else:
            body = {"request_id": rid, "office": office, "at": at}
            if kind == "incident":
                body.update({"type": arg[1], "text": arg[2]})
            elif kind == "arrival":
                body["location"] = "Magasin sous douane, %s" % self.ref2name[ref]
            elif kind == "control":
                body.update({"result": "B1" if seal else "A1", "seals_intact": not seal})
                if seal:
                    body["discrepancies"] = "Scellé %s rompu à l'arrivée; 12 sacs manquants" % seal_ids(m)[0]
            st, js = api.call("POST", "/v1/movements/%s/%s" % (mrn, kind), body)
            ok = st == 200
        if ok:
            self.count[{"crossing": "crossings", "incident": "incidents", "arrival": "arrivals",
                        "control": "controls"}[kind]] += 1
            return True
        if st in (0, 404, 409, 503):
            return False
        self.count["errors"] += 1
        self.log("  %s %s of %s (%s) refused: HTTP %s %s" % (kind, office, m["lrn"], mrn, st, js))
        return True

    def run_due(self, now):
        self.cache = {}
        pending = 0
        for m in self.movements:
            while m["next"] < len(m["steps"]):
                t, kind, arg = m["steps"][m["next"]]
                if t > now:
                    break
                if not self.do(m, t, kind, arg):
                    pending += 1
                    break
                m["next"] += 1
        return pending

    # ---- the link cut --------------------------------------------------------------------
    def node_stop(self, name):
        pidf = os.path.join(self.dir, "run", "node-%s.pid" % name)
        pid = int(open(pidf).read())
        os.kill(pid, signal.SIGTERM)
        for _ in range(300):
            try:
                os.kill(pid, 0)
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                if open("/proc/%d/stat" % pid).read().split()[2] == "Z":
                    break
            except (ProcessLookupError, FileNotFoundError):
                break
            time.sleep(0.1)
        os.unlink(pidf)

    def node_start(self, name):
        log = open(os.path.join(self.dir, "log", name + ".log"), "a")
        p = subprocess.Popen([self.env["SIGMATD"], "-c", os.path.join(self.dir, name + ".conf")],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        with open(os.path.join(self.dir, "run", "node-%s.pid" % name), "w") as f:
            f.write("%d\n" % p.pid)
        port = int(self.env["PORT_" + name])
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("node %s did not come back" % name)

    # ---- progress ------------------------------------------------------------------------
    def discharged(self):
        n = 0
        for c in ("CI", "TG", "BF"):
            rows = psql(self.env["DB_" + c], "select count(*) from movement where role = 'DEPARTURE'"
                        " and state = 'DISCHARGED'")
            n += int(rows[0][0])
        return n

    def queued(self):
        n = 0
        for node in self.env["NODES"].split():
            rows = psql(self.env["DB_" + node], "select count(*) from delivery where state in"
                        " ('pending', 'inflight')")
            n += int(rows[0][0])
        return n

    def progress(self, now):
        c = self.count
        self.log("  %s  released %d/%d  crossings %d  arrivals %d  controls %d  discharged %d"
                 "  messages queued %d" % (fmt_dt(now)[5:16].replace("T", " "), c["released"], self.n,
                                           c["crossings"], c["arrivals"], c["controls"],
                                           self.discharged(), self.queued()))

    # ---- the day ---------------------------------------------------------------------------
    def run(self):
        every = 3 if self.short else 5
        last = time.time()
        now = self.start
        cut_ticks = (self.cut_to - self.cut_from) / STEP
        self.log("== day 1 %s: ASYCUDA exports start (%d movements; special: %s overdue, %s broken seal)"
                 % (fmt_dt(now)[:10], self.n, self.late["lrn"], self.seal["lrn"]))
        while now <= self.end:
            tick = time.time()
            self.write_clock(now)
            if now == self.cut_from:
                self.log("== %s: link cut: Burkina Faso's node stopped for %d s (simulated 3 h)"
                         % (fmt_dt(now)[11:16], self.cut_seconds))
                self.node_stop("BF")
            if now == self.cut_to:
                self.node_start("BF")
                self.log("== %s: link restored: Burkina Faso's node is back, queues drain"
                         % fmt_dt(now)[11:16])
            self.run_due(now)
            if time.time() - last >= every:
                self.progress(now)
                last = time.time()
            if now.hour == 0 and now.minute == 0:
                self.log("== day %d begins" % ((now - self.day1).days + 1))
            span = self.cut_seconds / cut_ticks if self.cut_from <= now < self.cut_to else self.tick_seconds
            time.sleep(max(0, span - (time.time() - tick)))
            now += STEP
        now = self.end
        self.log("== end of the simulated period (%s): finishing the steps that were waiting"
                 % fmt_dt(now))
        deadline = time.time() + int(os.environ.get("COR_FINISH_WAIT") or 120)
        while self.run_due(now) and time.time() < deadline:
            time.sleep(0.5)
        self.progress(now)
        return self.catch_up()

    def catch_up(self):
        self.log("== catching up: waiting for every queue (nodes, adapters, webhooks) to be empty")
        deadline = time.time() + int(os.environ.get("COR_CATCHUP_WAIT") or 180)
        calm = 0
        while time.time() < deadline:
            busy = self.queued()
            for c in ("CI", "BF", "TG"):
                out = subprocess.run([self.env["ASY"], "-c", self.env["ACONF_" + c], "status"],
                                     capture_output=True, text=True).stdout
                q = re.search(r"outbox: *queued (\d+)", out)
                f = re.search(r"folders: *spool (\d+), work (\d+)", out)
                busy += int(q.group(1)) if q else 1
                busy += int(f.group(1)) + int(f.group(2)) if f else 1
            out = subprocess.run([self.env["GEN"], "-c", self.env["GCONF_NE"], "status", "--json"],
                                 capture_output=True, text=True).stdout
            try:
                js = json.loads(out)
                busy += js["to_node"]["queued"] + js["webhooks"]["pending"]
            except (ValueError, KeyError):
                busy += 1
            calm = calm + 1 if busy == 0 else 0
            if calm >= 2:
                c = self.count
                self.log("== caught up: %d files, %d crossings, %d incidents, %d arrivals, %d controls"
                         " recorded; %d refused" % (c["registered"] + c["released"], c["crossings"],
                                                   c["incidents"], c["arrivals"], c["controls"],
                                                   c["errors"]))
                return 0 if c["errors"] == 0 else 1
            time.sleep(1)
        self.log("corridor: the queues did not drain within 3 minutes (%d still queued)" % busy)
        return 1


def seal_ids(m):
    return ["%s-DGD-%07d" % (m["country"], 4000000 + m["i"] * 3 + k) for k in range(3)]


def main():
    env = load_env(sys.argv[1])
    return Sim(env).run()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
