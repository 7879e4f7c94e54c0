#!/usr/bin/python3
"""tests/spf/suite.py: runs the RFC 7208 test suite against an SPF checker.

Usage: suite.py [--impl mxhold|spfquery|pyspf] [--bench] [--bin PATH] [--budget SECS]
                [--server PREFIX] [--only NAME] [--quiet] [YAML]

Starts tests/spf/dnsserver.py (scenario i on PREFIX.(i+1):53, PREFIX a
random free 127.x.y unless given), runs every test of every scenario once,
prints "ok - ..." / "not ok - ..." per test, then "# impl=... tests=N
passed=N seconds=S checks_per_sec=R" (S sums the checks' own wall time).

--bench times a /bin/true started the same way before each check and adds
net_ms_per_quick_check and net_cpu_ms_per_check: the checker's own cost.
mxhold runs `mxhold-spfcheck -t BUDGET -q IP SENDER HELO` with DNSCACHEIP.
spfquery (libspf2) and pyspf read /etc/resolv.conf only, so for them each
scenario runs in a private mount namespace (unshare -m) with a resolv.conf
naming that scenario's server bind-mounted over /etc/resolv.conf.
"""
import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
RESULTS = ('pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror')
# The default explanation mxhold-spfcheck gives when a record has no exp=.
DEFAULT_EXP = re.compile(r'^SPF fail: .* is not allowed to send mail from ')

PYSPF = r'''
import sys, spf
i, s, h, t = sys.argv[1:5]
r = spf.check2(i=i, s=s, h=h, timeout=float(t), receiver='unknown')
print(r[0]); print(r[1])
'''


def load(path):
    with open(path, encoding='utf-8') as f:
        return [d for d in yaml.safe_load_all(f) if d]


def start_server(yml, prefix):
    tmp = tempfile.mkdtemp(prefix='spfdns.')
    ready = os.path.join(tmp, 'ready')
    tries = [prefix] if prefix else ['127.%d.%d' % (random.randint(100, 250), random.randint(1, 250)) for _ in range(8)]
    for p in tries:
        proc = subprocess.Popen(['/usr/bin/python3', os.path.join(HERE, 'dnsserver.py'), yml, p, ready],
                                stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(ready):
                return proc, p
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
        proc.wait()
    sys.exit('not ok - cannot start the test DNS server')


def run_check(impl, binary, budget, ip, sender, helo, server):
    """(result, explanation) of one check."""
    env = dict(os.environ, DNSCACHEIP=server, MXHOLD_CONF='/nonexistent')
    if impl == 'mxhold':
        cmd = [binary, '-t', str(budget), '-q', ip, sender, helo]
    elif impl == 'spfquery':
        cmd = ['spfquery', '-ip', ip, '-sender', sender, '-helo', helo]
        env['RES_OPTIONS'] = 'timeout:%d attempts:1' % max(1, int(budget))
    else:
        cmd = ['/usr/bin/python3', '-c', PYSPF, ip, sender, helo, str(budget)]
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=budget * 2 + 3)
    except subprocess.TimeoutExpired:
        return 'hung', ''
    if impl == 'mxhold' and p.returncode != 0:
        return 'exit %d' % p.returncode, ''   # query mode exits 0 for every result
    out = p.stdout.decode('utf-8', 'replace')
    lines = out.split('\n')
    result = lines[0].strip().lower() if lines else ''
    exp = ''
    if impl == 'mxhold':
        for l in lines[1:]:
            if l.startswith('explanation: '):
                exp = l[len('explanation: '):]
    elif impl == 'pyspf':
        exp = lines[1] if len(lines) > 1 else ''
    else:
        # libspf2: an optional StartError..EndError block, then the result,
        # the smtp comment (the explanation), header comment, Received-SPF
        if 'EndError' in lines:
            lines = lines[lines.index('EndError') + 1:]
        result = lines[0].strip().lower() if lines else ''
        exp = lines[1] if len(lines) > 1 else ''
    if result == 'error':
        result = 'temperror'
    return result, exp


def judge(impl, t, result, exp):
    want = t['result'] if isinstance(t['result'], list) else [t['result']]
    if result not in want:
        return 'got %s, want %s' % (result, '|'.join(want))
    if 'explanation' in t and impl == 'mxhold':
        e = str(t['explanation'])
        if e == 'DEFAULT':
            if not DEFAULT_EXP.match(exp):
                return 'explanation %r, want the default' % exp
        elif exp.lower() != e.lower():
            # Case-folded: v-macro-ip6 wants upper-case nibbles from %{ir}, but
            # RFC 7208 7.4's own example expands %{ir} with lower-case ones.
            return 'explanation %r, want %r' % (exp, e)
    return None


def cpu_now():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_scenarios(args, docs, prefix, indexes):
    """A dict of counts and seconds. A quick check is one that did not wait
    for an unanswered query (< 0.8 budget). With --bench, each check is
    preceded by a /bin/true started the same way, so its wall and CPU time
    (the cost of starting a process, right now) can be taken off."""
    st = dict(passed=0, total=0, spent=0.0, quick=0, qspent=0.0, cpu=0.0, qbase=0.0, basecpu=0.0)
    for i in indexes:
        doc = docs[i]
        for name, t in doc['tests'].items():
            if args.only and args.only not in name:
                continue
            if args.bench:
                c0, t0 = cpu_now(), time.monotonic()
                subprocess.run(['/bin/true'])
                bdt, bcpu = time.monotonic() - t0, cpu_now() - c0
            c0, t0 = cpu_now(), time.monotonic()
            result, exp = run_check(args.impl, args.bin, args.budget, str(t['host']),
                                    str(t.get('mailfrom', '')), str(t.get('helo', '')),
                                    '%s.%d' % (prefix, i + 1))
            dt = time.monotonic() - t0
            st['cpu'] += cpu_now() - c0
            st['spent'] += dt
            st['total'] += 1
            if args.bench:
                st['basecpu'] += bcpu
            if dt < 0.8 * args.budget:
                st['quick'] += 1
                st['qspent'] += dt
                if args.bench:
                    st['qbase'] += bdt
            bad = judge(args.impl, t, result, exp)
            if bad is None:
                st['passed'] += 1
                if not args.quiet:
                    print('ok - %s: %s' % (name, result))
            elif not args.quiet:
                print('not ok - %s (%s): %s' % (name, doc['description'], bad))
            sys.stdout.flush()
    return st


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('yaml', nargs='?', default=os.path.join(HERE, 'rfc7208-tests.yml'))
    ap.add_argument('--impl', default='mxhold', choices=('mxhold', 'spfquery', 'pyspf'))
    ap.add_argument('--bin', default=os.path.join(os.environ.get('MXHOLD_BIN', os.path.join(TOP, 'build/bin')), 'mxhold-spfcheck'))
    ap.add_argument('--budget', type=float, default=2)
    ap.add_argument('--server')
    ap.add_argument('--only')
    ap.add_argument('--quiet', action='store_true')
    ap.add_argument('--bench', action='store_true', help='also time a /bin/true before each check')
    ap.add_argument('--scenario', type=int, help=argparse.SUPPRESS)   # inside unshare
    args = ap.parse_args()
    docs = load(args.yaml)
    if args.scenario is not None:
        print(json.dumps(run_scenarios(args, docs, args.server, [args.scenario])), file=sys.stderr)
        return
    proc, prefix = start_server(args.yaml, args.server)
    try:
        if args.impl == 'mxhold':
            st = run_scenarios(args, docs, prefix, range(len(docs)))
        else:
            st = {}
            for i in range(len(docs)):
                with tempfile.NamedTemporaryFile('w', suffix='.resolv', delete=False) as rc:
                    rc.write('nameserver %s.%d\noptions timeout:%d attempts:1\n' % (prefix, i + 1, max(1, int(args.budget))))
                me = [sys.executable, os.path.abspath(__file__), args.yaml, '--impl', args.impl,
                      '--budget', str(args.budget), '--server', prefix, '--scenario', str(i)]
                me += ['--only', args.only] if args.only else []
                me += ['--quiet'] if args.quiet else []
                me += ['--bench'] if args.bench else []
                r = subprocess.run(['unshare', '-m', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', rc.name] + me,
                                   stderr=subprocess.PIPE)
                os.unlink(rc.name)
                try:
                    one = json.loads(r.stderr.decode().strip().split('\n')[-1])
                except (ValueError, IndexError):
                    sys.exit('not ok - scenario %d under unshare failed: %s' % (i, r.stderr.decode()[-300:]))
                for k, v in one.items():
                    st[k] = st.get(k, 0) + v
        n, q = st['total'], st['quick']
        line = ('# impl=%s tests=%d passed=%d seconds=%.3f checks_per_sec=%.1f quick=%d quick_seconds=%.3f'
                ' quick_checks_per_sec=%.1f cpu_ms_per_check=%.2f'
                % (args.impl, n, st['passed'], st['spent'], n / st['spent'] if st['spent'] else 0,
                   q, st['qspent'], q / st['qspent'] if st['qspent'] else 0, 1000 * st['cpu'] / n if n else 0))
        if args.bench:
            line += (' net_ms_per_quick_check=%.2f net_cpu_ms_per_check=%.2f start_ms=%.2f start_cpu_ms=%.2f'
                     % (1000 * (st['qspent'] - st['qbase']) / q if q else 0, 1000 * (st['cpu'] - st['basecpu']) / n if n else 0,
                        1000 * st['qbase'] / q if q else 0, 1000 * st['basecpu'] / n if n else 0))
        print(line)
        passed, total = st['passed'], n
    finally:
        proc.kill()
        proc.wait()
    sys.exit(0 if passed == total else 1)


if __name__ == '__main__':
    main()
