#!/usr/bin/python3
"""50-reuse-sink.py: a downstream SMTP server for the connection-reuse
test (50-deliver-reuse.sh). Appends to DIR/log one line per accepted
message, "CONN TXN from rcpt,rcpt unixtime", and to DIR/conns two lines
per SMTP session, "CONN open|close unixtime" (at its EHLO or HELO, so a
port probe does not count). Offers PIPELINING.

  50-reuse-sink.py PORT DIR [--idle SECS] [--close-at-mail]

  --idle SECS       after SECS without a command: "421 4.4.2 idle timeout",
                    then close (what Postfix's smtpd does on its timeout)
  --close-at-mail   on a connection that already took a message, answer
                    the next MAIL with 421 and close (the server's idle
                    timeout crossing the client's MAIL)
"""
import argparse, asyncio, itertools, os, re, time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("dir")
ap.add_argument("--idle", type=float, default=0.0)
ap.add_argument("--close-at-mail", action="store_true")
a = ap.parse_args()
os.makedirs(a.dir, exist_ok=True)
conns = itertools.count(1)


def note(name, text):
    with open(os.path.join(a.dir, name), "a") as f:
        f.write(text + "\n")


async def handle(r, w):
    cid = next(conns)
    ntx = 0
    hello = False

    def reply(s):
        w.write((s + "\r\n").encode())

    try:
        reply("220 reuse-sink ESMTP")
        await w.drain()
        mail, rcpts = None, []
        while True:
            try:
                line = await (asyncio.wait_for(r.readline(), a.idle) if a.idle else r.readline())
            except asyncio.TimeoutError:
                reply("421 4.4.2 reuse-sink idle timeout")
                await w.drain()
                return
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            u = cmd.upper()
            if not hello and (u.startswith("EHLO") or u.startswith("HELO")):
                hello = True   # a session, not a port probe
                note("conns", f"{cid} open {time.time():.6f}")
            if u.startswith("EHLO"):
                reply("250-reuse-sink\r\n250-PIPELINING\r\n250 8BITMIME")
            elif u.startswith("HELO"):
                reply("250 reuse-sink")
            elif u.startswith("MAIL FROM:"):
                if a.close_at_mail and ntx:
                    reply("421 4.4.2 closing now")
                    await w.drain()
                    return
                m = re.match(r"MAIL FROM:<([^>]*)>", cmd, re.I)
                mail, rcpts = (m.group(1) if m else ""), []
                reply("250 2.1.0 ok")
            elif u.startswith("RCPT TO:"):
                m = re.match(r"RCPT TO:<([^>]*)>", cmd, re.I)
                rcpts.append(m.group(1) if m else "")
                reply("250 2.1.5 ok")
            elif u == "DATA":
                if not rcpts:
                    reply("503 5.5.1 no recipients")
                    await w.drain()
                    continue
                reply("354 go ahead")
                await w.drain()
                while True:
                    l = await r.readline()
                    if not l:
                        return
                    if l in (b".\r\n", b".\n"):
                        break
                ntx += 1
                note("log", f"{cid} {ntx} {mail} {','.join(rcpts)} {time.time():.6f}")
                reply(f"250 2.0.0 queued as {cid}.{ntx}")
                mail, rcpts = None, []
            elif u == "RSET":
                mail, rcpts = None, []
                reply("250 2.0.0 ok")
            elif u == "NOOP":
                reply("250 2.0.0 ok")
            elif u == "QUIT":
                reply("221 2.0.0 bye")
                await w.drain()
                return
            else:
                reply("502 5.5.2 unknown")
            await w.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        if hello:
            note("conns", f"{cid} close {time.time():.6f}")
        try:
            w.close()
        except Exception:
            pass


async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", a.port, reuse_address=True)
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
