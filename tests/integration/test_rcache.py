"""The response cache never hides a committed write: not the server's own, not another process's (a second followd
on the same database), not a change to the counters of a user a cached page merely shows. On LMDB the cache keeps
pages across writes that do not touch them (the change log, src/store/lmdb_changes.c); on PostgreSQL nothing is
cached. Either way every read below must match a model of the graph built from the writes acknowledged so far."""
import random
import subprocess

import requests

from conftest import BIN, Server, bearer, new_user, unique, user_token


def follow(url, tok, src, dst, on):
    if on:
        r = requests.post(f"{url}/2/users/{src}/following", json={"target_user_id": dst}, headers=bearer(tok), timeout=10)
    else:
        r = requests.delete(f"{url}/2/users/{src}/following/{dst}", headers=bearer(tok), timeout=10)
    assert r.status_code == 200, r.text


def page(url, tok, uid, kind, fields="public_metrics"):
    r = requests.get(f"{url}/2/users/{uid}/{kind}", params={"user.fields": fields, "max_results": 100},
                     headers=bearer(tok), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def random_writes_against_a_model(db, app_id, nodes, steps, seed):
    users = [new_user(db, unique("rc")) for _ in range(6)]
    toks = {u: user_token(db, app_id, u) for u in users}
    edges = set()
    rnd = random.Random(seed)

    def check(uid, kind, url):
        body = page(url, toks[uid], uid, kind)
        want = {s for (s, d) in edges if d == uid} if kind == "followers" else {d for (s, d) in edges if s == uid}
        got = body.get("data", [])
        assert {u["id"] for u in got} == want, (kind, uid, body)
        for u in got:  # the counters of every user shown, too
            m = u["public_metrics"]
            assert m["followers_count"] == sum(1 for (s, d) in edges if d == u["id"]), u
            assert m["following_count"] == sum(1 for (s, d) in edges if s == u["id"]), u
        # without counters, seen by another user: such a page survives follows by the users it lists, so each
        # one's relationship to this viewer must still be what the model says
        viewer = rnd.choice([v for v in users if v != uid])
        body = page(url, toks[viewer], uid, kind, "connection_status")
        got = body.get("data", [])
        assert {u["id"] for u in got} == want, (kind, uid, body)
        for u in got:
            cs = ({"following"} if (viewer, u["id"]) in edges else set()) | \
                 ({"followed_by"} if (u["id"], viewer) in edges else set())
            assert set(u.get("connection_status", [])) == cs, (viewer, u, edges)

    for step in range(steps):
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


def test_cached_pages_follow_writes_from_this_and_another_process(demo, server):
    other = Server(demo["db"], "--rate-limits", "off")
    try:
        random_writes_against_a_model(demo["db"], demo["app_id"], [server.url, other.url], 50, 1234)
    finally:
        other.stop()


def test_a_small_cache_replaces_entries_and_stays_right(demo):
    """--response-cache MB sizes the cache: with 1 MB per thread (256 slots) the pages of a 300-user scan evict
    one another, and every read still matches the model. Sizes out of range are refused."""
    db = demo["db"]
    nodes = [Server(db, "--rate-limits", "off", "--response-cache", "1", "--threads", "1") for _ in range(2)]
    try:
        tok = user_token(db, demo["app_id"], new_user(db, unique("rq")))
        ids = [new_user(db, unique("rq")) for _ in range(300)]
        for _ in range(2):  # more distinct pages than slots, twice over
            for uid in ids:
                assert page(nodes[0].url, tok, uid, "followers").get("meta", {}).get("result_count") == 0
        random_writes_against_a_model(db, demo["app_id"], [n.url for n in nodes], 20, 99)
    finally:
        for n in nodes:
            n.stop()
    for bad in ["0", "65537", "lots"]:
        p = subprocess.run([BIN, "serve", "--db", db, "--response-cache", bad], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 2 and "--response-cache" in p.stderr, (bad, p.stderr)


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
