#!/usr/bin/python3
"""80-relaycheck-peer.py MODE: a scripted SMTP server on stdin/stdout (run
under tcpserver) for relaycheck's unhappy paths. Appends one line per
connection to $RC_PEER_LOG.

  tempfail   220, then 451 to every command (QUIT: 221)
  banner421  421 at connect, then close
  banner554  554 at connect, then QUIT 221 / anything else 503
  stall      says nothing, reads until the client goes away
  drop3      220; answers like an open relay but closes the connection
             after its 3rd RCPT (without a reply)
  say421     220; answers like an open relay but replies 421 and closes
             after its 2nd RCPT
  garbage    220, then a malformed reply line
"""
import os, sys, time

mode = sys.argv[1]
log = os.environ.get("RC_PEER_LOG")
if log:
    with open(log, "a") as f:
        f.write("%s %d\n" % (mode, os.getpid()))
out = sys.stdout.buffer
inp = sys.stdin.buffer

def say(s):
    out.write(s.encode() + b"\r\n")
    out.flush()

if mode == "banner421":
    say("421 4.7.0 too busy, come back later")
    sys.exit(0)
if mode == "stall":
    while inp.readline():
        pass
    sys.exit(0)
if mode == "banner554":
    say("554 5.7.1 no service for you")
else:
    say("220 peer.test ESMTP " + mode)
if mode == "garbage":
    inp.readline()
    out.write(b"hello there\r\n")
    out.flush()
    sys.exit(0)

rcpts = 0
while True:
    line = inp.readline()
    if not line:
        break
    cmd = line.strip().upper()
    if cmd.startswith(b"QUIT"):
        say("221 2.0.0 bye")
        break
    if mode == "tempfail":
        say("451 4.3.0 try again later")
    elif mode == "banner554":
        say("503 5.5.1 no service")
    else:
        if cmd.startswith(b"RCPT"):
            rcpts += 1
            if mode == "drop3" and rcpts == 3:
                sys.exit(0)
            if mode == "say421" and rcpts == 2:
                say("421 4.7.0 closing")
                sys.exit(0)
        if cmd.startswith(b"EHLO"):
            say("250-peer.test")
            say("250 PIPELINING")
        else:
            say("250 2.0.0 ok")
