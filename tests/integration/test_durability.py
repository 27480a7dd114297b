"""An acknowledged write survives kill -9; a killed server never leaves a half-applied follow."""
import concurrent.futures
import signal
import time

import requests

from conftest import Server, bearer, new_user, run_cli, unique, user_token


def make_actors(demo, n, prefix):
    """n new users, each with an OAuth 2.0 user token: [(id, token)]."""
    actors = []
    for _ in range(n):
        uid = new_user(demo["db"], unique(prefix))
        actors.append((uid, user_token(demo["db"], demo["app_id"], uid)))
    return actors


def kill_hard(srv):
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.proc.returncode = 0  # killed on purpose: stop() must not treat it as a crash
    srv.stop()


def test_acknowledged_follows_survive_sigkill(demo):
    db = demo["db"]
    target = new_user(db, unique("dur"))
    actors = make_actors(demo, 12, "dk")
    srv = Server(db, "--rate-limits", "off")
    acked = []

    def follow(actor):
        uid, tok = actor
        r = requests.post(f"{srv.url}/2/users/{uid}/following", json={"target_user_id": target},
                          headers=bearer(tok), timeout=10)
        if r.status_code == 200 and r.json()["data"]["following"]:
            acked.append(uid)

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as ex:
        list(ex.map(follow, actors))
    assert len(acked) == 12
    kill_hard(srv)
    assert run_cli("check", db=db).startswith("ok")
    again = Server(db, "--rate-limits", "off")
    try:
        body = requests.get(f"{again.url}/2/users/{target}/followers?max_results=100",
                            headers=bearer(demo["bearer_token"])).json()
        assert sorted(u["id"] for u in body["data"]) == sorted(acked)
    finally:
        again.stop()


def test_sigkill_during_write_storm_keeps_invariants(demo):
    db = demo["db"]
    targets = [new_user(db, unique("st")) for _ in range(3)]
    actors = make_actors(demo, 8, "sa")
    srv = Server(db, "--rate-limits", "off")
    stop = []

    def storm(i):
        uid, tok = actors[i]
        s = requests.Session()
        n = 0
        while not stop:
            t = targets[n % 3]
            try:
                if n % 2 == 0:
                    s.post(f"{srv.url}/2/users/{uid}/following", json={"target_user_id": t}, headers=bearer(tok),
                           timeout=5)
                else:
                    s.delete(f"{srv.url}/2/users/{uid}/following/{t}", headers=bearer(tok), timeout=5)
            except requests.RequestException:
                return
            n += 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        futs = [ex.submit(storm, i) for i in range(8)]
        time.sleep(1.5)
        kill_hard(srv)
        stop.append(True)
        for f in futs:
            f.result()
    out = run_cli("check", db=db)
    assert out.startswith("ok"), out


def test_burst_acknowledged_then_sigkill_keeps_every_acked_edge(demo):
    """A batch is acknowledged only after the syncer's flush: kill -9 right after the last
    acknowledgement of a concurrent burst (many batches, commits and flushes overlapping) and every
    acknowledged edge is in the database, which check finds consistent."""
    db = demo["db"]
    targets = [new_user(db, unique("bt")) for _ in range(4)]
    actors = make_actors(demo, 24, "ba")
    srv = Server(db, "--rate-limits", "off")
    acked = []

    def follow_all(actor):
        uid, tok = actor
        s = requests.Session()
        for t in targets:
            r = s.post(f"{srv.url}/2/users/{uid}/following", json={"target_user_id": t}, headers=bearer(tok),
                       timeout=10)
            if r.status_code == 200 and r.json()["data"]["following"]:
                acked.append((uid, t))

    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as ex:
        list(ex.map(follow_all, actors))
    kill_hard(srv)
    assert len(acked) == 24 * 4
    out = run_cli("check", db=db)
    assert out.startswith("ok"), out
    again = Server(db, "--rate-limits", "off")
    try:
        for t in targets:
            body = requests.get(f"{again.url}/2/users/{t}/followers?max_results=100",
                                headers=bearer(demo["bearer_token"])).json()
            assert sorted(u["id"] for u in body["data"]) == sorted(a for a, b in acked if b == t)
    finally:
        again.stop()


def test_lone_follow_is_acknowledged_without_following_traffic(demo):
    """A write with nothing after it is not left waiting for a next batch to flush it: the syncer
    flushes on its own. A liveness check with a generous bound, not a timing benchmark."""
    db = demo["db"]
    target = new_user(db, unique("lt"))
    uid = new_user(db, unique("la"))
    tok = user_token(db, demo["app_id"], uid)
    srv = Server(db, "--rate-limits", "off")
    try:
        for _ in range(2):  # the second after the writer and the syncer have gone idle
            t0 = time.monotonic()
            r = requests.post(f"{srv.url}/2/users/{uid}/following", json={"target_user_id": target},
                              headers=bearer(tok), timeout=10)
            assert r.status_code == 200 and r.json()["data"]["following"]
            assert time.monotonic() - t0 < 5
            r = requests.delete(f"{srv.url}/2/users/{uid}/following/{target}", headers=bearer(tok), timeout=10)
            assert r.status_code == 200 and not r.json()["data"]["following"]
            time.sleep(0.5)
    finally:
        srv.stop()
