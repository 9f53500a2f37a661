#!/usr/bin/python3
"""receiver.py - a national system's webhook endpoint, for sigmat-generic's
tests: records every POST as one JSON line, checks its X-Sigmat-Signature
(the same few lines docs/generic.md gives as the Python example), and can
be told to answer 500.

  receiver.py --log FILE --secret-file FILE [--port N] [--port-file FILE]
              [--fail-every N] [--fail-first N]

--fail-every N answers 500 to every Nth request (N, 2N, ...); --fail-first N
answers 500 to the first N requests. Every other request gets 200.
"""
import argparse, hashlib, hmac, json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret: bytes, header: str, body: bytes, tolerance: int = 300) -> bool:
    """True if header "t=<unix>,v1=<hex>" signs body with secret."""
    try:
        fields = dict(p.split("=", 1) for p in header.split(","))
        t = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - t) > tolerance:
        return False
    mac = hmac.new(secret, str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, fields.get("v1", ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--fail-every", type=int, default=0)
    ap.add_argument("--fail-first", type=int, default=0)
    a = ap.parse_args()
    secret = open(a.secret_file, "rb").readline().rstrip(b"\r\n")
    log = open(a.log, "a", buffering=1)
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            count[0] += 1
            n = count[0]
            fail = (a.fail_every and n % a.fail_every == 0) or n <= a.fail_first
            status = 500 if fail else 200
            rec = {
                "n": n, "status": status, "path": self.path,
                "id": self.headers.get("X-Sigmat-Message-Id"),
                "type": self.headers.get("X-Sigmat-Type"),
                "mrn": self.headers.get("X-Sigmat-Mrn"),
                "attempt": self.headers.get("X-Sigmat-Attempt"),
                "content_type": self.headers.get("Content-Type"),
                "valid": verify(secret, self.headers.get("X-Sigmat-Signature", ""), body),
                "body": body.decode("utf-8", "replace"),
            }
            log.write(json.dumps(rec) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        import os
        os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
