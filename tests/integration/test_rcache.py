"""The response cache never hides a committed write: not the server's own, not another process's (a second followd
on the same database), not a change to the counters of a user a cached page merely shows. On LMDB the cache keeps
pages across writes that do not touch them (the change log, src/store/lmdb_changes.c); on PostgreSQL nothing is
cached. Either way every read below must match a model of the graph built from the writes acknowledged so far."""
import random

import requests

from conftest import Server, bearer, new_user, unique, user_token


def follow(url, tok, src, dst, on):
    if on:
        r = requests.post(f"{url}/2/users/{src}/following", json={"target_user_id": dst}, headers=bearer(tok), timeout=10)
    else:
        r = requests.delete(f"{url}/2/users/{src}/following/{dst}", headers=bearer(tok), timeout=10)
    assert r.status_code == 200, r.text


def page(url, tok, uid, kind):
    r = requests.get(f"{url}/2/users/{uid}/{kind}", params={"user.fields": "public_metrics", "max_results": 100},
                     headers=bearer(tok), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_cached_pages_follow_writes_from_this_and_another_process(demo, server):
    db = demo["db"]
    other = Server(db, "--rate-limits", "off")
    try:
        users = [new_user(db, unique("rc")) for _ in range(6)]
        toks = {u: user_token(db, demo["app_id"], u) for u in users}
        nodes = [server.url, other.url]
        edges = set()
        rnd = random.Random(1234)

        def check(uid, kind, url):
            body = page(url, toks[uid], uid, kind)
            want = {s for (s, d) in edges if d == uid} if kind == "followers" else {d for (s, d) in edges if s == uid}
            got = body.get("data", [])
            assert {u["id"] for u in got} == want, (kind, uid, body)
            for u in got:  # the counters of every user shown, too
                m = u["public_metrics"]
                assert m["followers_count"] == sum(1 for (s, d) in edges if d == u["id"]), u
                assert m["following_count"] == sum(1 for (s, d) in edges if s == u["id"]), u

        for step in range(50):
            # read everything twice on both nodes first, so that the caches hold each page
            for uid in rnd.sample(users, 3):
                for url in nodes:
                    for kind in ("followers", "following"):
                        check(uid, kind, url)
                        check(uid, kind, url)
            src, dst = rnd.sample(users, 2)
            on = (src, dst) not in edges
            follow(rnd.choice(nodes), toks[src], src, dst, on)
            (edges.add if on else edges.discard)((src, dst))
        for uid in users:
            for url in nodes:
                check(uid, "followers", url)
                check(uid, "following", url)
    finally:
        other.stop()


def test_a_page_stays_right_when_only_a_shown_user_changes(demo, server):
    """A's followers page shows B. B following C changes B's following_count, which the cached page shows."""
    db = demo["db"]
    other = Server(db, "--rate-limits", "off")
    try:
        a, b, c = (new_user(db, unique("rs")) for _ in range(3))
        tb = user_token(db, demo["app_id"], b)
        follow(server.url, tb, b, a, True)
        first = page(server.url, tb, a, "followers")
        assert first["data"][0]["public_metrics"]["following_count"] == 1
        assert page(server.url, tb, a, "followers") == first
        follow(other.url, tb, b, c, True)  # another process
        assert page(server.url, tb, a, "followers")["data"][0]["public_metrics"]["following_count"] == 2
    finally:
        other.stop()
