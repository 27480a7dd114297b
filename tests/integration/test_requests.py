"""Follow requests to protected accounts: list, accept, decline, withdraw; account state changes."""
import concurrent.futures

import requests

from conftest import bearer, new_user, run_cli, unique, user_token


def mk(demo, *flags):
    uid = new_user(demo["db"], unique("r"), *flags)
    return uid, user_token(demo["db"], demo["app_id"], uid)


def follow(api, tok, src, dst):
    return requests.post(f"{api}/2/users/{src}/following", json={"target_user_id": dst}, headers=bearer(tok)).json()


def listing(api, tok, uid, path):
    return requests.get(f"{api}/2/users/{uid}/{path}?user.fields=connection_status", headers=bearer(tok)).json()


def metrics(api, demo, uid):
    pm = requests.get(f"{api}/2/users/{uid}?user.fields=public_metrics", headers=bearer(demo["bearer_token"])).json()[
        "data"]["public_metrics"]
    return pm["followers_count"], pm["following_count"]


def test_request_accept_then_unfollow(api, demo):
    p, ptok = mk(demo, "--protected")
    a, atok = mk(demo)
    b, btok = mk(demo)
    assert follow(api, atok, a, p)["data"] == {"following": False, "pending_follow": True}
    assert follow(api, btok, b, p)["data"]["pending_follow"] is True
    inc = listing(api, ptok, p, "follow_requests/incoming")
    assert [u["id"] for u in inc["data"]] == [b, a] and inc["meta"]["result_count"] == 2
    assert inc["data"][0]["connection_status"] == ["follow_request_received"]
    out = listing(api, atok, a, "follow_requests/outgoing")
    assert [u["id"] for u in out["data"]] == [p]
    # Only the owner may list or answer.
    r = requests.get(f"{api}/2/users/{p}/follow_requests/incoming", headers=bearer(atok))
    assert r.status_code == 403
    r = requests.post(f"{api}/2/users/{p}/follow_requests/{a}/accept", headers=bearer(atok))
    assert r.status_code == 403
    r = requests.post(f"{api}/2/users/{p}/follow_requests/{a}/accept", headers=bearer(ptok))
    assert r.status_code == 200 and r.json() == {"data": {"accepted": True}}
    assert metrics(api, demo, p) == (1, 0) and metrics(api, demo, a) == (0, 1)
    assert [u["id"] for u in listing(api, ptok, p, "followers")["data"]] == [a]
    # An accepted follower now sees the protected lists; a pending one does not.
    assert "data" in listing(api, atok, p, "followers")
    assert "errors" in listing(api, btok, p, "followers")
    # Answering again: not a pending request any more.
    again = requests.post(f"{api}/2/users/{p}/follow_requests/{a}/accept", headers=bearer(ptok)).json()
    assert again["errors"][0]["type"] == "https://api.twitter.com/2/problems/resource-not-found"
    assert again["errors"][0]["resource_type"] == "follow_request"
    assert follow(api, atok, a, p)["data"] == {"following": True, "pending_follow": False}
    requests.delete(f"{api}/2/users/{a}/following/{p}", headers=bearer(atok))
    assert metrics(api, demo, p) == (0, 0)
    assert run_cli("check", db=demo["db"]).startswith("ok")


def test_decline_and_withdraw(api, demo):
    p, ptok = mk(demo, "--protected")
    a, atok = mk(demo)
    b, btok = mk(demo)
    follow(api, atok, a, p)
    follow(api, btok, b, p)
    r = requests.post(f"{api}/2/users/{p}/follow_requests/{a}/decline", headers=bearer(ptok))
    assert r.json() == {"data": {"declined": True}}
    requests.delete(f"{api}/2/users/{b}/following/{p}", headers=bearer(btok))
    assert listing(api, ptok, p, "follow_requests/incoming") == {"meta": {"result_count": 0}}
    r = requests.post(f"{api}/2/users/{p}/follow_requests/{b}/accept", headers=bearer(ptok)).json()
    assert "errors" in r
    r = requests.post(f"{api}/2/users/{p}/follow_requests/999999/decline", headers=bearer(ptok)).json()
    assert "errors" in r
    assert metrics(api, demo, p) == (0, 0)


def test_protected_to_public_accepts_pending(api, demo):
    p, ptok = mk(demo, "--protected")
    a, atok = mk(demo)
    b, btok = mk(demo)
    follow(api, atok, a, p)
    follow(api, btok, b, p)
    run_cli("user", "set", p, "--public", db=demo["db"])
    assert metrics(api, demo, p) == (2, 0)
    assert sorted(u["id"] for u in listing(api, ptok, p, "followers")["data"]) == sorted([a, b])
    # Public -> protected keeps followers.
    run_cli("user", "set", p, "--protected", db=demo["db"])
    assert metrics(api, demo, p) == (2, 0)
    assert run_cli("check", db=demo["db"]).startswith("ok")


def test_suspend_hides_and_restores(api, demo):
    t, ttok = mk(demo)
    a, atok = mk(demo)
    b, btok = mk(demo)
    follow(api, atok, a, t)
    follow(api, btok, b, t)
    before = listing(api, ttok, t, "followers")
    run_cli("user", "set", a, "--suspended", db=demo["db"])
    during = listing(api, ttok, t, "followers")
    assert [u["id"] for u in during["data"]] == [b]
    assert "errors" in requests.get(f"{api}/2/users/{a}/following", headers=bearer(demo["bearer_token"])).json()
    # The suspended user cannot act.
    r = requests.get(f"{api}/2/users/me", headers=bearer(atok))
    assert r.status_code == 403 and r.json()["type"] == "https://api.twitter.com/2/problems/user-suspended"
    run_cli("user", "set", a, "--unsuspended", db=demo["db"])
    assert listing(api, ttok, t, "followers") == before


def test_delete_user_fixes_counters(api, demo):
    t, ttok = mk(demo)
    p, ptok = mk(demo, "--protected")
    a, atok = mk(demo)
    follow(api, atok, a, t)
    follow(api, atok, a, p)
    follow(api, ttok, t, a)
    run_cli("user", "delete", a, db=demo["db"])
    assert metrics(api, demo, t) == (0, 0)
    assert listing(api, ptok, p, "follow_requests/incoming") == {"meta": {"result_count": 0}}
    assert requests.get(f"{api}/2/users/me", headers=bearer(atok)).status_code == 401
    assert run_cli("check", db=demo["db"]).startswith("ok")


def test_races_accept_withdraw_unfollow(api, demo):
    """Accept racing withdraw, and accept racing unfollow: one consistent end state each time."""
    for round_ in range(6):
        p, ptok = mk(demo, "--protected")
        reqs = [mk(demo) for _ in range(6)]
        for uid, tok in reqs:
            follow(api, tok, uid, p)

        def accept(i):
            return requests.post(f"{api}/2/users/{p}/follow_requests/{reqs[i][0]}/accept", headers=bearer(ptok))

        def withdraw(i):
            return requests.delete(f"{api}/2/users/{reqs[i][0]}/following/{p}", headers=bearer(reqs[i][1]))

        with concurrent.futures.ThreadPoolExecutor(max_workers=12) as ex:
            futs = [ex.submit(accept, i) for i in range(6)] + [ex.submit(withdraw, i) for i in range(6)]
            assert all(f.result().status_code == 200 for f in futs)
        followers = listing(api, ptok, p, "followers").get("data", [])
        pending = listing(api, ptok, p, "follow_requests/incoming").get("data", [])
        assert pending == []
        assert metrics(api, demo, p)[0] == len(followers)
    assert run_cli("check", db=demo["db"]).startswith("ok")


def test_race_protect_vs_follow(api, demo):
    """Follow requests racing the account turning public: every follower ends following, none pending."""
    p, ptok = mk(demo, "--protected")
    actors = [mk(demo) for _ in range(10)]

    def go(i):
        uid, tok = actors[i]
        return follow(api, tok, uid, p)["data"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=11) as ex:
        futs = [ex.submit(go, i) for i in range(10)]
        flip = ex.submit(run_cli, "user", "set", p, "--public", db=demo["db"])
        answers = [f.result() for f in futs]
        flip.result()
    assert all(a["following"] != a["pending_follow"] for a in answers)
    assert listing(api, ptok, p, "follow_requests/incoming") == {"meta": {"result_count": 0}}
    followers = listing(api, ptok, p, "followers")["data"]
    assert sorted(u["id"] for u in followers) == sorted(uid for uid, _ in actors)
    assert metrics(api, demo, p) == (10, 0)
    assert run_cli("check", db=demo["db"]).startswith("ok")


def test_answering_own_request_is_a_client_error(api, demo):
    """accept/decline with the caller's own id as requester: 400 invalid-request, never a 5xx, no state change."""
    p, ptok = mk(demo, "--protected")
    a, atok = mk(demo)
    assert follow(api, atok, a, p)["data"]["pending_follow"] is True
    for verb in ("accept", "decline"):
        r = requests.post(f"{api}/2/users/{p}/follow_requests/{p}/{verb}", headers=bearer(ptok))
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["title"] == "Invalid Request"
        assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
        assert body["errors"] == [{"parameters": {"requester_id": [p]},
                                   "message": f"You cannot {verb} a follow request from yourself."}]
    inc = listing(api, ptok, p, "follow_requests/incoming")
    assert [u["id"] for u in inc["data"]] == [a]
    assert metrics(api, demo, p) == (0, 0)
