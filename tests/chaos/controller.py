#!/usr/bin/python3
"""controller.py - the chaos run's fault injector (tests/chaos/chaos.sh).

Waits for deploy/corridor to be up, then, while the simulated day runs, at
random moments drawn from a seeded generator (the seed is printed, so a run
can be replayed), does one of:

  kill-node      kill -9 a node (hub, CI, NE, TG), start it again 0.5-3 s later
  kill-adapter   kill -9 an adapter (ci/bf/tg-asycuda, ne-generic), restart
  kill-receiver  kill -9 Niger's webhook receiver, restart
  pg-freeze      SIGSTOP the PostgreSQL backends serving one node, SIGCONT later
  pg-restart     restart the PostgreSQL cluster under all nodes (pg_ctl -m fast)
  link-cut       cut the link between the hub and a country (both ways)
  clock          move the lifecycle clock by -90..+90 minutes for a few seconds

(BF's node is not killed: the simulation stops it itself for a while; outside
that window it is watched like the others.)
It also samples the queues every second. When the simulated period ends it
heals everything, restarts anything that is down, and writes
DIR/chaos/faults.json: each fault with its time, target, duration and the
time the component took to come back, the largest queue seen, and any
process that died without being killed (a finding).

  controller.py DIR/corridor.env --seed N --mode short|long
"""
import argparse, datetime, glob, json, os, random, signal, socket, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "deploy", "corridor.d"))
from common import load_env   # noqa: E402

KINDS = ["kill-node", "kill-adapter", "kill-receiver", "pg-freeze", "pg-restart", "link-cut",
         "clock"]


def now():
    return time.time()


class Chaos:
    def __init__(self, envpath, seed, mode, kinds):
        self.envpath = envpath
        self.env = load_env(envpath)
        self.dir = self.env["DIR"]
        self.rng = random.Random(seed)
        self.seed, self.mode, self.kinds = seed, mode, kinds
        self.long = mode == "long"
        self.t0 = now()
        self.faults, self.unexpected = [], []
        self.max_queue, self.max_queue_at = 0, 0.0
        self.children = {}          # pidfile name -> Popen we started
        self.killed = set()         # pids we killed on purpose
        self.known = {}             # pidfile name -> pid seen alive
        self.stop_sampling = False
        self.pgbin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:] or [""]
        self.pgbin = os.environ.get("SIGMAT_PGBIN") or self.pgbin[0]
        # what deploy/corridor gives the processes it starts
        self.penv = dict(os.environ, SIGMAT_SCHEMA_DIR=os.path.join(self.env["SRC"], "messages", "schemas"),
                         SIGMAT_MIGRATIONS_DIR=os.path.join(self.env["SRC"], "db", "migrations"))

    def log(self, text):
        print("[chaos %6.1fs] %s" % (now() - self.t0, text), flush=True)

    # ---- processes -------------------------------------------------------------
    def pidfile(self, name):
        return os.path.join(self.dir, "run", name + ".pid")

    def pid(self, name):
        try:
            return int(open(self.pidfile(name)).read())
        except (OSError, ValueError):
            return None

    @staticmethod
    def alive(pid):
        try:
            st = open("/proc/%d/stat" % pid).read()
            return st[st.rindex(")") + 2] != "Z"
        except (OSError, ValueError):
            return False

    def command(self, name):
        e, d = self.env, self.dir
        if name.startswith("node-"):
            n = name[5:]
            return [e["SIGMATD"], "-c", os.path.join(d, n + ".conf")], n, int(e["PORT_" + n])
        if name == "adapter-ne-generic":
            return [e["GEN"], "-c", e["GCONF_NE"]], "ne-generic", int(e["HTTP_NE"])
        if name.startswith("adapter-"):
            a = name[8:]
            c = a[:2].upper()
            return [e["ASY"], "-c", e["ACONF_" + c], "run"], a, int(e["HTTP_" + c])
        if name == "receiver":
            return (["python3", "-B", os.path.join(e["SRC"], "deploy", "corridor.d", "webhook.py"),
                     "--port", e["HOOK_PORT"], "--secret-file", os.path.join(d, "webhook.secret"),
                     "--log", e["HOOK_LOG"]], "receiver", int(e["HOOK_PORT"]))
        raise ValueError(name)

    def listening(self, port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def start(self, name):
        """Starts name again; returns seconds until it listens."""
        cmd, log, port = self.command(name)
        t = now()
        while self.listening(port):         # a new process would fail to bind
            holder = subprocess.run(["ss", "-Htlnp", "sport = :%d" % port],
                                    capture_output=True, text=True).stdout.strip()
            if now() - t > 30:
                raise RuntimeError("port %d of %s still taken after 30 s: %s" % (port, name, holder))
            self.log("!! port %d of %s is taken (%s): waiting" % (port, name, holder))
            time.sleep(1)
        with open(os.path.join(self.dir, "log", log + ".log"), "a") as f:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                 start_new_session=True, env=self.penv)
        self.children[name] = p
        with open(self.pidfile(name) + ".tmp", "w") as f:
            f.write("%d\n" % p.pid)
        os.rename(self.pidfile(name) + ".tmp", self.pidfile(name))
        self.known[name] = p.pid
        while not self.listening(port):
            if p.poll() is not None:
                self.unexpected.append({"t": round(now() - self.t0, 1), "process": name,
                                        "what": "exited at start with %s" % p.returncode})
                self.log("!! %s exited at start (%s); trying again" % (name, p.returncode))
                time.sleep(1)
                return self.start(name)
            time.sleep(0.05)
        return now() - t

    def kill9(self, name):
        pid = self.pid(name)
        if not pid or not self.alive(pid):
            return False
        self.killed.add(pid)
        os.kill(pid, signal.SIGKILL)
        while self.alive(pid):
            p = self.children.get(name)
            if p:
                p.poll()
            time.sleep(0.02)
        return True

    def check_alive(self):
        """Finds processes that died without us: a finding; restarts them."""
        for f in glob.glob(os.path.join(self.dir, "run", "*.pid")):
            name = os.path.basename(f)[:-4]
            if name == "linkproxy" or (name == "node-BF" and self.bf_cut_window()):
                continue                    # the relay is ours; BF's stop is the simulation's
            pid = self.pid(name)
            if pid is None:
                continue
            p = self.children.get(name)
            if p:
                p.poll()
            if not self.alive(pid) and pid not in self.killed:
                self.unexpected.append({"t": round(now() - self.t0, 1), "process": name,
                                        "what": "died on its own (pid %d)" % pid})
                self.log("!! %s (pid %d) died on its own: restarting it" % (name, pid))
                self.killed.add(pid)
                self.start(name)

    # ---- PostgreSQL ------------------------------------------------------------
    def bf_cut_window(self):
        """True while the simulation itself may have BF's node stopped
        (traffic.py: day 1, 13:00 to 16:00 simulated, with a margin)."""
        t = self.sim_time()
        day1 = datetime.datetime.strptime(self.env["DAY1"], "%Y-%m-%d")
        return t is None or (day1 + datetime.timedelta(hours=12, minutes=40) <= t
                             <= day1 + datetime.timedelta(hours=16, minutes=20))

    def pg(self, *args):
        return subprocess.run(["runuser", "-u", "postgres", "--",
                               os.path.join(self.pgbin, "pg_ctl"), "-D",
                               os.path.join(self.dir, "pg", "data")] + list(args),
                              capture_output=True, text=True)

    def backends(self, db):
        conn = self.env["DB_hub"].replace("dbname=n_hub", "dbname=postgres")
        out = subprocess.run(["psql", "-X", "-A", "-t", "-d", conn, "-c",
                              "select pid from pg_stat_activity where datname = '%s'"
                              " and backend_type = 'client backend'"
                              " and application_name <> 'psql'" % db],
                             capture_output=True, text=True, timeout=10)
        return [int(x) for x in out.stdout.split()] if out.returncode == 0 else []

    # ---- queue sampling ---------------------------------------------------------
    def sampler(self):
        nodes = self.env["NODES"].split()
        while not self.stop_sampling:
            total = 0
            for n in nodes:
                try:
                    out = subprocess.run(["psql", "-X", "-A", "-t", "-d", self.env["DB_" + n], "-c",
                                          "select count(*) from delivery where state in"
                                          " ('pending', 'inflight')"],
                                         capture_output=True, text=True, timeout=2)
                    total += int(out.stdout.strip() or 0)
                except (subprocess.TimeoutExpired, ValueError):
                    pass
            if total > self.max_queue:
                self.max_queue, self.max_queue_at = total, round(now() - self.t0, 1)
            time.sleep(1)

    # ---- one fault ----------------------------------------------------------------
    def hold(self, lo, hi):
        d = self.rng.uniform(lo, hi)
        time.sleep(d)
        return d

    def fault(self, kind):
        rng, rec = self.rng, {"t": round(now() - self.t0, 1), "kind": kind}
        if kind == "kill-node":
            target = "node-" + rng.choice(["hub", "CI", "NE", "TG"])
            if not self.kill9(target):
                return None
            rec["down_s"] = round(self.hold(0.5, 3), 1)
            rec["back_s"] = round(self.start(target), 2)
        elif kind in ("kill-adapter", "kill-receiver"):
            target = "receiver" if kind == "kill-receiver" else "adapter-" + rng.choice(
                ["ci-asycuda", "bf-asycuda", "tg-asycuda", "ne-generic"])
            if not self.kill9(target):
                return None
            rec["down_s"] = round(self.hold(0.5, 3), 1)
            rec["back_s"] = round(self.start(target), 2)
        elif kind == "pg-freeze":
            n = rng.choice(self.env["NODES"].split())
            target = "postgres under " + n
            pids = self.backends("n_" + n.lower())
            for p in pids:
                os.kill(p, signal.SIGSTOP)
            try:
                rec["down_s"] = round(self.hold(2, 20 if self.long else 8), 1)
            finally:
                for p in pids:
                    try:
                        os.kill(p, signal.SIGCONT)
                    except ProcessLookupError:
                        pass
            rec["backends"] = len(pids)
        elif kind == "pg-restart":
            target = "postgres cluster"
            t = now()
            r = self.pg("-l", os.path.join(self.dir, "pg", "server.log"), "-m", "fast", "-w",
                        "-t", "60", "restart")
            rec["back_s"] = round(now() - t, 2)
            if r.returncode != 0:
                self.unexpected.append({"t": rec["t"], "process": "postgres",
                                        "what": "restart failed: " + r.stderr.strip()[:200]})
        elif kind == "link-cut":
            c = rng.choice(["CI", "BF", "NE", "TG"])
            target = "hub <-> " + c
            flags = [os.path.join(self.dir, "chaos", "cut-%s" % x) for x in ("hub-" + c, c + "-hub")]
            for f in flags:
                open(f, "w").close()
            try:
                rec["down_s"] = round(self.hold(10, 120) if self.long else self.hold(3, 10), 1)
            finally:
                for f in flags:
                    os.unlink(f)
        elif kind == "clock":
            minutes = rng.choice([-1, 1]) * rng.randint(10, 90)
            target = "lifecycle clock %+d min" % minutes
            skew = self.env["CLOCK"] + ".skew"
            with open(skew + ".tmp", "w") as f:
                f.write("%d\n" % minutes)
            os.rename(skew + ".tmp", skew)
            try:
                rec["down_s"] = round(self.hold(2, 8), 1)
            finally:
                os.unlink(skew)
        rec["target"] = target
        self.log("%-13s %-26s %s" % (kind, target, " ".join("%s=%s" % (k, rec[k]) for k in
                                                              ("down_s", "back_s", "backends")
                                                              if k in rec)))
        return rec

    # ---- the run --------------------------------------------------------------------
    def sim_time(self):
        try:
            return datetime.datetime.strptime(open(self.env["CLOCK"]).read().strip(),
                                              "%Y-%m-%dT%H:%M:%SZ")
        except (OSError, ValueError):
            return None

    def run(self):
        day1 = datetime.datetime.strptime(self.env["DAY1"], "%Y-%m-%d")
        first = day1 + datetime.timedelta(hours=6)
        last = day1 + datetime.timedelta(days=2, hours=8)
        self.log("seed %d, mode %s, faults: %s" % (self.seed, self.mode, ", ".join(self.kinds)))
        while (self.sim_time() or day1) < first:
            time.sleep(0.2)
        for f in glob.glob(os.path.join(self.dir, "run", "*.pid")):
            name = os.path.basename(f)[:-4]
            self.known[name] = self.pid(name)
        threading.Thread(target=self.sampler, daemon=True).start()
        gap = (8, 30) if self.long else (2, 6)
        while True:
            wait = self.rng.uniform(*gap)
            end = now() + wait
            while now() < end:
                self.check_alive()
                time.sleep(0.2)
            t = self.sim_time()
            if t and t >= last:
                break
            rec = self.fault(self.rng.choice(self.kinds))
            if rec:
                self.faults.append(rec)
        self.log("end of the simulated period: healing and checking everything is up")
        self.check_alive()
        self.healed_at = now()
        self.finish()

    def finish(self):
        for f in glob.glob(os.path.join(self.dir, "chaos", "cut-*")):
            os.unlink(f)
        try:
            os.unlink(self.env["CLOCK"] + ".skew")
        except OSError:
            pass
        self.stop_sampling = True
        by_kind = {}
        for f in self.faults:
            by_kind[f["kind"]] = by_kind.get(f["kind"], 0) + 1
        back = [f["back_s"] for f in self.faults if "back_s" in f]
        out = {"seed": self.seed, "mode": self.mode, "faults": self.faults, "by_kind": by_kind,
               "max_queue": self.max_queue, "max_queue_at_s": self.max_queue_at,
               "max_back_s": max(back) if back else 0, "unexpected": self.unexpected,
               "healed_at": self.healed_at, "started_at": self.t0}
        tmp = os.path.join(self.dir, "chaos", "faults.json.tmp")
        with open(tmp, "w") as f:
            json.dump(out, f, indent=1)
        os.rename(tmp, tmp[:-4])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("env")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--mode", choices=("short", "long"), default="short")
    ap.add_argument("--kinds", default=",".join(KINDS))
    a = ap.parse_args()
    # the corridor writes corridor.env before it starts anything
    for _ in range(6000):
        if os.path.exists(a.env) and "CHAOS_LINKS" in open(a.env).read():
            break
        time.sleep(0.1)
    else:
        print("chaos: the corridor did not come up", file=sys.stderr)
        return 1
    kinds = [k for k in a.kinds.split(",") if k]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        print("chaos: unknown fault kinds %s (known: %s)" % (bad, ", ".join(KINDS)), file=sys.stderr)
        return 2
    Chaos(a.env, a.seed, a.mode, kinds).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
