#!/usr/bin/python3
"""Crash trials: kill -9 the release server at a random moment under a mixed write load.

Each trial copies a prepared LMDB database (fresh per trial), starts bin/followd,
runs follow / unfollow / accept / decline from several client threads with
OAuth 2.0 user tokens and the app bearer, records every acknowledged write with
its send and answer times, kills the server with SIGKILL at a random moment,
then checks after a restart:
  - every pair's state is one the acknowledged history allows: the state the
    last acknowledged write on the pair reported, or the result of a write on
    the same pair that overlapped it or was never answered;
  - `followd check` passes;
  - followers_count / following_count equal the lengths of the lists.
Prints "N/N trials passed"; exits non-zero otherwise.
  CRASH_TRIALS=20  CRASH_MAX_SECONDS=4 (longest load before the kill)  FOLLOWD_BIN=bin/followd
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, os.environ.get("FOLLOWD_BIN", "bin/followd"))
TRIALS = int(os.environ.get("CRASH_TRIALS", "20"))
MAX_S = float(os.environ.get("CRASH_MAX_SECONDS", "4"))
ACTORS, PUBLIC_T, PROTECTED_T = 6, 2, 2
NONE, PENDING, FOLLOWING = "none", "pending", "following"


def cli(db, *args):
    p = subprocess.run([BIN, *args, "--db", db], capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise RuntimeError(f"followd {' '.join(args)}: {p.stderr}")
    return p.stdout.strip()


def prepare(tmpl):
    """Demo database plus actors, public and protected targets, each with a user token."""
    demo = json.loads(cli(tmpl, "demo", "--json", "--users", "200"))
    app = demo["app_id"]
    users = {}
    for kind, n, flags in (("a", ACTORS, []), ("p", PUBLIC_T, []), ("q", PROTECTED_T, ["--protected"])):
        for i in range(n):
            name = f"ct{kind}{i}"
            uid = cli(tmpl, "user", "add", "--username", name, "--name", name, *flags)
            users[uid] = {"kind": kind, "token": cli(tmpl, "token", "user", "--app", app, "--user", uid)}
    return demo, users


class Server:
    def __init__(self, db):
        self.proc = subprocess.Popen([BIN, "serve", "--db", db, "--listen", "127.0.0.1:0", "--threads", "2",
                                      "--rate-limits", "off"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        m = re.search(r"listening on (http://[0-9.]+:\d+)", self.proc.stdout.readline() or "")
        if not m:
            self.proc.kill()
            raise RuntimeError("server did not start")
        self.url = m.group(1)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def possible(op):
    """States a write on a pair can leave behind when it took effect."""
    return {"follow_pub": {FOLLOWING}, "follow_prot": {PENDING, FOLLOWING}, "unfollow": {NONE},
            "accept": {FOLLOWING}, "decline": {NONE}}[op]


def load(url, users, log, stop, seed):
    """One client thread: its own session and a random mix of writes."""
    rnd = random.Random(seed)
    s = requests.Session()
    actors = [u for u, v in users.items() if v["kind"] == "a"]
    pub = [u for u, v in users.items() if v["kind"] == "p"]
    prot = [u for u, v in users.items() if v["kind"] == "q"]
    while not stop.is_set():
        r = rnd.random()
        if r < 0.75:
            a = rnd.choice(actors)
            t = rnd.choice(pub + prot)
            hdr = {"Authorization": "Bearer " + users[a]["token"]}
            if rnd.random() < 0.55:
                op = "follow_prot" if t in prot else "follow_pub"
                req = ("POST", f"{url}/2/users/{a}/following", {"target_user_id": t})
            else:
                op = "unfollow"
                req = ("DELETE", f"{url}/2/users/{a}/following/{t}", None)
        else:
            t = rnd.choice(prot)
            a = rnd.choice(actors)
            op = rnd.choice(["accept", "decline"])
            hdr = {"Authorization": "Bearer " + users[t]["token"]}
            req = ("POST", f"{url}/2/users/{t}/follow_requests/{a}/{op}", None)
        ent = {"pair": (a, t), "op": op, "t0": time.monotonic(), "t1": None, "state": None}
        log.append(ent)
        try:
            resp = s.request(req[0], req[1], json=req[2], headers=hdr, timeout=5)
        except requests.RequestException:
            return  # the server died: this write is unacknowledged
        ent["t1"] = time.monotonic()
        body = resp.json() if resp.status_code == 200 else {}
        if "data" not in body:
            ent["state"] = "refused"  # an answered no-op (e.g. accept with nothing pending)
            continue
        d = body["data"]
        if op.startswith("follow"):
            ent["state"] = FOLLOWING if d.get("following") else PENDING if d.get("pending_follow") else NONE
        elif op == "unfollow":
            ent["state"] = NONE if not d.get("following") else FOLLOWING
        elif op == "accept":
            ent["state"] = FOLLOWING
        else:
            ent["state"] = NONE


def allowed(ents):
    """The set of final states the history of one pair permits."""
    acked = [e for e in ents if e["t1"] is not None and e["state"] in (NONE, PENDING, FOLLOWING)]
    if not acked:
        out = {NONE}
        for e in ents:
            if e["state"] != "refused":
                out |= possible(e["op"])
        return out
    last = max(acked, key=lambda e: e["t1"])
    out = {last["state"]}
    for e in ents:
        if e is not last and e["state"] != "refused" and (e["t1"] is None or e["t1"] > last["t0"]):
            out |= possible(e["op"])
    return out


def list_ids(s, url, tok, path):
    ids, token = [], None
    while True:
        q = "?max_results=1000" + (f"&pagination_token={token}" if token else "")
        body = s.get(f"{url}{path}{q}", headers={"Authorization": "Bearer " + tok}, timeout=10).json()
        ids += [u["id"] for u in body.get("data", [])]
        token = body.get("meta", {}).get("next_token")
        if not token:
            return ids


def verify(db, demo, users, log):
    problems = []
    chk = subprocess.run([BIN, "check", "--db", db], capture_output=True, text=True, timeout=300)
    if chk.returncode:
        problems.append("followd check: " + chk.stdout + chk.stderr)
    srv = Server(db)
    try:
        s = requests.Session()
        state = {}
        for t, v in users.items():
            if v["kind"] == "a":
                continue
            for a in list_ids(s, srv.url, v["token"], f"/2/users/{t}/followers"):
                state[(a, t)] = FOLLOWING
            if v["kind"] == "q":
                for a in list_ids(s, srv.url, v["token"], f"/2/users/{t}/follow_requests/incoming"):
                    if (a, t) in state:
                        problems.append(f"{a}->{t} both following and pending")
                    state[(a, t)] = PENDING
        pairs = {}
        for e in log:
            pairs.setdefault(e["pair"], []).append(e)
        for pair, ents in pairs.items():
            got = state.get(pair, NONE)
            ok = allowed(ents)
            if got not in ok:
                problems.append(f"{pair[0]}->{pair[1]} is {got}, history allows {sorted(ok)}")
        ids = ",".join(users)
        body = s.get(f"{srv.url}/2/users?ids={ids}&user.fields=public_metrics",
                     headers={"Authorization": "Bearer " + demo["bearer_token"]}, timeout=10).json()
        for u in body["data"]:
            m = u["public_metrics"]
            own = users[u["id"]]["token"]  # a protected user's lists are visible to itself
            fol = list_ids(s, srv.url, own, f"/2/users/{u['id']}/followers")
            ing = list_ids(s, srv.url, own, f"/2/users/{u['id']}/following")
            if m["followers_count"] != len(fol) or m["following_count"] != len(ing):
                problems.append(f"{u['id']}: counters {m['followers_count']}/{m['following_count']} "
                                f"lists {len(fol)}/{len(ing)}")
    finally:
        srv.stop()
    return problems


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} not built (make bin/followd)")
    work = tempfile.mkdtemp(prefix="followd-crash-")
    tmpl = os.path.join(work, "template")
    os.mkdir(tmpl)
    demo, users = prepare(tmpl)
    rnd = random.Random(int(os.environ.get("CRASH_SEED", str(int(time.time())))))
    passed, acked_total = 0, 0
    t_start = time.monotonic()
    for n in range(1, TRIALS + 1):
        db = os.path.join(work, f"trial{n}")
        shutil.copytree(tmpl, db)
        srv = Server(db)
        log, stop = [], threading.Event()
        threads = [threading.Thread(target=load, args=(srv.url, users, log, stop, rnd.random()))
                   for _ in range(6)]
        for t in threads:
            t.start()
        delay = rnd.uniform(0.2, MAX_S)
        time.sleep(delay)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        acked = sum(1 for e in log if e["state"] in (NONE, PENDING, FOLLOWING))
        acked_total += acked
        problems = verify(db, demo, users, log)
        if problems:
            print(f"trial {n}: FAILED after {delay:.2f} s, {acked} acknowledged writes")
            for p in problems[:20]:
                print("   ", p)
        else:
            passed += 1
            print(f"trial {n}: ok (killed after {delay:.2f} s, {acked} acknowledged writes, "
                  f"{len(log) - sum(1 for e in log if e['t1'] is not None)} in flight)")
        shutil.rmtree(db)
    shutil.rmtree(work)
    print(f"{acked_total} acknowledged writes in {time.monotonic() - t_start:.0f} s")
    print(f"{passed}/{TRIALS} trials passed")
    sys.exit(0 if passed == TRIALS else 1)


if __name__ == "__main__":
    main()
