"""An acknowledged write survives kill -9; a killed server never leaves a half-applied follow."""
import concurrent.futures
import signal

import requests

from conftest import Server, bearer, new_user, run_cli, unique, user_token


def test_acknowledged_follows_survive_sigkill(demo):
    db = demo["db"]
    target = new_user(db, unique("dur"))
    actors = []
    for _ in range(12):
        uid = new_user(db, unique("dk"))
        actors.append((uid, user_token(db, demo["app_id"], uid)))
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
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.proc.returncode = 0  # killed on purpose: stop() must not treat it as a crash
    srv.stop()
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
    actors = []
    for _ in range(8):
        uid = new_user(db, unique("sa"))
        actors.append((uid, user_token(db, demo["app_id"], uid)))
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
        import time
        time.sleep(1.5)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        stop.append(True)
        for f in futs:
            f.result()
    srv.proc.returncode = 0
    srv.stop()
    out = run_cli("check", db=db)
    assert out.startswith("ok"), out
