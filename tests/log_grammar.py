#!/usr/bin/env python3
"""tests/log_grammar.py: the log grammar of doc/log.md, as a checker.

  log_grammar.py [--doc DOC] [--show N] PATH...
      Checks every line of ours in PATHs (files, or folders walked
      recursively). Prints "# FILE:LINE: REASON: LINE" for the first N
      (default 5) offending lines of each file, a count per reason, and
      one TAP line for the lot: "ok - log grammar: ..." or "not ok - ...".
      Exit 0 if every line is in the grammar, 1 if not, 2 on bad usage.
  log_grammar.py --ours PATH...
      Prints the names of the files that hold a line of ours.
  log_grammar.py [--get KEY] --match 'PROG EVENT [TERM...]' PATH...
      Prints the lines (in the grammar) of program PROG ("smtpd" or
      "mxhold-smtpd", "*" for any) with event EVENT ("*" for any) and every
      TERM: "key" (present), "key=value" (that value, decoded), "key~RE"
      (a decoded value that re.search matches), "!key" (absent). With
      --get, prints that key's decoded value instead. Exit 0 if one
      matched, 1 if none.

A line is ours when it starts (after an s6-log TAI64N stamp "@4000... ")
with "mxhold-", "mxhold:" or the "PROG: " of one of our programs (the old
form); any other line (tcpserver, s6, Postfix, a test's own output) is
skipped. A line of ours must be

    mxhold-PROG: LEVEL: EVENT key=value ...

exactly as doc/log.md's grammar and rules say: the ABNF; values bare
when they can be, quoted otherwise, \\xHH only for a byte that cannot be
written as itself (lib/log.h); a value at most 400 bytes, a line at most
2048 with its LF, "cut=1" only last; every key one of the doc's Keys table
(read from DOC, default doc/log.md beside this folder) and its value of
the form the table gives; an event of the doc's Events table with the keys
its row names.
"""
import ipaddress
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "doc", "log.md")

PROGS = b"smtpd|queue|queuectl|deliver|remote|spfcheck|ratelimit|relaycheck|conf|tls"
OURS = re.compile(rb"^(mxhold(-[a-z]+)?|" + PROGS + rb"): ")
STAMP = re.compile(rb"^@[0-9a-f]{24} ")
HEAD = re.compile(rb"^(mxhold-[a-z]+): ([^:]*): ")
LEVELS = (b"info", b"warning", b"fatal")
EVENT = re.compile(rb"[a-z0-9-]+")
KEY = re.compile(rb"[a-z0-9_]+")
BARE = re.compile(rb"[\x21\x23-\x5b\x5d-\x7e]+")
QUOTED = re.compile(rb'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\]|\\x[0-9a-fA-F]{2})*)"')
ESC = re.compile(rb'\\(["\\]|x([0-9a-fA-F]{2}))')
LINE_MAX = 2048     # bytes of one line, its LF included
VALUE_MAX = 400     # bytes of one value, decoded

# The form of each key's value, from the Keys table's second column. "-"
# (a missing value) is allowed for every key.
WORD = re.compile(r"[a-z0-9-]+\Z")
NUM = re.compile(r"[0-9]+\Z")


def is_ip(v):
    try:
        ipaddress.ip_address(v)
        return True
    except ValueError:
        return False


VALUE_FORM = {
    "qid": (re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\Z").match, "TIME.USEC.PID"),
    "client": (is_ip, "an IP address"),
    "ip": (is_ip, "an IP address"),
    "port": (NUM.match, "a number"),
    "rcpts": (NUM.match, "a count"),
    "size": (NUM.match, "bytes"),
    "bytes": (NUM.match, "bytes"),
    "attempts": (NUM.match, "a count"),
    "line": (NUM.match, "a line number"),
    "free": (NUM.match, "bytes"),
    "free_min": (NUM.match, "bytes"),
    "from": (lambda v: not (v.startswith("<") or v.endswith(">")), "without <>"),
    "to": (lambda v: not (v.startswith("<") or v.endswith(">")), "without <>"),
    "reply": (re.compile(r"[2-5][0-9][0-9]( |\Z)").match, "an SMTP reply line"),
    "reason": (WORD.match, "words (lowercase, '-')"),
    "stage": (WORD.match, "an SMTP command (lowercase)"),
    "delay": (re.compile(r"[0-9]+\.[0-9]{3}\Z").match, "S.mmm"),
    "duration": (re.compile(r"[0-9]+\.[0-9]{3}\Z").match, "S.mmm"),
    "status": (lambda v: v in ("delivered", "deferred", "bounced", "expired"), "delivered/deferred/bounced/expired"),
    "spf": (lambda v: v in ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "skipped"), "an SPF result or skipped"),
    "action": (lambda v: v in ("accept", "mark", "reject", "defer", "query"), "accept/mark/reject/defer/query"),
    "tls": (lambda v: "/" in v, "PROTOCOL/CIPHER"),
    "verify": (lambda v: v in ("ca", "dane", "none"), "ca/dane/none"),
    "policy": (lambda v: v in ("none", "may", "require", "verify", "dane"), "none/may/require/verify/dane"),
}


def load_doc(path):
    """(keys, events): the keys of the Keys table (and "cut", from the
    rules), and {(prog, event): [required keys]} from the Events table."""
    text = open(path, encoding="utf-8").read()
    sections = re.split(r"^## ", text, flags=re.M)
    keys, rows = set(), []
    for sec in sections:
        title = sec.split("\n", 1)[0].strip()
        table = [l for l in sec.split("\n") if l.startswith("|")]
        cells = [[c.strip() for c in l.strip().strip("|").split("|")] for l in table[2:]]
        if title == "Keys":
            for c in cells:
                keys.update(re.findall(r"`([a-z0-9_]+)`", c[0]))
        elif title == "Events":
            rows = cells
    if not keys or not rows:
        raise ValueError("%s: no Keys or no Events table" % path)
    keys.add("cut")     # the rules: a cut line ends with " cut=1"
    events = {}
    for c in rows:
        if len(c) < 3:
            continue
        prog = "mxhold-" + c[0].strip("`")
        need = [k for k in re.findall(r"`([a-z0-9_]+)`", c[2]) if k in keys]
        for ev in re.findall(r"`([a-z0-9-]+)`", c[1]):
            events[(prog, ev)] = need
    return keys, events


def decode(raw):
    """A field's value as bytes, and the first rule it breaks (or None)."""
    if not raw.startswith(b'"'):
        return raw, None
    inner = raw[1:-1]
    why = None
    out = bytearray()
    pos = 0
    for m in ESC.finditer(inner):
        out += inner[pos:m.start()]
        pos = m.end()
        if m.group(2) is None:
            out += m.group(1)
        else:
            b = int(m.group(2), 16)
            if 0x20 <= b <= 0x7e and why is None:
                why = "\\x%s for a byte that can be written as itself" % m.group(2).decode()
            out.append(b)
    out += inner[pos:]
    out = bytes(out)
    if why is None and out and BARE.fullmatch(out):
        why = "quoted, but it can be bare"
    return out, why


def parse(line, keys, events):
    """(prog, level, event, [(key, value bytes)], reason or None) of one
    line of ours (bytes, without its LF)."""
    m = HEAD.match(line)
    if not m:
        return None, None, None, [], "not \"mxhold-PROG: LEVEL: \" (old form?)"
    prog, level = m.group(1).decode(), m.group(2)
    if level not in LEVELS:
        return prog, None, None, [], "level %r is not info, warning or fatal" % level.decode("latin-1")
    e = EVENT.match(line, m.end())
    if not e or (e.end() < len(line) and line[e.end():e.end() + 1] != b" "):
        return prog, level.decode(), None, [], "no event word after the level"
    event = e.group().decode()
    fields = []
    pos = e.end()
    why = None
    while pos < len(line):
        if line[pos:pos + 1] != b" " or line[pos + 1:pos + 2] == b" ":
            return prog, level.decode(), event, fields, "not one space before a field (byte %d)" % pos
        k = KEY.match(line, pos + 1)
        if not k or line[k.end():k.end() + 1] != b"=":
            return prog, level.decode(), event, fields, "not a field (key, value) at byte %d" % (pos + 1)
        v = QUOTED.match(line, k.end() + 1) or BARE.match(line, k.end() + 1)
        if not v or (v.end() < len(line) and line[v.end():v.end() + 1] != b" "):
            return prog, level.decode(), event, fields, "bad value for %s= at byte %d" % (k.group().decode(), k.end() + 1)
        key = k.group().decode()
        val, bad = decode(v.group())
        fields.append((key, val))
        if why is None:
            if bad:
                why = "%s=: %s" % (key, bad)
            elif key not in keys:
                why = "key %s is not in doc/log.md's Keys table" % key
            elif len(val) > VALUE_MAX:
                why = "%s=: %d bytes, more than %d" % (key, len(val), VALUE_MAX)
            elif key == "cut" and (val != b"1" or v.end() != len(line)):
                why = "cut is not last, or not 1"
            elif key in VALUE_FORM and val != b"-":
                test, form = VALUE_FORM[key]
                if not test(val.decode("latin-1")):
                    why = "%s=%s is not %s" % (key, val.decode("latin-1")[:60], form)
        pos = v.end()
    if why is None and len(line) + 1 > LINE_MAX:
        why = "%d bytes, more than %d" % (len(line) + 1, LINE_MAX)
    if why is None:
        have = {k for k, _ in fields}
        miss = [k for k in events.get((prog, event), []) if k not in have]
        if miss and not (have & {"cut"}):
            why = "%s %s without %s (doc/log.md's Events table)" % (prog, event, ", ".join(miss))
    return prog, level.decode(), event, fields, why


def files_of(paths):
    for p in paths:
        if os.path.isdir(p):
            for d, dirs, names in os.walk(p):
                dirs.sort()
                for n in sorted(names):
                    f = os.path.join(d, n)
                    if os.path.isfile(f) and not os.path.islink(f):
                        yield f
        else:
            yield p


def our_lines(name, limit=64 << 20):
    """(line number, line without stamp and LF, has LF) of each line of
    ours in file name; files over limit bytes are skipped."""
    try:
        if os.path.getsize(name) > limit:
            return
        data = open(name, "rb").read()
    except OSError:
        return
    parts = data.split(b"\n")
    for i, raw in enumerate(parts):
        line = STAMP.sub(b"", raw, count=1)
        if OURS.match(line):
            yield i + 1, line, i < len(parts) - 1


def check(paths, doc, show):
    keys, events = load_doc(doc)
    total = nfiles = 0
    bad_files = 0
    nbad = 0
    reasons = {}
    for name in files_of(paths):
        n = k = 0
        for lineno, line, lf in our_lines(name):
            n += 1
            why = parse(line, keys, events)[4]
            if why is None and not lf:
                why = "no LF at the end"
            if why is None:
                continue
            k += 1
            general = re.sub(r"\b[0-9]+\b", "N", re.sub(r"=[^ ]+", "=", why))
            reasons[general] = reasons.get(general, 0) + 1
            if k <= show:
                print("# %s:%d: %s: %s" % (name, lineno, why, line[:200].decode("latin-1").encode("unicode_escape").decode()))
        if n:
            nfiles += 1
            total += n
        if k:
            bad_files += 1
            nbad += k
            if k > show:
                print("# %s: %d more" % (name, k - show))
    for r, c in sorted(reasons.items(), key=lambda x: -x[1]):
        print("# %6d  %s" % (c, r))
    if nbad:
        print("not ok - log grammar: %d of %d lines in %d of %d files break doc/log.md" % (nbad, total, bad_files, nfiles))
        return 1
    print("ok - log grammar: %d lines in %d files" % (total, nfiles))
    return 0


def match(spec, paths, doc, get):
    keys, events = load_doc(doc)
    words = spec.split()
    if len(words) < 2:
        print("log_grammar.py: --match needs 'PROG EVENT [TERM...]'", file=sys.stderr)
        return 2
    prog, event, terms = words[0], words[1], words[2:]
    if prog != "*" and not prog.startswith("mxhold-"):
        prog = "mxhold-" + prog
    found = 0
    for name in files_of(paths):
        for _, line, _ in our_lines(name):
            p, lv, ev, fields, why = parse(line, keys, events)
            if why is not None or (prog != "*" and p != prog) or (event != "*" and ev != event):
                continue
            f = {}
            for k, v in fields:
                f.setdefault(k, v.decode("latin-1"))
            ok = True
            for t in terms:
                if t.startswith("!"):
                    ok = t[1:] not in f
                elif "=" in t:
                    k, v = t.split("=", 1)
                    ok = f.get(k) == v
                elif "~" in t:
                    k, r = t.split("~", 1)
                    ok = k in f and re.search(r, f[k]) is not None
                else:
                    ok = t in f
                if not ok:
                    break
            if ok:
                found += 1
                if get:
                    print(f.get(get, ""))
                else:
                    print(line.decode("latin-1"))
    return 0 if found else 1


def main(argv):
    doc, show, mode, spec, get = DOC, 5, "check", None, None
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--doc", "--show", "--match", "--get") and i + 1 < len(argv):
            v = argv[i + 1]
            i += 2
            if a == "--doc":
                doc = v
            elif a == "--show":
                show = int(v)
            elif a == "--match":
                mode, spec = "match", v
            else:
                get = v
            continue
        if a == "--ours":
            mode = "ours"
        elif a.startswith("--"):
            print("log_grammar.py: unknown option %s" % a, file=sys.stderr)
            return 2
        else:
            args.append(a)
        i += 1
    if mode == "ours":
        for name in files_of(args):
            for _ in our_lines(name):
                print(name)
                break
        return 0
    if mode == "match":
        return match(spec, args, doc, get)
    if not args:
        print("log_grammar.py: no file", file=sys.stderr)
        return 2
    return check(args, doc, show)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
