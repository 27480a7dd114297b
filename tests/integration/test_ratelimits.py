"""Rate limits, daily caps and access levels (server started with limits on and a test clock)."""
import concurrent.futures
import json
import time
import types

import pytest
import requests
import tweepy

from conftest import Server, bearer, new_user, run_cli, unique, user_token
from test_tweepy import redirect


@pytest.fixture(scope="module")
def limited(demo):
    s = Server(demo["db"], "--test-clock", "--limits",
               "follow.user_day=4,follow.app_day=10,follow.user_15min=1000,unfollow.app_day=3,"
               "users.app_15min=50")
    yield s
    s.stop()


def advance(srv, seconds):
    r = requests.post(f"{srv.url}/_test/clock", json={"advance_seconds": seconds})
    assert r.status_code == 200


def test_window_limit_headers_and_reset(limited, demo):
    app = json.loads(run_cli("app", "create", "--name", unique("win"), db=demo["db"]))
    h = bearer(app["bearer_token"])
    url = f"{limited.url}/2/users/{demo['user_id']}/followers"
    first = requests.get(url, headers=h)
    assert first.status_code == 200
    assert first.headers["x-rate-limit-limit"] == "15"
    assert first.headers["x-rate-limit-remaining"] == "14"
    reset = int(first.headers["x-rate-limit-reset"])
    assert 890 <= reset - time.time() <= 905
    assert first.headers["x-access-level"] == "read"
    for i in range(14):
        assert requests.get(url, headers=h).status_code == 200
    over = requests.get(url, headers=h)
    assert over.status_code == 429
    assert over.headers["content-type"] == "application/problem+json"
    assert over.json() == {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                           "status": 429}
    assert over.headers["x-rate-limit-remaining"] == "0"
    # Another endpoint has its own window.
    assert requests.get(f"{limited.url}/2/users/{demo['user_id']}/following", headers=h).status_code == 200
    advance(limited, 901)
    again = requests.get(url, headers=h)
    assert again.status_code == 200 and again.headers["x-rate-limit-remaining"] == "14"


def test_daily_caps_seed_example(limited, demo):
    """The seed's example scaled down: user cap 4, app cap 10 (seed: 400 and 1,000)."""
    app = json.loads(run_cli("app", "create", "--name", unique("cap"), db=demo["db"]))
    targets = [new_user(demo["db"], unique("t")) for _ in range(6)]
    users = []
    for _ in range(5):
        uid = new_user(demo["db"], unique("c"))
        users.append((uid, user_token(demo["db"], app["app_id"], uid)))

    def follow(uid, tok, t):
        return requests.post(f"{limited.url}/2/users/{uid}/following", json={"target_user_id": t},
                             headers=bearer(tok))

    # Two users reach their own cap of 4.
    for uid, tok in users[:2]:
        for i, t in enumerate(targets[:4]):
            r = follow(uid, tok, t)
            assert r.status_code == 200, r.text
            assert r.headers["x-user-limit-24hour-limit"] == "4"
            assert r.headers["x-user-limit-24hour-remaining"] == str(3 - i)
            assert r.headers["x-app-limit-24hour-limit"] == "10"
        r = follow(uid, tok, targets[4])
        assert r.status_code == 429 and r.headers["x-user-limit-24hour-remaining"] == "0"
    # The other three share the remaining 2.
    ok = 0
    for uid, tok in users[2:]:
        for t in targets[:2]:
            r = follow(uid, tok, t)
            ok += r.status_code == 200
            if r.status_code == 429:
                assert r.headers["x-app-limit-24hour-remaining"] == "0"
    assert ok == 2
    # A no-op follow (already following) does not spend the cap: refunded.
    advance(limited, 86401)
    uid, tok = users[0]
    r = follow(uid, tok, targets[0])
    assert r.status_code == 200 and r.headers["x-user-limit-24hour-remaining"] == "4"


def test_concurrent_window_is_exact(limited, demo):
    app = json.loads(run_cli("app", "create", "--name", unique("conc"), db=demo["db"]))
    h = bearer(app["bearer_token"])
    url = f"{limited.url}/2/users/{demo['user_id']}"

    def one(_):
        return requests.get(url, headers=h).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as ex:
        codes = list(ex.map(one, range(200)))
    assert codes.count(200) == 50 and codes.count(429) == 150


def test_access_levels(limited, demo):
    free = json.loads(run_cli("app", "create", "--name", unique("free"), "--access-level", "free", db=demo["db"]))
    r = requests.get(f"{limited.url}/2/users/{demo['user_id']}/followers", headers=bearer(free["bearer_token"]))
    assert r.status_code == 403
    body = r.json()
    assert body["reason"] == "client-not-enrolled" and body["client_id"] == free["app_id"]
    assert body["type"] == "https://api.twitter.com/2/problems/client-forbidden"
    assert body["registration_url"] and body["required_enrollment"]
    assert requests.get(f"{limited.url}/2/users/{demo['user_id']}",
                        headers=bearer(free["bearer_token"])).status_code == 200
    alone = json.loads(run_cli("app", "create", "--name", unique("alone"), "--standalone", db=demo["db"]))
    r = requests.get(f"{limited.url}/2/users/{demo['user_id']}", headers=bearer(alone["bearer_token"]))
    assert r.status_code == 403 and r.json()["reason"] == "client-not-enrolled"


def test_tweepy_wait_on_rate_limit(demo, monkeypatch):
    """tweepy's wait_on_rate_limit sleeps until x-rate-limit-reset; its sleep moves the server's test clock
    instead of waiting the window out in real time."""
    srv = Server(demo["db"], "--test-clock", "--limits", "users.app_15min=2")
    try:
        slept = []

        def sleep(seconds):
            slept.append(seconds)
            advance(srv, seconds)

        monkeypatch.setattr(tweepy.client, "time", types.SimpleNamespace(time=time.time, sleep=sleep))
        app = json.loads(run_cli("app", "create", "--name", unique("wait"), db=demo["db"]))
        client = redirect(tweepy.Client(bearer_token=app["bearer_token"], wait_on_rate_limit=True), srv.url)
        for _ in range(3):
            assert client.get_user(id=demo["user_id"]).data.username == "demo"
        # the third call found the window spent and waited for its reset (15 minutes, plus tweepy's 1 s)
        assert len(slept) == 1 and 890 <= slept[0] <= 905, slept
        other = json.loads(run_cli("app", "create", "--name", unique("nowait"), db=demo["db"]))
        nowait = redirect(tweepy.Client(bearer_token=other["bearer_token"]), srv.url)
        nowait.get_user(id=demo["user_id"])
        nowait.get_user(id=demo["user_id"])
        with pytest.raises(tweepy.TooManyRequests):
            nowait.get_user(id=demo["user_id"])
    finally:
        srv.stop()


def test_test_clock_rejects_bad_bodies(limited):
    for body in ['{"advance_seconds": -5}', '{"advance_seconds": "5"}', "nope", '{"advance_seconds": 1, "x": 2}']:
        r = requests.post(f"{limited.url}/_test/clock", data=body)
        assert r.status_code == 400, body
        assert r.json()["type"] == "https://api.twitter.com/2/problems/invalid-request"
