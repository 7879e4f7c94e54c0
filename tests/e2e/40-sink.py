#!/usr/bin/python3
"""40-sink.py: a scripted downstream SMTP server for mxhold-deliver's
end-to-end tests. Stores each accepted message as DIR/N.eml (the
envelope on X-Sink-* lines, then the data, dot-unstuffed) and appends
"SESSION TXN from rcpt,rcpt size unixtime" to DIR/log.

  40-sink.py PORT DIR [--host H] [--rcpt-max N] [--reject RE] [--tempfail RE]
              [--delay SECS] [--drop-data N] [--size N] [--greet CODE]
"""
import argparse, asyncio, os, re, sys, itertools, time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("dir")
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--rcpt-max", type=int, default=0)
ap.add_argument("--reject", default=None, help="550 5.1.1 for matching recipients")
ap.add_argument("--reject-text", default="no such user here", help="the text after --reject's 550 5.1.1")
ap.add_argument("--tempfail", default=None, help="451 4.3.0 for matching recipients")
ap.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
ap.add_argument("--drop-data", type=int, default=0, help="drop the first N sessions in the middle of DATA")
ap.add_argument("--size", type=int, default=0)
ap.add_argument("--greet", type=int, default=220)
ap.add_argument("--no-ehlo", action="store_true", help="an RFC 821 server: 502 to EHLO")
ap.add_argument("--no-pipelining", action="store_true", help="do not offer PIPELINING")
a = ap.parse_args()
os.makedirs(a.dir, exist_ok=True)
seq = itertools.count(1)
sessions = itertools.count(1)
drops = [a.drop_data]
conc = [0, 0]   # connections now, most at once (written to DIR/maxconc)

async def handle(r, w):
    sid = next(sessions)
    ntx = 0
    conc[0] += 1
    if conc[0] > conc[1]:
        conc[1] = conc[0]
        with open(os.path.join(a.dir, "maxconc"), "w") as f:
            f.write("%d\n" % conc[1])
    async def reply(s):
        if a.delay:
            await asyncio.sleep(a.delay)
        w.write((s + "\r\n").encode())
        await w.drain()
    try:
        await reply(f"{a.greet} sink ESMTP")
        if a.greet != 220:
            return
        mail, rcpts = None, []
        while True:
            line = await r.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            u = cmd.upper()
            if u.startswith("EHLO") and a.no_ehlo:
                await reply("502 5.5.2 what is EHLO")
            elif u.startswith("EHLO"):
                ext = ["250-sink", "250-8BITMIME"] if a.no_pipelining else ["250-sink", "250-PIPELINING", "250-8BITMIME"]
                if a.size:
                    ext.append(f"250-SIZE {a.size}")
                ext.append("250 ENHANCEDSTATUSCODES")
                if a.delay:
                    await asyncio.sleep(a.delay)
                w.write(("\r\n".join(ext) + "\r\n").encode()); await w.drain()
            elif u.startswith("HELO"):
                await reply("250 sink")
            elif u.startswith("MAIL FROM:"):
                m = re.match(r"MAIL FROM:<([^>]*)>", cmd, re.I)
                mail, rcpts = (m.group(1) if m else ""), []
                await reply("250 2.1.0 ok")
            elif u.startswith("RCPT TO:"):
                m = re.match(r"RCPT TO:<([^>]*)>", cmd, re.I)
                rc = m.group(1) if m else ""
                if a.rcpt_max and len(rcpts) >= a.rcpt_max:
                    await reply("452 4.5.3 too many recipients")
                elif a.reject and re.search(a.reject, rc):
                    await reply("550 5.1.1 " + a.reject_text)
                elif a.tempfail and re.search(a.tempfail, rc):
                    await reply("451 4.3.0 try again later")
                else:
                    rcpts.append(rc)
                    await reply("250 2.1.5 ok")
            elif u == "DATA":
                if not rcpts:
                    await reply("503 5.5.1 no recipients"); continue
                await reply("354 go ahead")
                data = []
                while True:
                    l = await r.readline()
                    if not l:
                        return
                    if l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b"."):
                        l = l[1:]
                    data.append(l)
                    if drops[0] > 0 and len(data) >= 2:
                        drops[0] -= 1
                        w.close()
                        return
                n = next(seq)
                ntx += 1
                with open(os.path.join(a.dir, f"{n}.eml.tmp"), "wb") as f:
                    f.write(f"X-Sink-From: {mail}\r\nX-Sink-To: {','.join(rcpts)}\r\n".encode())
                    f.write(b"".join(data))
                os.rename(os.path.join(a.dir, f"{n}.eml.tmp"), os.path.join(a.dir, f"{n}.eml"))
                with open(os.path.join(a.dir, "log"), "a") as f:
                    f.write(f"{sid} {ntx} {mail} {','.join(rcpts)} {sum(map(len, data))} {time.time():.6f}\n")
                await reply("250 2.0.0 queued as %d" % n)
                mail, rcpts = None, []
            elif u == "RSET":
                mail, rcpts = None, []
                await reply("250 2.0.0 ok")
            elif u == "NOOP":
                await reply("250 2.0.0 ok")
            elif u == "QUIT":
                await reply("221 2.0.0 bye")
                return
            else:
                await reply("502 5.5.2 unknown")
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        conc[0] -= 1
        try:
            w.close()
        except Exception:
            pass

async def main():
    srv = await asyncio.start_server(handle, a.host, a.port, reuse_address=True)
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
