"""common.py - small helpers shared by deploy/corridor's Python scripts:
the run's settings (corridor.env, written by corridor.d/lib.sh), psql
queries, times, and the ASYCUDA office table."""
import csv, subprocess, time


def load_env(path):
    """KEY='value' lines -> dict."""
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" not in line or line.startswith("#"):
                continue
            k, v = line.split("=", 1)
            if len(v) >= 2 and v[0] == v[-1] == "'":
                v = v[1:-1]
            env[k] = v
    return env


def psql(conninfo, sql, patience=60):
    """Rows of a query as lists of strings (psql -At, | separated). Tries
    again for up to `patience` seconds while the server is restarting or
    frozen (tests/chaos does both to it)."""
    deadline = time.time() + patience
    while True:
        try:
            out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-d", conninfo, "-c", sql],
                                 capture_output=True, text=True, timeout=max(5, patience))
        except subprocess.TimeoutExpired:
            out = None
        if out is not None and out.returncode == 0:
            return [line.split("|") for line in out.stdout.splitlines() if line]
        if time.time() >= deadline:
            raise RuntimeError("psql: %s" % (out.stderr.strip() if out else "timed out"))
        time.sleep(0.5)


def fmt_dt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_offices(path):
    """offices.csv -> ({code: reference}, {reference: name})."""
    code2ref, ref2name = {}, {}
    with open(path, encoding="utf-8") as f:
        rows = [l for l in f if l.strip() and not l.startswith("#")]
    for r in csv.reader(rows):
        if len(r) >= 3 and r[0] != "code":
            code2ref[r[0].strip()] = r[1].strip()
            ref2name[r[1].strip()] = r[2].strip()
    return code2ref, ref2name
