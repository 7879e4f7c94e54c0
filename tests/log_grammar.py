#!/usr/bin/env python3
"""tests/log_grammar.py FILE...: parses every mxhold log line in FILEs with
the one grammar of doc/log.md. A line is an mxhold line when it starts
(after an optional s6-log TAI64N stamp) with "mxhold-" or with the old
"PROG: " of one of our programs; any other line (tcpserver, a test's own
peer) is not ours and is skipped. Prints one TAP line per file, and
"not ok" with the offending line for each line that does not parse."""
import re
import sys

PROGS = "smtpd|queue|queuectl|deliver|remote|spfcheck|ratelimit|relaycheck|conf|tls"
OURS = re.compile(rb"^(mxhold-[a-z]+|(" + PROGS.encode() + rb")): ")
STAMP = re.compile(rb"^@[0-9a-f]{24} ")
HEAD = re.compile(rb"^mxhold-[a-z]+: (info|warning|fatal): [a-z0-9-]+")
FIELD = re.compile(rb' [a-z0-9_]+=([\x21\x23-\x5b\x5d-\x7e]+|"([\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\]|\\x[0-9a-f]{2})*")')


def parse(line):
    """True if line (bytes, no LF) is one line of the grammar."""
    m = HEAD.match(line)
    if not m:
        return False
    pos = m.end()
    while pos < len(line):
        f = FIELD.match(line, pos)
        if not f:
            return False
        pos = f.end()
    return True


def main(files):
    bad = 0
    total = 0
    for name in files:
        try:
            data = open(name, "rb").read()
        except OSError as e:
            print("not ok - %s: %s" % (name, e))
            bad += 1
            continue
        n = 0
        for raw in data.split(b"\n"):
            line = STAMP.sub(b"", raw)
            if not OURS.match(line):
                continue
            n += 1
            if not parse(line):
                bad += 1
                print("not ok - %s: %r" % (name, line[:300]))
        total += n
    print("# %d lines parsed" % total)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
