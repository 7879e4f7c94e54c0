#!/usr/bin/python3
"""downstream.py ADDR PORT MAILDIR: a minimal customer mail server for the
tour (`make run`). Accepts every message over SMTP on ADDR:PORT (loopback
only) and stores it in MAILDIR/new, one file per message, as Maildir does.
It logs in mxhold's grammar (doc/log.md), so run/log/*/current all read
alike: values a client sent are escaped as lib/log.c escapes them."""
import mailbox, os, signal, sys
from aiosmtpd.controller import Controller

PROG = "mxhold-downstream"


def value(v):
    """A value as doc/log.md writes it: bare, or quoted and escaped."""
    b = v if isinstance(v, bytes) else str(v).encode("utf-8", "surrogateescape")
    b = b[:400]
    if b and all(0x21 <= c <= 0x7e and c not in b'"\\' for c in b):
        return b.decode("ascii")
    out = []
    for c in b:
        if c in b'"\\':
            out.append("\\" + chr(c))
        elif 0x20 <= c <= 0x7e:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return '"' + "".join(out) + '"'


def log(level, event, **kv):
    line = "%s: %s: %s" % (PROG, level, event)
    for k, v in kv.items():
        line += " %s=%s" % (k, value(v))
    print(line, flush=True)


class Store:
    def __init__(self, path):
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(path, sub), exist_ok=True)
        self.box = mailbox.Maildir(path, create=False)

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        hdr = ("X-Envelope-From: <%s>\r\nX-Envelope-To: %s\r\n" % (
            envelope.mail_from, ", ".join("<%s>" % r for r in envelope.rcpt_tos)))
        key = self.box.add(hdr.encode() + data)
        sender = envelope.mail_from or ""
        log("info", "stored", file=key, **{"from": "" if sender == "<>" else sender},
            rcpts=len(envelope.rcpt_tos), bytes=len(data))
        return "250 2.0.0 stored"


def main():
    if len(sys.argv) != 4:
        log("fatal", "usage", usage="downstream.py ADDR PORT MAILDIR")
        sys.exit(100)
    addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if not addr.startswith("127.") and addr != "::1":
        log("fatal", "refused", ip=addr, reason="loopback addresses only")
        sys.exit(100)
    ctl = Controller(Store(path), hostname=addr, port=port)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    ctl.start()
    log("info", "listening", ip=addr, port=port, path=path)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    ctl.stop()


if __name__ == "__main__":
    main()
