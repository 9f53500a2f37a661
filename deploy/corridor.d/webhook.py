#!/usr/bin/python3
"""webhook.py - Niger's national system in deploy/corridor, as far as
sigmat-generic can see it: an HTTP endpoint that receives the signed
webhooks (AAR, ATR, WOF, ENQ, NAK...), checks X-Sigmat-Signature (HMAC-SHA256
of "timestamp.body", docs/generic.md), stores each one as a JSON line and
answers 200 (401 when the signature is wrong, so sigmat-generic retries).

  webhook.py --port N --secret-file FILE --log FILE
"""
import argparse, hashlib, hmac, json, signal, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret, header, body, tolerance=300):
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
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    secret = open(a.secret_file, "rb").readline().rstrip(b"\r\n")
    log = open(a.log, "a", buffering=1)
    seen = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = verify(secret, self.headers.get("X-Sigmat-Signature", ""), body)
            mid = self.headers.get("X-Sigmat-Message-Id")
            if ok and mid not in seen:      # at least once: deduplicate on the id
                seen.add(mid)
                try:
                    lrn = json.loads(body).get("Declaration", {}).get("FunctionalReferenceID")
                except ValueError:
                    lrn = None
                log.write(json.dumps({"id": mid, "type": self.headers.get("X-Sigmat-Type"),
                                      "mrn": self.headers.get("X-Sigmat-Mrn"), "lrn": lrn,
                                      "received": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
                          + "\n")
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        srv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
