#!/usr/bin/python3
"""linkproxy.py - the network between the corridor's nodes, for the chaos
run (tests/chaos): one TCP relay per link direction (hub -> country node,
country node -> hub). A link is cut while the file CONTROL/cut-NAME exists:
bytes stop flowing both ways on its connections, old and new (packets
dropped, as on a VPN that went down: no RST, the nodes find out through
their heartbeats). When the file goes, the stalled connections are closed
and new ones relay again.

  linkproxy.py --control DIR NAME:LISTEN_PORT:TARGET_PORT ...
"""
import argparse, asyncio, os, signal, sys


class Link:
    def __init__(self, name, listen, target, control):
        self.name, self.listen, self.target = name, listen, target
        self.flag = os.path.join(control, "cut-" + name)
        self.conns = set()

    def cut(self):
        return os.path.exists(self.flag)

    async def pipe(self, reader, writer, conn):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                while self.cut() and not conn["dead"]:
                    await asyncio.sleep(0.05)     # dropped on the floor while cut
                if conn["dead"]:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            conn["dead"] = True
            try:
                writer.close()
            except Exception:
                pass

    async def handle(self, cr, cw):
        conn = {"dead": False, "w": [cw]}
        self.conns.add(id(conn))
        try:
            while self.cut():
                await asyncio.sleep(0.05)         # a SYN into the void: the caller waits
            tr, tw = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            cw.close()
            self.conns.discard(id(conn))
            return
        conn["w"].append(tw)
        conn["cut_seen"] = False
        watcher = asyncio.ensure_future(self.watch(conn))
        await asyncio.gather(self.pipe(cr, tw, conn), self.pipe(tr, cw, conn))
        watcher.cancel()
        self.conns.discard(id(conn))

    async def watch(self, conn):
        """Closes a connection that lived through a cut once the link heals."""
        while not conn["dead"]:
            if self.cut():
                conn["cut_seen"] = True
            elif conn["cut_seen"]:
                conn["dead"] = True
                for w in conn["w"]:
                    try:
                        w.close()
                    except Exception:
                        pass
                return
            await asyncio.sleep(0.05)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--control", required=True)
    ap.add_argument("links", nargs="+")
    a = ap.parse_args()
    servers = []
    for spec in a.links:
        name, lp, tp = spec.split(":")
        link = Link(name, int(lp), int(tp), a.control)
        servers.append(await asyncio.start_server(link.handle, "127.0.0.1", int(lp)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


if __name__ == "__main__":
    # The command line names the control folder (inside the corridor's
    # folder), so deploy/corridor's `down` recognises this process as its own.
    sys.exit(asyncio.run(main()))
