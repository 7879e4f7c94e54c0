#!/usr/bin/python3
"""tests/spf/dnsserver.py: serves the zone data of an SPF test-suite YAML file.

Usage: dnsserver.py YAML PREFIX READYFILE
  PREFIX is "127.A.B": scenario number i (0-based, document order) is served
  on PREFIX.(i+1) port 53, UDP and TCP, each with its own zone data (the
  scenarios reuse owner names with different records). When every socket is
  bound, the server writes "PREFIX" to READYFILE.

Zone semantics follow tests/spf/README.md (those of the suite's reference
driver):
  - SPF entries are served as TXT too, unless the name has a TXT entry of its
    own; the generated TXT records come after all listed entries.
  - "TXT: NONE" / "SPF: NONE" list no record.
  - TIMEOUT: a query whose type has no record listed before the marker is
    never answered.
  - An absent name is NXDOMAIN, unless it starts with "error." (no answer).
  - A present name without the type: NOERROR, no data.
  - CNAME entries are followed like a recursive server does; a loop is
    SERVFAIL.
  - A list value for TXT/SPF is one record of several strings.

For the DANE tests (tests/e2e/54-remote-dane.sh) it also serves:
  - TLSA entries, "USAGE SELECTOR MTYPE HEXDATA" (RFC 6698 presentation form).
  - A scenario's top-level "secure: [SUFFIX...]": an answer for a name under
    one of those suffixes has the AD bit set, as a validating resolver's
    would, but only when the query asked for it with AD=1 (RFC 6840 5.7) or
    DO; every other answer has AD clear (an insecure zone).
"""
import os
import select
import socket
import struct
import sys

import yaml
from dnslib import (AAAA, CNAME, MX, PTR, QTYPE, RCODE, RR, TLSA, TXT, A,
                    DNSRecord)

TYPES = {'A': QTYPE.A, 'AAAA': QTYPE.AAAA, 'MX': QTYPE.MX, 'PTR': QTYPE.PTR,
         'CNAME': QTYPE.CNAME, 'TXT': QTYPE.TXT, 'SPF': 99, 'TLSA': 52}
NOANSWER = object()


def strings(v):
    """A TXT/SPF value as a list of byte strings of at most 255 bytes."""
    if isinstance(v, str):
        v = [v]
    out = []
    for s in v:
        b = str(s).encode('utf-8')
        if not b:
            out.append(b)
        while b:
            out.append(b[:255])
            b = b[255:]
    return out


def load_zone(zonedata):
    """{name: [entry...]}; an entry is 'TIMEOUT' or (type, value)."""
    zone = {}
    for name, entries in (zonedata or {}).items():
        out, gen, own_txt = [], [], False
        for e in entries or []:
            if e == 'TIMEOUT':
                out.append('TIMEOUT')
                continue
            for t, v in e.items():
                if t == 'TXT':
                    own_txt = True
                elif t == 'SPF':
                    gen.append(('TXT', v))
                if v != 'NONE':
                    out.append((t, v))
        if not own_txt:
            out.extend(t for t in gen if t[1] != 'NONE')
        zone[str(name).lower().rstrip('.')] = out
    return zone


def rdata(t, v):
    if t == 'A':
        return A(v)
    if t == 'AAAA':
        return AAAA(v)
    if t == 'MX':
        return MX(str(v[1]), int(v[0]))
    if t == 'PTR':
        return PTR(str(v))
    if t == 'CNAME':
        return CNAME(str(v))
    if t == 'TLSA':
        u, sel, m, data = str(v).split()
        return TLSA(int(u), int(sel), int(m), bytes.fromhex(data))
    return TXT(strings(v))


def lookup(zone, name, qtype):
    """(rcode, [(owner, type, value)]) or NOANSWER."""
    answers = []
    seen = set()
    while True:
        key = name.lower().rstrip('.')
        if key not in zone:
            if key.startswith('error.'):
                return NOANSWER
            return (RCODE.NXDOMAIN if not answers else RCODE.NOERROR), answers
        entries = zone[key]
        found = False
        cname = None
        for e in entries:
            if e == 'TIMEOUT':
                if not found:
                    return NOANSWER
                break
            t, v = e
            if TYPES.get(t) == qtype:
                found = True
                answers.append((name, t, v))
            elif t == 'CNAME' and cname is None:
                cname = str(v)
        if found or cname is None or qtype == QTYPE.CNAME:
            return RCODE.NOERROR, answers
        answers.append((name, 'CNAME', cname))
        if key in seen or len(seen) > 16:
            return RCODE.SERVFAIL, []
        seen.add(key)
        name = cname


def raw_name(qname):
    """The name as its label bytes say, without dnslib's escaping."""
    return b'.'.join(qname.label).decode('utf-8', 'replace')


CACHE = {}


def answer(zone, data, secure=()):
    """The reply to query data; replies are cached per scenario and exact
    question (bytes 12 on, so the question's case is echoed), the RD flag
    and the AD flag asked for; only the query id (bytes 0-1) changes."""
    if len(data) < 12:
        return None
    key = (id(zone), data[2] & 1, data[3] & 0x20, data[12:])
    if key in CACHE:
        out = CACHE[key]
        return None if out is None else data[:2] + out[2:]
    out = answer_uncached(zone, data, secure)
    CACHE[key] = out
    return out


def wants_ad(req):
    """The query asked for the AD bit: AD=1 in its header or DO in EDNS."""
    if req.header.ad:
        return True
    return any(r.rtype == QTYPE.OPT and (r.ttl >> 15) & 1 for r in req.ar)


def is_secure(secure, name):
    name = name.lower().rstrip('.')
    return any(name == s or name.endswith('.' + s)
               for s in (str(x).lower().rstrip('.') for x in secure))


def answer_uncached(zone, data, secure=()):
    try:
        req = DNSRecord.parse(data)
    except Exception:
        return None
    if not req.questions:
        return None
    q = req.questions[0]
    res = lookup(zone, raw_name(q.qname), q.qtype)
    if res is NOANSWER:
        return None
    rcode, rrs = res
    reply = req.reply(ra=1, aa=1)
    reply.header.rcode = rcode
    reply.header.ad = int(wants_ad(req) and is_secure(secure, raw_name(q.qname)))
    for owner, t, v in rrs:
        reply.add_answer(RR(owner, TYPES[t], rdata=rdata(t, v), ttl=60))
    return reply.pack()


def main():
    path, prefix, ready = sys.argv[1:4]
    with open(path, encoding='utf-8') as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    socks = {}
    for i, doc in enumerate(docs):
        zone = load_zone(doc.get('zonedata'))
        secure = tuple(doc.get('secure') or ())
        ip = '%s.%d' % (prefix, i + 1)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((ip, 53))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((ip, 53))
        t.listen(16)
        socks[u] = ('udp', zone, secure)
        socks[t] = ('tcp', zone, secure)
    with open(ready + '.tmp', 'w') as f:
        f.write(prefix + '\n')
    os.rename(ready + '.tmp', ready)
    while True:
        r, _, _ = select.select(list(socks), [], [])
        for s in r:
            kind, zone, secure = socks[s]
            if kind == 'udp':
                data, peer = s.recvfrom(4096)
                out = answer(zone, data, secure)
                if out is None:
                    continue
                if len(out) > 512:
                    rec = DNSRecord.parse(out)
                    rec.rr = []
                    rec.header.tc = 1
                    out = rec.pack()
                s.sendto(out, peer)
            else:
                c, _ = s.accept()
                c.settimeout(2)
                try:
                    n = struct.unpack('>H', c.recv(2))[0]
                    data = b''
                    while len(data) < n:
                        chunk = c.recv(n - len(data))
                        if not chunk:
                            break
                        data += chunk
                    out = answer(zone, data, secure)
                    if out is not None:
                        c.sendall(struct.pack('>H', len(out)) + out)
                except Exception:
                    pass
                c.close()


if __name__ == '__main__':
    main()
