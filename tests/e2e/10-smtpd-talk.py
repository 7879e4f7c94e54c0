#!/usr/bin/python3
"""tests/e2e/10-smtpd-talk.py PORT: a scripted raw SMTP client for smtpd's
tests (not a test itself). Script on stdin, one step a line:
  S bytes     send bytes (Python escapes: \\r \\n \\x00 ...)
  R           read one reply (multi-line joined with ' | ') and print it
  RN n        read n replies
  E           wait for the server to close: prints EOF (or OPEN after 10 s)
  Z n         send n bytes of 'x' as one line of text + CRLF
Every read has a deadline; a reply that does not come prints TIMEOUT."""
import socket, sys, time

def main():
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
    s.settimeout(float(sys.argv[2]) if len(sys.argv) > 2 else 20)
    buf = b""
    def line():
        nonlocal buf
        while b"\n" not in buf:
            try:
                d = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                return None
            if not d:
                return None
            buf += d
        l, buf = buf.split(b"\n", 1)
        return l.rstrip(b"\r").decode("latin-1")
    def reply():
        parts = []
        while True:
            l = line()
            if l is None:
                return " | ".join(parts + ["TIMEOUT-OR-EOF"])
            parts.append(l)
            if len(l) < 4 or l[3] != "-":
                return " | ".join(parts)
    for step in sys.stdin.read().split("\n"):
        if not step:
            continue
        op, _, arg = step.partition(" ")
        try:
            if op == "S":
                s.sendall(arg.encode("latin-1").decode("unicode_escape").encode("latin-1"))
            elif op == "Z":
                s.sendall(b"x" * int(arg) + b"\r\n")
            elif op == "R":
                print(reply(), flush=True)
            elif op == "RN":
                for _ in range(int(arg)):
                    print(reply(), flush=True)
            elif op == "E":
                s.settimeout(10)
                end = time.time() + 10
                while time.time() < end:
                    try:
                        d = s.recv(65536)
                    except socket.timeout:
                        break
                    except ConnectionResetError:
                        d = b""
                    if not d:
                        print("EOF", flush=True)
                        return
                print("OPEN", flush=True)
        except (BrokenPipeError, ConnectionResetError):
            print("SEND-FAILED", flush=True)
            return

main()
