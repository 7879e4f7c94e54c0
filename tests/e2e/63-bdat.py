#!/usr/bin/python3
"""tests/e2e/63-bdat.py PORT SCENARIO: a small BDAT (RFC 3030) client for
63-smtpd-bdat.sh (not a test itself; no stock client speaks BDAT). Each
scenario prints the replies it got, one a line (a multi-line reply joined
with ' | '), TIMEOUT or EOF where none came."""
import socket, sys

class Client:
    def __init__(self, port, timeout=20):
        self.s = socket.create_connection(("127.0.0.1", port), 5)
        self.s.settimeout(timeout)
        self.buf = b""

    def send(self, b):
        try:
            self.s.sendall(b)
        except (BrokenPipeError, ConnectionResetError):
            print("SEND-FAILED", flush=True)

    def bdat(self, data, last=False, count=None):
        """BDAT COUNT [LAST] and the chunk; count may lie about data."""
        n = len(data) if count is None else count
        self.send(b"BDAT %s%s\r\n" % (str(n).encode(), b" LAST" if last else b"") + data)

    def line(self):
        while b"\n" not in self.buf:
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return "TIMEOUT"
            except ConnectionResetError:
                return "EOF"
            if not d:
                return "EOF"
            self.buf += d
        l, self.buf = self.buf.split(b"\n", 1)
        return l.rstrip(b"\r").decode("latin-1")

    def reply(self):
        parts = []
        while True:
            l = self.line()
            if l in ("TIMEOUT", "EOF"):
                return " | ".join(parts + [l])
            parts.append(l)
            if len(l) < 4 or l[3] != "-":
                return " | ".join(parts)

    def show(self, n=1):
        for _ in range(n):
            print(self.reply(), flush=True)

    def start(self, rcpt="u@example.com"):
        """MAIL and RCPT (their replies read, not printed)"""
        self.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<%s>\r\n" % rcpt.encode())
        self.reply()
        self.reply()

def main():
    port, sc = int(sys.argv[1]), sys.argv[2]
    c = Client(port, float(sys.argv[3]) if len(sys.argv) > 3 else 20)
    c.show()                    # the greeting
    if sc != "pipelined":
        c.send(b"EHLO c\r\n")
        c.show()
    if sc == "chunks":
        # three chunks, the second holding the DATA end and a whole
        # smuggled transaction: all of it is text of this one message
        c.start()
        c.bdat(b"Subject: chunked\r\n\r\nfirst\r\n")
        c.show()
        c.bdat(b"second\r\n.\r\nMAIL FROM:<admin@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\n.\r\n")
        c.show()
        c.bdat(b"..dots stay\nbare LF\rbare CR", last=True)
        c.show()
        c.send(b"NOOP\r\n")
        c.show()
    elif sc == "pipelined":
        # the whole session in one write (RFC 2920 with RFC 3030)
        one, two, three = b"Subject: piped\r\n\r\nx\r\n", b"last\r\n", b"Subject: second\r\n\r\n"
        c.send(b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\n"
               b"BDAT %d\r\n%sBDAT %d LAST\r\n%s" % (len(one), one, len(two), two) +
               b"MAIL FROM:<a@b.example>\r\nRCPT TO:<v@example.net>\r\nBDAT %d LAST\r\n%sQUIT\r\n" % (len(three), three))
        c.show(9)
    elif sc == "zero":
        c.start()
        c.bdat(b"Subject: z\r\n\r\nz\r\n")
        c.bdat(b"", last=True)
        c.show(2)
    elif sc == "excess":
        # the count is smaller than what follows: the rest is a command
        c.start()
        c.bdat(b"hello\r\nNOOP\r\n", last=True, count=7)
        c.show(2)
    elif sc == "short":
        # the count is larger than what follows: smtpd waits for the rest
        c.start()
        c.bdat(b"only ten\r\n", last=True, count=100)
        c.show()
    elif sc == "oversize":
        # limit 1000: one chunk over it, then two chunks adding up over it
        c.start()
        c.bdat(b"x" * 1998 + b"\r\n", last=True)
        c.send(b"NOOP\r\n")
        c.show(2)
        c.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\n")
        c.show(2)
        c.bdat(b"a" * 598 + b"\r\n")
        c.bdat(b"b" * 598 + b"\r\n")
        c.bdat(b"c" * 8 + b"\r\n", last=True)
        c.send(b"NOOP\r\n")
        c.show(4)
        c.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\n")
        c.show(2)
        c.bdat(b"y" * 998 + b"\r\n", last=True)
        c.show()
    elif sc in ("badcount", "longcount", "signcount"):
        c.start()
        arg = {"badcount": b"ten", "longcount": b"1" * 21, "signcount": b"+5"}[sc]
        c.send(b"BDAT " + arg + b" LAST\r\nMAIL FROM:<x@y.example>\r\n")
        c.show(3)
    elif sc == "nomail":
        c.bdat(b"MAIL FROM:<x@y.example>\r\n", last=True)
        c.send(b"NOOP\r\n")
        c.show(2)
        c.send(b"MAIL FROM:<a@b.example>\r\n")
        c.show()
        c.bdat(b"RCPT TO:<u@example.com>\r\n", last=True)
        c.send(b"NOOP\r\n")
        c.show(2)
        c.send(b"RCPT TO:<u@example.com>\r\n")
        c.show()
        c.bdat(b"Subject: mixed\r\n\r\n")
        c.send(b"DATA\r\nRCPT TO:<v@example.net>\r\n")
        c.show(3)
        c.bdat(b"end\r\n", last=True)
        c.show()
    elif sc == "nul":
        c.start()
        c.bdat(b"Subject: n\r\n\r\na\x00b\r\n")
        c.bdat(b"RSET\r\n", last=True)
        c.send(b"NOOP\r\n")
        c.show(3)
    elif sc == "rset":
        c.start()
        c.bdat(b"Subject: dropped\r\n\r\n")
        c.send(b"RSET\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\n")
        c.bdat(b"Subject: kept\r\n\r\nk\r\n", last=True)
        c.show(5)
    elif sc == "drop-mid":
        # gone inside a chunk: 500 of its 1000 bytes sent
        c.start()
        c.send(b"BDAT 1000 LAST\r\n" + b"d" * 500)
        c.s.close()
        print("closed", flush=True)
    elif sc == "drop-between":
        c.start()
        c.bdat(b"Subject: between\r\n\r\n")
        c.show()
        c.s.close()
        print("closed", flush=True)
    elif sc == "trickle":
        # a chunk sent a byte at a time, slower than data_rate_min
        import time
        c.start()
        c.send(b"BDAT 1000 LAST\r\n")
        c.s.settimeout(0.3)
        end = time.time() + 15
        while time.time() < end:
            try:
                c.s.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                break
            l = c.line()
            if l != "TIMEOUT":
                print(l, flush=True)
                break
        else:
            print("NO-REPLY", flush=True)
    elif sc == "queuefail":
        c.start()
        c.bdat(b"Subject: q\r\n\r\nq\r\n")
        c.bdat(b"end\r\n", last=True)
        c.send(b"NOOP\r\n")
        c.show(3)
    else:
        print("unknown scenario", sc)
        sys.exit(2)

main()
