#!/usr/bin/python3
"""Soak: mixed reads and writes against the server for SOAK_SECONDS (default 600).

The server is FOLLOWD_BIN (`make soak` passes the ASan+UBSan build, so that
ten minutes of traffic also run under the sanitizers and LeakSanitizer checks
the heap at exit; ASan's free-memory quarantine is capped at 16 MiB so that
it fills during the warm-up instead of looking like growth).

Clients: OAuth 1.0a (HMAC-SHA1, signed here), OAuth 2.0 user token and app-only
bearer, SOAK_CLIENTS threads (default 4), each with its own keep-alive session.
The server's RSS and open file descriptors and the p99 latency of the last
interval are sampled every min(60, SOAK_SECONDS / 10) seconds, printed, and
plotted into docs/soak.png (SOAK_PNG overrides).

Pass criterion (exit 1 otherwise):
  - no error: every response is the expected 2xx, no connection failure;
  - a clean exit: status 0 on SIGTERM and no sanitizer report in its stderr;
  - a clean database: `followd check` passes afterwards (indexes, counters = lists);
  - no growth: over the second half of the run (the first half is warm-up:
    caches, LMDB pages, thread arenas) RSS rises by less than 10 % + 4 MiB,
    the fd count ends no higher than it was at the half-way sample, and the
    median p99 of the second half is at most 2x that of the first half + 5 ms.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, os.environ.get("FOLLOWD_BIN", "bin/followd"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "4"))
PNG = os.environ.get("SOAK_PNG", os.path.join(ROOT, "docs", "soak.png"))
INTERVAL = min(60.0, SECONDS / 10)


def q(s):
    return urllib.parse.quote(s, safe="-._~")


def oauth1(method, url, params, ck, cs, tok, ts):
    """The Authorization header of an OAuth 1.0a HMAC-SHA1 request (RFC 5849)."""
    oa = {"oauth_consumer_key": ck, "oauth_nonce": secrets.token_hex(16), "oauth_signature_method": "HMAC-SHA1",
          "oauth_timestamp": str(int(time.time())), "oauth_token": tok, "oauth_version": "1.0"}
    u = urllib.parse.urlsplit(url)
    pairs = sorted((q(k), q(v)) for k, v in list(oa.items()) + list(params.items()))
    base = "&".join([method, q(f"{u.scheme}://{u.netloc}{u.path}"), q("&".join(f"{k}={v}" for k, v in pairs))])
    sig = base64.b64encode(hmac.new(f"{q(cs)}&{q(ts)}".encode(), base.encode(), hashlib.sha1).digest()).decode()
    oa["oauth_signature"] = sig
    return "OAuth " + ",".join(f'{q(k)}="{q(v)}"' for k, v in sorted(oa.items()))


def cli(db, *args):
    p = subprocess.run([BIN, *args, "--db", db], capture_output=True, text=True, timeout=300)
    if p.returncode:
        raise RuntimeError(f"followd {' '.join(args)}: {p.stderr}")
    return p.stdout.strip()


class Stats:
    def __init__(self):
        self.mu = threading.Lock()
        self.lat, self.errors, self.total, self.kinds = [], [], 0, {}

    def add(self, kind, dt, err=None):
        with self.mu:
            self.total += 1
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            self.lat.append(dt)
            if err:
                self.errors.append(f"{kind}: {err}")

    def take(self):
        with self.mu:
            lat, self.lat = self.lat, []
            return lat


def client(url, demo, targets, stats, stop, seed):
    rnd = random.Random(seed)
    s = requests.Session()
    me = demo["user_id"]
    o2 = {"Authorization": "Bearer " + demo["user_access_token"]}
    app = {"Authorization": "Bearer " + demo["bearer_token"]}
    while not stop.is_set():
        r = rnd.random()
        t = rnd.choice(targets)
        params = {}
        if r < 0.25:  # OAuth 2.0 user: write
            kind, method, path, hdr = "oauth2-write", rnd.choice(["POST", "DELETE"]), None, o2
            path = f"/2/users/{me}/following" if method == "POST" else f"/2/users/{me}/following/{t}"
        elif r < 0.45:  # OAuth 1.0a user: write or read
            kind = "oauth1"
            if rnd.random() < 0.5:
                method, path = rnd.choice([("POST", f"/2/users/{me}/following"),
                                           ("DELETE", f"/2/users/{me}/following/{t}")])
            else:
                method, path, params = "GET", f"/2/users/{me}/following", {"max_results": "100"}
            hdr = {"Authorization": oauth1(method, url + path, params, demo["consumer_key"], demo["consumer_secret"],
                                           demo["access_token"], demo["access_token_secret"])}
        elif r < 0.75:  # app-only bearer: reads
            kind, method, hdr = "bearer-read", "GET", app
            path, params = rnd.choice([(f"/2/users/{demo['celebrity_user_id']}/followers",
                                        {"max_results": "100", "user.fields": "public_metrics,created_at"}),
                                       (f"/2/users/{t}", {"user.fields": "public_metrics"}),
                                       ("/2/users/by/username/demo", {}),
                                       ("/2/users", {"ids": ",".join(rnd.sample(targets, 5))})])
        else:  # OAuth 2.0 user: reads
            kind, method, hdr = "oauth2-read", "GET", o2
            path, params = rnd.choice([("/2/users/me", {}), (f"/2/users/{me}/followers", {"max_results": "50"}),
                                       (f"/2/users/{me}/following", {})])
        body = {"target_user_id": t} if method == "POST" else None
        t0 = time.monotonic()
        try:
            resp = s.request(method, url + path, params=params, json=body, headers=hdr, timeout=10)
            err = None if 200 <= resp.status_code < 300 and "errors" not in resp.json() else \
                f"{method} {path} -> {resp.status_code} {resp.text[:200]}"
        except (requests.RequestException, ValueError) as e:
            err = f"{method} {path}: {e}"
        stats.add(kind, time.monotonic() - t0, err)


def proc_sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1000 if xs else 0.0


def plot(samples):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = [s["t"] / 60 for s in samples]
    fig, ax = plt.subplots(3, 1, figsize=(7, 7), sharex=True)
    for a, key, label in zip(ax, ("rss_mib", "fds", "p99_ms"), ("RSS (MiB)", "open fds", "p99 latency (ms)")):
        a.plot(t, [s[key] for s in samples], marker="o")
        a.set_ylabel(label)
        a.set_ylim(bottom=0)
        a.grid(True, alpha=0.3)
    ax[-1].set_xlabel("minutes")
    fig.suptitle(f"followd soak: {SECONDS / 60:.0f} min, {CLIENTS} clients, OAuth 1.0a + OAuth 2.0 + bearer")
    fig.tight_layout()
    fig.savefig(PNG, dpi=80)


def main():
    db = tempfile.mkdtemp(prefix="followd-soak-")
    demo = json.loads(cli(db, "demo", "--json", "--users", "2000"))
    targets = [cli(db, "user", "add", "--username", f"soak{i}", "--name", f"Soak {i}") for i in range(20)]
    errlog = tempfile.NamedTemporaryFile(prefix="followd-soak-", suffix=".log", delete=False)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "quarantine_size_mb=16")
    srv = subprocess.Popen([BIN, "serve", "--db", db, "--listen", "127.0.0.1:0", "--threads", "2",
                            "--rate-limits", "off"], stdout=subprocess.PIPE, stderr=errlog, text=True, env=env)
    m = re.search(r"listening on (http://[0-9.]+:\d+)", srv.stdout.readline() or "")
    if not m:
        sys.exit("server did not start")
    url = m.group(1)
    stats, stop = Stats(), threading.Event()
    threads = [threading.Thread(target=client, args=(url, demo, targets, stats, stop, i)) for i in range(CLIENTS)]
    for th in threads:
        th.start()
    samples, t0 = [], time.monotonic()
    print(f"soak {SECONDS:.0f} s, sample every {INTERVAL:.0f} s, {CLIENTS} clients")
    print(f"{'t (s)':>6} {'requests':>9} {'RSS MiB':>8} {'fds':>4} {'p99 ms':>7}")
    while time.monotonic() - t0 < SECONDS - 1e-3:
        time.sleep(max(0.0, INTERVAL * (len(samples) + 1) - (time.monotonic() - t0)))
        lat = stats.take()
        rss, fds = proc_sample(srv.pid)
        s = {"t": time.monotonic() - t0, "n": len(lat), "rss_mib": rss / 1024, "fds": fds, "p99_ms": p99(lat)}
        samples.append(s)
        print(f"{s['t']:6.0f} {s['n']:9d} {s['rss_mib']:8.1f} {s['fds']:4d} {s['p99_ms']:7.1f}", flush=True)
    stop.set()
    for th in threads:
        th.join()
    srv.send_signal(signal.SIGTERM)
    rc = srv.wait(timeout=60)
    plot(samples)
    err = open(errlog.name, errors="replace").read()
    check = subprocess.run([BIN, "check", "--db", db], capture_output=True, text=True, timeout=600)

    half = len(samples) // 2
    first, second = samples[:half], samples[half:]
    problems = list(stats.errors[:10])
    if rc != 0:
        problems.append(f"server exit status {rc}")
    for word in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        if word in err:
            problems.append(f"sanitizer report in the server's stderr ({errlog.name}): {word}")
    if check.returncode != 0:
        problems.append(f"followd check failed: {(check.stdout + check.stderr)[-500:]}")
    rss_a, rss_b = second[0]["rss_mib"], max(s["rss_mib"] for s in second)
    if rss_b > rss_a * 1.10 + 4:
        problems.append(f"RSS grew {rss_a:.1f} -> {rss_b:.1f} MiB over the second half")
    if samples[-1]["fds"] > second[0]["fds"]:
        problems.append(f"fds grew {second[0]['fds']} -> {samples[-1]['fds']}")
    pa, pb = statistics.median(s["p99_ms"] for s in first), statistics.median(s["p99_ms"] for s in second)
    if pb > 2 * pa + 5:
        problems.append(f"p99 median grew {pa:.1f} -> {pb:.1f} ms")
    print(f"{stats.total} requests ({', '.join(f'{k} {v}' for k, v in sorted(stats.kinds.items()))}), "
          f"{len(stats.errors)} errors; RSS {samples[0]['rss_mib']:.1f} -> {samples[-1]['rss_mib']:.1f} MiB, "
          f"fds {samples[0]['fds']} -> {samples[-1]['fds']}, p99 median {pa:.1f} / {pb:.1f} ms; plot {PNG}")
    print(f"server exit {rc}, sanitizer reports: "
          f"{sum(err.count(w) for w in ('AddressSanitizer', 'LeakSanitizer', 'runtime error:'))}; "
          f"followd check: {'ok' if check.returncode == 0 else 'FAILED'} ({check.stdout.strip()[-200:]})")
    for p in problems:
        print("FAIL:", p)
    print("soak passed" if not problems else "soak failed")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
