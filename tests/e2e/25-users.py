#!/usr/bin/python3
"""25-users.py: a customer's server that knows a set of users, for the
recipient validation tests (25-29). RCPT to a user listed in USERS (one
address a line, any case) gets 250, anyone else 550 5.1.1. Every RCPT is
appended to DIR/rcpt.log as "SENDER RCPT CODE" (SENDER "-" for <>), every
message stored as DIR/N.eml. With --greet 421 the server is "down": it
answers every connection with 421 and closes it; with --silent it accepts
connections and never says a word (a hung server). Logs "listening" on
stderr when it accepts connections.

  25-users.py PORT USERS DIR [--greet CODE] [--silent]
"""
import argparse, asyncio, itertools, os, sys

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("users")
ap.add_argument("dir")
ap.add_argument("--greet", type=int, default=220)
ap.add_argument("--silent", action="store_true")
a = ap.parse_args()
os.makedirs(a.dir, exist_ok=True)
seq = itertools.count(1)

def users():
    with open(a.users) as f:
        return {l.strip().lower() for l in f if l.strip()}

def path(arg):
    s = arg.split(":", 1)[1].strip() if ":" in arg else ""
    return s[1:s.index(">")] if s.startswith("<") and ">" in s else s

async def handle(r, w):
    def reply(s):
        w.write((s + "\r\n").encode())
    try:
        if a.silent:
            await r.read()   # until the client gives up
            return
        if a.greet != 220:
            reply(f"{a.greet} 4.3.2 down for maintenance")
            await w.drain()
            return
        reply("220 users ESMTP")
        sender, rcpts = None, []
        log = open(os.path.join(a.dir, "rcpt.log"), "a")
        while True:
            line = await r.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                reply("250-users" if verb == "EHLO" else "250 users")
                if verb == "EHLO":
                    reply("250 PIPELINING")
            elif verb == "MAIL":
                sender, rcpts = path(cmd), []
                reply("250 2.1.0 ok")
            elif verb == "RCPT":
                to = path(cmd)
                code = 250 if to.lower() in users() else 550
                log.write("%s %s %d\n" % (sender or "-", to, code))
                log.flush()
                if code == 250:
                    rcpts.append(to)
                    reply("250 2.1.5 ok")
                else:
                    reply("550 5.1.1 <%s>: user unknown" % to)
            elif verb == "DATA":
                reply("354 go")
                body = []
                while True:
                    l = await r.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    body.append(l)
                n = next(seq)
                with open(os.path.join(a.dir, "%d.eml" % n), "wb") as f:
                    f.write(("X-To: %s\n" % ",".join(rcpts)).encode())
                    f.writelines(body)
                reply("250 2.0.0 queued as %d" % n)
            elif verb == "QUIT":
                reply("221 bye")
                await w.drain()
                return
            elif verb == "RSET":
                sender, rcpts = None, []
                reply("250 ok")
            else:
                reply("502 5.5.2 no")
            await w.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        w.close()

async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", a.port)
    print("25-users: listening port=%d" % a.port, file=sys.stderr, flush=True)
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
