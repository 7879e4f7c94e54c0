#!/usr/bin/python3
"""42-hostile.py PORT MODE DIR: one-connection-at-a-time scripted downstream
that misbehaves for mxhold-remote's tests (42-remote-hostile.sh).
Modes:
  drip     greeting "220 " then one 'x' a second, never a line end
  garbage  greeting that is not SMTP ("hello there\\r\\n")
  nul      every reply carries NUL bytes and is split over several writes
  dropdot  reads the whole DATA, then closes without a reply
  temp     451 to the final dot; perm: 554 to the final dot
  ok       250 to the final dot; stores the raw DATA bytes as DIR/N.raw
  slowbuf  like ok, offers PIPELINING, 4 kB socket buffers and long RCPT
           replies: a client that writes every RCPT before reading any
           reply deadlocks with it (RFC 2920 3.1)
"""
import socket, sys, time, os, itertools
port, mode, d = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(d, exist_ok=True)
n = itertools.count(1)
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if mode == "slowbuf":
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
ls.bind(("127.0.0.1", port)); ls.listen(8)

def send(c, s):
    if mode == "nul":   # split in 3-byte writes with a NUL inside the text
        s = s.replace(b" ", b" \0", 1)
        for i in range(0, len(s), 3):
            c.sendall(s[i:i+3]); time.sleep(0.01)
    else:
        c.sendall(s)

def session(c):
    f = c.makefile("rb")
    if mode == "drip":
        c.sendall(b"220 ")
        while True:
            c.sendall(b"x"); time.sleep(1)
    if mode == "garbage":
        c.sendall(b"hello there\r\n"); f.readline(); return
    send(c, b"220-hostile\r\n220 ready\r\n")
    while True:
        l = f.readline()
        if not l: return
        v = l[:4].upper()
        if v == b"EHLO" and mode == "slowbuf": send(c, b"250-hostile\r\n250 PIPELINING\r\n")
        elif v == b"EHLO": send(c, b"250-hostile\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n")
        elif v == b"RCPT" and mode == "slowbuf": send(c, b"250 2.1.5 recipient ok " + b"." * 400 + b"\r\n")
        elif v == b"DATA":
            send(c, b"354 go\r\n")
            data = b""
            while not data.endswith(b"\r\n.\r\n"):
                x = f.readline()
                if not x: return
                data += x
            if mode == "dropdot": c.close(); return
            if mode == "temp": send(c, b"451 4.3.0 not now\r\n"); continue
            if mode == "perm": send(c, b"554 5.6.0 refused\r\n"); continue
            open(os.path.join(d, "%d.raw" % next(n)), "wb").write(data)
            send(c, b"250 2.0.0 ok\r\n")
        elif v == b"QUIT": send(c, b"221 bye\r\n"); return
        else: send(c, b"250 2.0.0 ok\r\n")

while True:
    c, _ = ls.accept()
    try: session(c)
    except OSError: pass
    try: c.close()
    except OSError: pass
