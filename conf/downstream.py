#!/usr/bin/python3
"""downstream.py ADDR PORT MAILDIR: a minimal customer mail server for the
tour (`make run`). Accepts every message over SMTP on ADDR:PORT (loopback
only) and stores it in MAILDIR/new, one file per message, as Maildir does."""
import mailbox, os, signal, sys
from aiosmtpd.controller import Controller


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
        print("downstream: info: stored %s from=<%s> rcpts=%d" % (
            key, envelope.mail_from, len(envelope.rcpt_tos)), flush=True)
        return "250 2.0.0 stored"


def main():
    addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if not addr.startswith("127.") and addr != "::1":
        sys.exit("downstream: fatal: loopback addresses only")
    ctl = Controller(Store(path), hostname=addr, port=port)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    ctl.start()
    print("downstream: info: listening on %s:%d, Maildir %s" % (addr, port, path), flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    ctl.stop()


if __name__ == "__main__":
    main()
