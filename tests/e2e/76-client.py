#!/usr/bin/python3
"""tests/e2e/76-client.py SRC HOST PORT [MODE [PRE]]: a client for the
several-hosts tests (76-79, 95-97; not a test itself). Connects from
source address SRC, sends PRE first (Python escapes: \\r \\n \\x00) if
given, then by MODE:
  greet  prints the first reply line, or EOF / TIMEOUT (default)
  mail   a whole transaction to postmaster@example.com; prints each reply
         code on one line, space-separated ("220 250 250 250 354 250 221")
  idle   sends nothing more: prints EOF when the server hangs up, or OPEN
Every read has a 15 s deadline."""
import socket, sys

def main():
    src, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "greet"
    pre = sys.argv[5].encode("latin-1").decode("unicode_escape").encode("latin-1") if len(sys.argv) > 5 else b""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(15)
    s.bind((src, 0))
    s.connect((host, port))
    if pre:
        s.sendall(pre)
    f = s.makefile("rb")
    def reply():
        while True:
            try:
                l = f.readline()
            except (socket.timeout, ConnectionResetError):
                return "TIMEOUT"
            if not l:
                return "EOF"
            if l[3:4] != b"-":
                return l.rstrip(b"\r\n").decode("latin-1")
    if mode == "greet":
        print(reply())
        return
    if mode == "idle":
        try:
            d = s.recv(4096)
            print("EOF" if not d else "DATA " + d.decode("latin-1").strip())
        except socket.timeout:
            print("OPEN")
        except ConnectionResetError:
            print("EOF")
        return
    codes = []
    for cmd in [None, b"EHLO client.test", b"MAIL FROM:<a@example.org>", b"RCPT TO:<postmaster@example.com>", b"DATA",
                b"Subject: t\r\n\r\nhello\r\n.", b"QUIT"]:
        if cmd is not None:
            s.sendall(cmd + b"\r\n")
        r = reply()
        codes.append(r[:3])
        if r in ("EOF", "TIMEOUT") or r[0] in "45":
            break
    print(" ".join(codes))

main()
