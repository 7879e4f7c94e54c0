#!/usr/bin/python3
"""52-tls-sink.py: a downstream SMTP server with STARTTLS for the outbound
TLS tests (52-55), for what a real Postfix will not do: a certificate for
the wrong name, an expired or self-signed one, a handshake that fails.
Appends "SESSION TXN from rcpt,rcpt size unixtime TLS" to DIR/log for each
accepted message (the fields of 40-sink.py, then the TLS protocol or "-"),
and "SESSION starttls" for each STARTTLS it answered 220.

  52-tls-sink.py PORT DIR [--host H] [--cert PEM --key PEM] [--garbage N]
                 [--refuse-starttls]

  --cert/--key       offer STARTTLS with this certificate chain and key
  --garbage N        the first N STARTTLS get "220", and the client's
                     ClientHello gets bytes that are no TLS (the handshake
                     fails); later ones work
  --refuse-starttls  offer STARTTLS but answer it 454
"""
import argparse, asyncio, itertools, os, ssl, time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("dir")
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--garbage", type=int, default=0)
ap.add_argument("--refuse-starttls", action="store_true")
a = ap.parse_args()
os.makedirs(a.dir, exist_ok=True)
ctx = None
if a.cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
sessions = itertools.count(1)
garbage = [a.garbage]


def log(line):
    with open(os.path.join(a.dir, "log"), "a") as f:
        f.write(line + "\n")


async def handle(r, w):
    sid = next(sessions)
    ntx = 0
    tls = "-"
    sender, rcpts = None, []

    async def reply(s):
        w.write((s + "\r\n").encode())
        await w.drain()

    try:
        await reply("220 tls-sink ESMTP")
        while True:
            line = await r.readline()
            if not line:
                break
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                exts = ["PIPELINING", "8BITMIME"]
                if ctx and tls == "-":
                    exts.append("STARTTLS")
                lines = ["tls-sink"] + exts
                w.write("".join("250%s%s\r\n" % ("-" if i < len(lines) - 1 else " ", l)
                                for i, l in enumerate(lines)).encode())
                await w.drain()
            elif verb == "STAR" and ctx and tls == "-":
                if a.refuse_starttls:
                    await reply("454 4.7.0 TLS not available now")
                    continue
                await reply("220 2.0.0 go ahead")
                log("%d starttls" % sid)
                if garbage[0] > 0:
                    garbage[0] -= 1
                    await r.read(1)   # the ClientHello has begun: answer it with junk
                    w.write(b"this is not TLS at all\r\n" * 8)
                    await w.drain()
                    break
                await w.start_tls(ctx)
                tls = w.get_extra_info("ssl_object").version()
                sender, rcpts = None, []
            elif verb == "MAIL":
                sender = cmd[cmd.find("<") + 1:cmd.rfind(">")]
                rcpts = []
                await reply("250 2.1.0 ok")
            elif verb == "RCPT":
                rcpts.append(cmd[cmd.find("<") + 1:cmd.rfind(">")])
                await reply("250 2.1.5 ok")
            elif verb == "DATA":
                await reply("354 go ahead")
                size = 0
                while True:
                    l = await r.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    size += len(l)
                ntx += 1
                log("%d %d %s %s %d %d %s" % (sid, ntx, sender, ",".join(rcpts), size, int(time.time()), tls))
                await reply("250 2.0.0 queued as %d.%d" % (sid, ntx))
            elif verb == "RSET":
                sender, rcpts = None, []
                await reply("250 2.0.0 ok")
            elif verb == "QUIT":
                await reply("221 2.0.0 bye")
                break
            else:
                await reply("502 5.5.2 unknown command")
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    try:
        w.close()
    except Exception:
        pass


async def main():
    srv = await asyncio.start_server(handle, a.host, a.port)
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
