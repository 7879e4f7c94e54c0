#!/usr/bin/python3
"""80-relaycheck-peer.py MODE: a scripted SMTP server on stdin/stdout (run
under tcpserver) for relaycheck's unhappy paths. Appends one line per
connection to $RC_PEER_LOG.

  open       220, then 250 to everything (an open relay)
  tempfail   220, then 451 to every command (QUIT: 221)
  banner421  421 at connect, then close
  banner554  554 at connect, then QUIT 221 / anything else 503
  stall      says nothing, reads until the client goes away
  drop3      220; answers like an open relay but closes the connection
             after its 3rd RCPT (without a reply)
  say421     220; answers like an open relay but replies 421 and closes
             after its 2nd RCPT
  garbage    220, then a malformed reply line
  rsetstall  like open, but never answers RSET
  percent    a naive old relay: 550 to every RCPT except one with a '%'
             in it, which it takes (user%foreign@own is relayed)

80-relaycheck-peer.py listen ADDR PORT MODE: the same, as its own threaded
TCP server on ADDR (IPv6 too: Debian's tcpserver has none), until killed.
"""
import os, socket, socketserver, sys

def session(mode, inp, out):
    def say(s):
        out.write(s.encode() + b"\r\n")
        out.flush()
    log = os.environ.get("RC_PEER_LOG")
    if log:
        with open(log, "a") as f:
            f.write("%s %d\n" % (mode, os.getpid()))
    if mode == "banner421":
        say("421 4.7.0 too busy, come back later")
        return
    if mode == "stall":
        while inp.readline():
            pass
        return
    if mode == "banner554":
        say("554 5.7.1 no service for you")
    else:
        say("220 peer.test ESMTP " + mode)
    if mode == "garbage":
        inp.readline()
        out.write(b"hello there\r\n")
        out.flush()
        return
    rcpts = 0
    while True:
        line = inp.readline()
        if not line:
            return
        cmd = line.strip().upper()
        if cmd.startswith(b"QUIT"):
            say("221 2.0.0 bye")
            return
        if mode == "tempfail":
            say("451 4.3.0 try again later")
        elif mode == "banner554":
            say("503 5.5.1 no service")
        else:
            if cmd.startswith(b"RCPT"):
                rcpts += 1
                if mode == "percent" and b"%" not in cmd:
                    say("550 5.1.1 no such user here")
                    continue
                if mode == "drop3" and rcpts == 3:
                    return
                if mode == "say421" and rcpts == 2:
                    say("421 4.7.0 closing")
                    return
            if mode == "rsetstall" and cmd.startswith(b"RSET"):
                while inp.readline():
                    pass
                return
            if cmd.startswith(b"EHLO"):
                say("250-peer.test")
                say("250 PIPELINING")
            else:
                say("250 2.0.0 ok")

if sys.argv[1] == "listen":
    addr, port, mode = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    class H(socketserver.StreamRequestHandler):
        def handle(self):
            session(mode, self.rfile, self.wfile)
    class S(socketserver.ThreadingTCPServer):
        address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        allow_reuse_address = True
        daemon_threads = True
    S((addr, port), H).serve_forever()
else:
    session(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
