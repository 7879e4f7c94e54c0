#!/usr/bin/python3
"""40-fill.py Q N [--into new|mess] [--rcpt FMT] [--sender S] [--size BYTES] [--next SECS]:
writes N valid message files (queue/queue.h format) straight into Q/new/
or Q/mess/HH/, fast, for load and scale tests. FMT gets the message
number: "r{n}@example.com". Prints nothing; ids are time-based and unique."""
import argparse, os, time

ap = argparse.ArgumentParser()
ap.add_argument("q"); ap.add_argument("n", type=int)
ap.add_argument("--into", default="new")
ap.add_argument("--rcpt", default="r{n}@example.com")
ap.add_argument("--sender", default="bulk@sender.org")
ap.add_argument("--size", type=int, default=200)
ap.add_argument("--next", type=int, default=0, help="with --into mess: a state file, tried once, next attempt in this many seconds")
a = ap.parse_args()

def qhash(s):
    h = 2166136261
    for c in s.encode():
        h ^= c
        h = (h * 16777619) & 0xffffffff
    return h % 64

now = int(time.time())
pid = os.getpid()
body = ("x" * 70 + "\r\n") * max(1, a.size // 72)
for n in range(1, a.n + 1):
    qid = "%d.%06d.%d" % (now, n % 1000000, pid)
    rc = a.rcpt.format(n=n)
    data = (f"mxhold 1\narrived {now}\nclient 127.0.0.1\nhelo fill\nspf pass\nfrom {a.sender}\nto {rc}\n\n"
            f"Received: from fill\r\nSubject: fill {n}\r\nMessage-ID: <{qid}@fill>\r\n\r\n{body}").encode()
    sub = "new" if a.into == "new" else "mess/%02x" % qhash(qid)
    tmp = os.path.join(a.q, "tmp", "fill." + qid)
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(a.q, sub, qid))
    if a.next and a.into == "mess":
        with open(os.path.join(a.q, "state", "%02x" % qhash(qid), qid), "w") as f:
            f.write(f"0 p 1 {now + a.next} {now} 421 4.3.0 filled as deferred\n")
