"""Many clients following and unfollowing the same accounts at once."""
import concurrent.futures
import random

import requests

from conftest import bearer, new_user, run_cli, unique, user_token


def test_concurrent_follow_unfollow_keeps_invariants(api, demo):
    targets = [new_user(demo["db"], unique("ct")) for _ in range(4)]
    targets.append(new_user(demo["db"], unique("cp"), "--protected"))
    actors = []
    for _ in range(24):
        uid = new_user(demo["db"], unique("ca"))
        actors.append((uid, user_token(demo["db"], demo["app_id"], uid)))

    def worker(seed):
        rnd = random.Random(seed)
        s = requests.Session()
        uid, tok = actors[seed % len(actors)]
        for _ in range(40):
            t = rnd.choice(targets)
            if rnd.random() < 0.6:
                r = s.post(f"{api}/2/users/{uid}/following", json={"target_user_id": t}, headers=bearer(tok))
            else:
                r = s.delete(f"{api}/2/users/{uid}/following/{t}", headers=bearer(tok))
            assert r.status_code == 200, r.text
        return True

    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as ex:
        assert all(ex.map(worker, range(48)))
    out = run_cli("check", db=demo["db"])
    assert "ok" in out
    h = bearer(demo["bearer_token"])
    for t in targets[:4]:
        n = requests.get(f"{api}/2/users/{t}?user.fields=public_metrics", headers=h).json()["data"][
            "public_metrics"]["followers_count"]
        listed = requests.get(f"{api}/2/users/{t}/followers?max_results=1000", headers=h).json()["meta"][
            "result_count"]
        assert n == listed
