#!/usr/bin/python3
"""Benchmark (not a test): API read latency on one event loop while OAuth 2.0 sign-ins (scrypt on the
work queue) run back to back. Prints the reads' median / p99 / max latency and the fastest sign-in POST
(about one scrypt run); docs/benchmarks.md records the figures. tests/integration/test_oauth_loop.py
asserts only the order (reads are answered while a sign-in is in flight), which load cannot break.
    FOLLOWD_BIN=bin/followd SIGNINS=20 bench/oauth_loop.py"""
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, os.environ.get("FOLLOWD_BIN", "bin/followd"))
SIGNINS = int(os.environ.get("SIGNINS", "20"))
CB = "http://127.0.0.1/cb"


def cli(db, *args):
    return subprocess.run([BIN, *args, "--db", db], check=True, capture_output=True, text=True).stdout


def main():
    db = tempfile.mkdtemp(prefix="followd-bench-")
    creds = json.loads(cli(db, "demo", "--json", "--users", "1000"))
    app = json.loads(cli(db, "app", "create", "--name", "bench", "--access-level", "enterprise",
                         "--redirect-uri", CB))
    name, pw = "bench" + secrets.token_hex(4), "pw-" + secrets.token_urlsafe(12)
    uid = cli(db, "user", "add", "--username", name, "--name", name).strip()
    cli(db, "user", "passwd", uid, "--password", pw)
    srv = subprocess.Popen([BIN, "serve", "--db", db, "--listen", "127.0.0.1:0", "--threads", "1",
                            "--rate-limits", "off"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        api = re.search(r"http://[0-9.]+:\d+", srv.stdout.readline()).group(0)
        url, hdr = f"{api}/2/users/{creds['user_id']}", {"Authorization": "Bearer " + creds["bearer_token"]}
        reader = requests.Session()
        reader.get(url, headers=hdr).raise_for_status()  # connection open, caches warm
        done, posts = threading.Event(), []

        def sign_in():
            try:
                for _ in range(SIGNINS):
                    s = requests.Session()
                    page = s.get(f"{api}/i/oauth2/authorize", params=dict(
                        response_type="code", client_id=app["client_id"], redirect_uri=CB, scope="users.read",
                        state="s", code_challenge="x" * 43, code_challenge_method="plain"))
                    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
                    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
                    r = s.post(api + action, data=dict(fields, username=name, password=pw, action="allow"),
                               allow_redirects=False)
                    assert r.status_code == 302, r.text
                    posts.append(r.elapsed.total_seconds())
            finally:
                done.set()

        t = threading.Thread(target=sign_in)
        start = time.monotonic()
        t.start()
        lat = []
        while not done.is_set():
            t0 = time.monotonic()
            reader.get(url, headers=hdr).raise_for_status()
            lat.append(time.monotonic() - t0)
            time.sleep(0.002)
        t.join()
        elapsed = time.monotonic() - start
        lat.sort()
        ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
        print(f"{len(lat)} reads during {SIGNINS} sign-ins ({elapsed:.2f} s): median {ms(lat[len(lat) // 2])}, "
              f"p99 {ms(lat[len(lat) * 99 // 100])}, max {ms(lat[-1])}; fastest sign-in POST {ms(min(posts))}")
    finally:
        srv.terminate()
        srv.wait()
        subprocess.run(["rm", "-rf", db])
    return 0


if __name__ == "__main__":
    sys.exit(main())
