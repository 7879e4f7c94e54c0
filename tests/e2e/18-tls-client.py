#!/usr/bin/python3
"""tests/e2e/18-tls-client.py CMD PORT [ARG...]: STARTTLS clients for
18/19-smtpd-tls (not a test itself). Each prints what the test compares,
one fact a line; every socket has a deadline.

  send PORT CAFILE          smtplib: EHLO, STARTTLS verifying against CAFILE
                            (name mx.customer.test), one message; prints
                            "tls PROTO CIPHER", "sent", the second EHLO's
                            keywords ("ehlo2 ...")
  inject PORT               STARTTLS and "MAIL FROM" in one packet, then TLS,
                            EHLO, RCPT: prints each reply after TLS
  batch PORT                EHLO and STARTTLS in one packet: prints both
                            replies, then EHLO inside TLS
  again PORT                STARTTLS, then EHLO, then STARTTLS again: prints
                            the reply to the second STARTTLS
  cert PORT                 the server certificate's SHA-256 (DER), no
                            verification
  garbage PORT              220 to STARTTLS, then bytes that are not TLS;
                            prints "closed" when the server hangs up
  vanish PORT               220 to STARTTLS, half a ClientHello, close
  quitreset PORT [LOG N]    a TLS session: EHLO, QUIT, read 221, then close
                            with a TCP reset (SO_LINGER 0); with LOG, only
                            once LOG holds N lines with reason=quit
  pipeline PORT             inside TLS, MAIL RCPT RCPT DATA in one write, then
                            a 2 MB message and QUIT in one write: prints
                            the replies, one a line
  badrecord PORT            inside TLS, after EHLO, a TLS record that does
                            not decrypt, on the raw socket: prints "closed"
  deaf PORT                 inside TLS, NOOPs pipelined for ever and no
                            reply read (a small receive buffer): prints
                            "ended" when the server has hung up (at most 60 s)
  raw PORT LINE...          plain text: greeting, then each LINE (Python
                            escapes, CRLF added) and its reply, printed
"""
import hashlib, os, smtplib, socket, ssl, struct, sys, time

T = 20


def plain(port):
    s = socket.create_connection(("127.0.0.1", port), T)
    s.settimeout(T)
    return s


class Lines:
    """Reads SMTP replies from a socket (or TLS socket)."""
    def __init__(self, s):
        self.s, self.buf = s, b""

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d
        l, self.buf = self.buf.split(b"\n", 1)
        return l.rstrip(b"\r").decode("latin-1")

    def reply(self):
        parts = []
        while True:
            l = self.line()
            if l is None:
                return " | ".join(parts) if parts else "EOF"
            parts.append(l)
            if len(l) < 4 or l[3] != "-":
                return " | ".join(parts)


def to_220(port):
    """Greeting, EHLO, STARTTLS: the socket, its reader, after the 220."""
    s = plain(port)
    r = Lines(s)
    r.reply()
    s.sendall(b"EHLO client.test\r\n")
    r.reply()
    s.sendall(b"STARTTLS\r\n")
    got = r.reply()
    if not got.startswith("220"):
        print("no 220:", got)
        sys.exit(1)
    return s, r


def ctx_noverify():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def send(port, cafile):
    c = ssl.create_default_context(cafile=cafile)
    s = smtplib.SMTP("127.0.0.1", port, timeout=T)
    s.ehlo("client.test")
    print("ehlo1", " ".join(sorted(s.esmtp_features)))
    s._host = "mx.customer.test"      # the name the certificate is checked against
    s.starttls(context=c)
    print("tls", s.sock.version(), s.sock.cipher()[0])
    s.ehlo("client.test")
    print("ehlo2", " ".join(sorted(s.esmtp_features)))
    s.sendmail("py@example.org", ["u@example.com"], "Subject: over tls\r\n\r\nhello in TLS\r\n")
    print("sent")
    s.quit()


def inject(port):
    s = plain(port)
    r = Lines(s)
    r.reply()
    s.sendall(b"EHLO client.test\r\n")
    r.reply()
    # one packet: STARTTLS and a command an attacker slipped in after it
    s.sendall(b"STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
    print("starttls", r.reply())
    t = ctx_noverify().wrap_socket(s, server_hostname="mx.customer.test")
    tr = Lines(t)
    t.sendall(b"EHLO client.test\r\n")
    print("ehlo", tr.reply())
    t.sendall(b"RCPT TO:<u@example.com>\r\n")
    print("rcpt", tr.reply())
    t.sendall(b"QUIT\r\n")
    print("quit", tr.reply())


def batch(port):
    s = plain(port)
    r = Lines(s)
    r.reply()
    s.sendall(b"EHLO client.test\r\nSTARTTLS\r\n")
    print("ehlo", r.reply())
    print("starttls", r.reply())
    t = ctx_noverify().wrap_socket(s, server_hostname="mx.customer.test")
    tr = Lines(t)
    t.sendall(b"EHLO client.test\r\n")
    print("ehlo2", tr.reply())
    t.sendall(b"QUIT\r\n")
    print("quit", tr.reply())


def again(port):
    s, _ = to_220(port)
    t = ctx_noverify().wrap_socket(s, server_hostname="mx.customer.test")
    tr = Lines(t)
    t.sendall(b"MAIL FROM:<a@example.org>\r\n")
    print("mail-before-ehlo", tr.reply())
    t.sendall(b"EHLO client.test\r\n")
    print("ehlo", tr.reply())
    t.sendall(b"STARTTLS\r\n")
    print("starttls2", tr.reply())
    t.sendall(b"QUIT\r\n")
    print("quit", tr.reply())


def cert(port):
    s, _ = to_220(port)
    t = ctx_noverify().wrap_socket(s, server_hostname="mx.customer.test")
    print(hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest())
    t.sendall(b"QUIT\r\n")
    Lines(t).reply()


def garbage(port):
    s, r = to_220(port)
    s.sendall(b"MAIL FROM:<not-tls@example.org>\r\n" * 8)
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    print("closed")


def vanish(port):
    s, r = to_220(port)
    # the first bytes of a TLS record header and a ClientHello, then nothing
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 10)
    s.close()
    print("gone")


def quitreset(port, log=None, want=None):
    s, _ = to_220(port)
    t = ctx_noverify().wrap_socket(s, server_hostname="mx.customer.test")
    tr = Lines(t)
    t.sendall(b"EHLO client.test\r\n")
    tr.reply()
    t.sendall(b"QUIT\r\n")
    print("quit", tr.reply())
    if log:
        # first smtpd has logged its end (so it has closed its fds)
        end = time.time() + 10
        while open(log, "rb").read().count(b"reason=quit") < int(want) and time.time() < end:
            time.sleep(0.02)
    # no close_notify, no FIN: a reset, as some clients end a session
    t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    t.close()


def tls_session(port):
    s, _ = to_220(port)
    t = ctx_noverify().wrap_socket(s, server_hostname="mx.customer.test")
    tr = Lines(t)
    t.sendall(b"EHLO client.test\r\n")
    tr.reply()
    return s, t, tr


def pipeline(port):
    _, t, tr = tls_session(port)
    t.sendall(b"MAIL FROM:<p@example.org>\r\nRCPT TO:<a@example.com>\r\n"
              b"RCPT TO:<b@example.net>\r\nDATA\r\n")
    for _ in range(4):
        print(tr.reply())
    line = b"y" * 998 + b"\r\n"
    msg = b"Subject: big over tls\r\n\r\n" + line * 2000 + b".\r\nQUIT\r\n"
    t.sendall(msg)
    print(tr.reply())
    print(tr.reply())


def badrecord(port):
    s, t, tr = tls_session(port)
    # application data record, TLS 1.2 framing, 32 bytes that are no ciphertext
    raw = socket.socket(fileno=os.dup(t.fileno()))
    raw.sendall(b"\x17\x03\x03\x00\x20" + b"\x42" * 32)
    try:
        while t.recv(4096):
            pass
    except (ssl.SSLError, ConnectionResetError, OSError):
        pass
    print("closed")


def deaf(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(T)
    s.connect(("127.0.0.1", port))
    r = Lines(s)
    r.reply()
    s.sendall(b"EHLO client.test\r\n")
    r.reply()
    s.sendall(b"STARTTLS\r\n")
    r.reply()
    t = ctx_noverify().wrap_socket(s, server_hostname="mx.customer.test")
    t.settimeout(60)
    batch = b"NOOP\r\n" * 10000
    end = time.time() + 60
    try:
        while time.time() < end:
            t.sendall(batch)
    except (OSError, ssl.SSLError):
        print("ended")
        return
    print("still open")


def raw(port, lines):
    s = plain(port)
    r = Lines(s)
    print(r.reply())
    for l in lines:
        s.sendall(l.encode().decode("unicode_escape").encode("latin-1") + b"\r\n")
        print(r.reply())


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    args = sys.argv[3:]
    if cmd == "raw":
        return raw(port, args)
    f = {"send": send, "inject": inject, "again": again, "cert": cert, "garbage": garbage,
         "vanish": vanish, "quitreset": quitreset, "pipeline": pipeline, "batch": batch, "deaf": deaf, "badrecord": badrecord}[cmd]
    f(port, *args)


main()
