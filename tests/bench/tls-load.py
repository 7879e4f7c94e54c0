#!/usr/bin/python3
"""tests/bench/tls-load.py PORT N CONC MODE [SIZE]: the load of tls.sh (not
a benchmark itself). N SMTP sessions, CONC at a time (threads), each one
message of SIZE bytes (default 5120) from sender@example.org to
user@example.com; MODE "plain", or "tls" for EHLO, STARTTLS (no
certificate check: the cost measured is the server's), EHLO again. Prints
"SECONDS OK FAILED" (wall seconds of the whole run). The client is the same
for both relays and both modes."""
import smtplib, ssl, sys, threading, time

port, n, conc, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
size = int(sys.argv[5]) if len(sys.argv) > 5 else 5120
line = "x" * 76 + "\r\n"
body = "Subject: tls bench\r\n\r\n" + line * (size // len(line))
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
lock = threading.Lock()
left, ok, bad = [n], [0], [0]


def session():
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    s.ehlo("client.test")
    if mode == "tls":
        s.starttls(context=ctx)
        s.ehlo("client.test")
    s.sendmail("sender@example.org", ["user@example.com"], body)
    s.quit()


def worker():
    while True:
        with lock:
            if not left[0]:
                return
            left[0] -= 1
        try:
            session()
            r = ok
        except Exception:
            r = bad
        with lock:
            r[0] += 1


t0 = time.time()
ts = [threading.Thread(target=worker) for _ in range(conc)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("%.3f %d %d" % (time.time() - t0, ok[0], bad[0]))
