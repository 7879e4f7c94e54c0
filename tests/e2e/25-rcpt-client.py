#!/usr/bin/python3
"""25-rcpt-client.py: an SMTP client for the recipient validation tests.
Sends EHLO, MAIL FROM:<sender@client.example> and one RCPT TO per address,
pipelined, PER addresses a connection (then QUIT and a new connection),
and prints "CODE ADDRESS" per RCPT in order. With --data, a message
follows each connection's RCPTs (when one was accepted).

  25-rcpt-client.py PORT [--per N] [--file F] [--data] [ADDRESS...]
"""
import argparse, socket, sys

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("addrs", nargs="*")
ap.add_argument("--per", type=int, default=100)
ap.add_argument("--file")
ap.add_argument("--data", action="store_true")
a = ap.parse_args()
addrs = list(a.addrs)
if a.file:
    with open(a.file) as f:
        addrs += [l.strip() for l in f if l.strip()]

def replies(f, n):
    out = []
    while len(out) < n:
        line = f.readline()
        if not line:
            raise SystemExit("connection closed after %d replies" % len(out))
        if line[3:4] != b"-":
            out.append(line.decode("latin-1").rstrip("\r\n"))
    return out

for i in range(0, len(addrs), a.per):
    chunk = addrs[i:i + a.per]
    s = socket.create_connection(("127.0.0.1", a.port), 30)
    f = s.makefile("rb")
    replies(f, 1)
    cmds = ["EHLO client.example", "MAIL FROM:<sender@client.example>"] + ["RCPT TO:<%s>" % x for x in chunk]
    s.sendall(("".join(c + "\r\n" for c in cmds)).encode())
    r = replies(f, len(cmds))
    for code, x in zip(r[2:], chunk):
        print(code[:3], x)
    if a.data and any(c.startswith("250") for c in r[2:]):
        s.sendall(b"DATA\r\n")
        if replies(f, 1)[0].startswith("354"):
            s.sendall(b"Subject: test\r\n\r\nhello\r\n.\r\n")
            print("DATA", replies(f, 1)[0][:3])
    s.sendall(b"QUIT\r\n")
    replies(f, 1)
    s.close()
sys.stdout.flush()
