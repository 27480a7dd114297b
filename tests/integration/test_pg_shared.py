"""Two followd nodes on one PostgreSQL database share every piece of short-lived state exactly: OAuth 1.0a
nonces (a request replayed to the other node is refused), request tokens, sign-in pages and verifiers,
OAuth 2.0 authorization codes (redeemed once, on any node), refresh-token rotation, and revocations (a
token revoked through one node is refused by the other at once). Skipped on LMDB (one process)."""
import json
import os
import re
import signal
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import tweepy
from requests_oauthlib import OAuth1

from conftest import PG, Server, bearer, new_user, psql, run_cli, unique, user_token
from test_oauth1_flow import app, user  # noqa: F401 (fixtures: an app, a user with a password)
from test_oauth2_flow import CB, authorize_url, exchange, get_code, pkce_pair

pytestmark = pytest.mark.skipif(not PG, reason="PostgreSQL only: state shared by several nodes")


@pytest.fixture(scope="module")
def nodes(demo):
    a = Server(demo["db"], "--rate-limits", "off")
    b = Server(demo["db"], "--rate-limits", "off")
    yield a, b
    a.stop()
    b.stop()


def oauth1_token(a_url, b_url, app, user):
    """The whole three-legged flow with each step on alternating nodes: request token on A, consent page
    shown by A and submitted to B, access token on A again."""
    h = tweepy.OAuth1UserHandler(app["consumer_key"], app["consumer_secret"], callback=CB)
    h._get_oauth_url = lambda endpoint: f"{a_url}/oauth/{endpoint}"
    url = h.get_authorization_url()
    s = requests.Session()
    page = s.get(url, allow_redirects=False)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    r = s.post(b_url + action, data=dict(fields, username=user[1], password=user[2], action="allow"),
               allow_redirects=False)
    assert r.status_code == 302, r.text
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)
    return h, q["oauth_verifier"][0]


def test_request_token_from_a_exchanged_on_b(nodes, app, user):
    a, b = nodes
    h, verifier = oauth1_token(a.url, b.url, app, user)
    h._get_oauth_url = lambda endpoint: f"{b.url}/oauth/{endpoint}"
    token, secret = h.get_access_token(verifier)
    assert token.startswith(user[0] + "-")
    # The verifier was single-use for both nodes.
    for node in (a, b):
        h._get_oauth_url = lambda endpoint, u=node.url: f"{u}/oauth/{endpoint}"
        with pytest.raises(tweepy.TweepyException):
            h.get_access_token(verifier)


def test_verifier_redeemed_once_under_a_race_across_nodes(nodes, app, user):
    a, b = nodes
    h, verifier = oauth1_token(a.url, b.url, app, user)
    rt = h.request_token

    def redeem(i):
        auth = OAuth1(app["consumer_key"], app["consumer_secret"], rt["oauth_token"], rt["oauth_token_secret"],
                      verifier=verifier)
        return requests.post(f"{(a, b)[i % 2].url}/oauth/access_token", auth=auth)

    with ThreadPoolExecutor(6) as ex:
        rs = list(ex.map(redeem, range(6)))
    assert sorted(r.status_code for r in rs) == [200] + [401] * 5, [r.text for r in rs]


def test_nonce_replayed_to_the_other_node_is_refused(nodes, app, user):
    a, b = nodes
    h, verifier = oauth1_token(a.url, b.url, app, user)
    token, secret = h.get_access_token(verifier)
    auth = OAuth1(app["consumer_key"], app["consumer_secret"], token, secret)
    a_host = urllib.parse.urlsplit(a.url).netloc
    # A signed request names its host in the signature base string: B is sent A's Host header, so
    # the signature verifies on B and only the nonce can tell the replay.
    fresh = requests.Request("GET", a.url + "/2/users/me", auth=auth).prepare()
    r = requests.get(b.url + "/2/users/me", headers={"Host": a_host, "Authorization": fresh.headers["Authorization"]})
    assert r.status_code == 200, r.text
    signed = requests.Request("GET", a.url + "/2/users/me", auth=auth).prepare()
    first = requests.Session().send(signed)
    assert first.status_code == 200 and first.json()["data"]["id"] == user[0]
    replay = requests.get(b.url + "/2/users/me",
                          headers={"Host": a_host, "Authorization": signed.headers["Authorization"]})
    assert replay.status_code == 401, replay.text
    assert replay.json()["title"] == "Unauthorized"
    again = requests.Session().send(signed)  # and on A itself, as before
    assert again.status_code == 401
    # Only digests are stored: the nonce is not in the table in clear.
    nonce = urllib.parse.unquote(
        dict(p.split("=", 1) for p in signed.headers["Authorization"].decode()[6:].split(", "))["oauth_nonce"]
        .strip('"'))
    assert psql(f"SELECT count(*) FROM fw_nonces WHERE position(convert_to('{nonce}', 'UTF8') IN key) > 0",
                url=a.db).strip() == "0"


def test_code_minted_on_a_is_redeemed_once_on_either_node(nodes, app, user):
    a, b = nodes
    code, verifier = get_code(a.url, app, user)
    r = exchange(b.url, app, code, verifier)
    assert r.status_code == 200, r.text
    tok = r.json()
    assert requests.get(a.url + "/2/users/me", headers=bearer(tok["access_token"])).json()["data"]["id"] == user[0]
    for node in (a, b):
        r = exchange(node.url, app, code, verifier)
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # Racing redeems of one code on both nodes: exactly one wins.
    for _ in range(3):
        code, verifier = get_code(b.url, app, user)
        with ThreadPoolExecutor(8) as ex:
            rs = list(ex.map(lambda i: exchange((a, b)[i % 2].url, app, code, verifier), range(8)))
        assert sorted(r.status_code for r in rs) == [200] + [400] * 7, [r.text for r in rs]


def test_consent_page_opened_on_a_is_used_once_across_nodes(nodes, app, user):
    a, b = nodes
    verifier, challenge = pkce_pair()
    s = requests.Session()
    page = s.get(authorize_url(a.url, app["client_id"], challenge), allow_redirects=False)
    assert page.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in s.cookies.get_dict().items())}
    data = dict(fields, username=user[1], password=user[2], action="allow")
    r = requests.post(b.url + action, data=data, headers=cookie, allow_redirects=False)
    assert r.status_code == 302, r.text
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)["code"][0]
    again = requests.post(a.url + action, data=data, headers=cookie, allow_redirects=False)
    assert again.status_code == 400 and "no longer valid" in again.text
    assert exchange(a.url, app, code, verifier).status_code == 200


def test_refresh_rotation_and_revocation_across_nodes(nodes, app, user):
    a, b = nodes
    code, verifier = get_code(a.url, app, user)
    tok = exchange(a.url, app, code, verifier).json()
    auth = (app["client_id"], app["client_secret"])
    r = requests.post(b.url + "/2/oauth2/token", auth=auth,
                      data=dict(grant_type="refresh_token", refresh_token=tok["refresh_token"]))
    assert r.status_code == 200, r.text
    new = r.json()
    # The old refresh token was rotated away for both nodes.
    for node in (a, b):
        r = requests.post(node.url + "/2/oauth2/token", auth=auth,
                          data=dict(grant_type="refresh_token", refresh_token=tok["refresh_token"]))
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    # Racing refreshes of one token on both nodes: exactly one rotation wins.
    def refresh(i):
        return requests.post((a, b)[i % 2].url + "/2/oauth2/token", auth=auth,
                             data=dict(grant_type="refresh_token", refresh_token=new["refresh_token"]))

    with ThreadPoolExecutor(6) as ex:
        rs = list(ex.map(refresh, range(6)))
    assert sorted(r.status_code for r in rs) == [200] + [400] * 5, [r.text for r in rs]
    new = next(r.json() for r in rs if r.status_code == 200)
    # A revocation through A is refused by B at once.
    assert requests.get(b.url + "/2/users/me", headers=bearer(new["access_token"])).status_code == 200
    r = requests.post(a.url + "/2/oauth2/revoke", auth=auth, data=dict(token=new["access_token"]))
    assert r.json() == {"revoked": True}
    assert requests.get(b.url + "/2/users/me", headers=bearer(new["access_token"])).status_code == 401


def test_app_only_invalidation_on_a_is_refused_on_b(nodes, app):
    a, b = nodes
    basic = (app["consumer_key"], app["consumer_secret"])
    tok = requests.post(a.url + "/oauth2/token", data={"grant_type": "client_credentials"}, auth=basic).json()
    assert requests.get(b.url + "/2/users/by/username/xdevelopers", headers=bearer(tok["access_token"])).status_code \
        in (200, 404)
    r = requests.post(b.url + "/oauth2/invalidate_token", data={"access_token": tok["access_token"]}, auth=basic)
    assert r.status_code == 200, r.text
    for node in (a, b):
        assert requests.get(node.url + "/2/users/by/username/xdevelopers",
                            headers=bearer(tok["access_token"])).status_code == 401
    # A new generation is minted on either node and works on both.
    fresh = requests.post(a.url + "/oauth2/token", data={"grant_type": "client_credentials"}, auth=basic).json()
    assert fresh["access_token"] != tok["access_token"]
    for node in (a, b):
        assert requests.get(node.url + "/2/users/by/username/xdevelopers",
                            headers=bearer(fresh["access_token"])).status_code in (200, 404)


TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}


def test_window_is_exact_across_two_nodes(demo):
    """200 concurrent requests spread over both nodes for a window of 50: exactly 50 pass."""
    a = Server(demo["db"], "--limits", "users.app_15min=50")
    b = Server(demo["db"], "--limits", "users.app_15min=50")
    try:
        app = json.loads(run_cli("app", "create", "--name", unique("lim"), db=demo["db"]))
        h = bearer(app["bearer_token"])

        def one(i):
            return requests.get(f"{(a, b)[i % 2].url}/2/users/{demo['user_id']}", headers=h)

        with ThreadPoolExecutor(max_workers=100) as ex:
            rs = list(ex.map(one, range(200)))
        codes = [r.status_code for r in rs]
        assert codes.count(200) == 50 and codes.count(429) == 150, codes
        assert all(r.json() == TOO_MANY for r in rs if r.status_code == 429)
        assert {r.headers["x-rate-limit-limit"] for r in rs} == {"50"}
        # Both nodes served some of the 50: the budget was leased to each.
        assert sum(r.status_code == 200 for r in rs[0::2]) > 0 and sum(r.status_code == 200 for r in rs[1::2]) > 0
        for node in (a, b):
            r = requests.get(f"{node.url}/2/users/{demo['user_id']}", headers=h)
            assert r.status_code == 429 and r.headers["x-rate-limit-remaining"] == "0"
    finally:
        a.stop()
        b.stop()


def test_daily_follow_caps_are_exact_across_two_nodes(demo):
    spec = "follow.user_day=5,follow.app_day=8,follow.user_15min=1000"
    a = Server(demo["db"], "--limits", spec)
    b = Server(demo["db"], "--limits", spec)
    try:
        app = json.loads(run_cli("app", "create", "--name", unique("cap"), db=demo["db"]))
        targets = [new_user(demo["db"], unique("t")) for _ in range(10)]
        users = []
        for _ in range(3):
            uid = new_user(demo["db"], unique("c"))
            users.append((uid, user_token(demo["db"], app["app_id"], uid)))

        def follow(args):
            i, uid, tok, t = args
            return requests.post(f"{(a, b)[i % 2].url}/2/users/{uid}/following", json={"target_user_id": t},
                                 headers=bearer(tok))

        uid, tok = users[0]
        with ThreadPoolExecutor(max_workers=10) as ex:
            rs = list(ex.map(follow, [(i, uid, tok, t) for i, t in enumerate(targets)]))
        ok = [r for r in rs if r.status_code == 200]
        assert len(ok) == 5, [r.text for r in rs]
        assert all(r.json() == TOO_MANY and r.headers["x-user-limit-24hour-remaining"] == "0"
                   for r in rs if r.status_code != 200)
        following = psql(f"SELECT count(*) FROM fw_rel WHERE src = {uid} AND state = 1", url=a.db).strip()
        assert following == "5"
        # The app's cap of 8 leaves 3 for the two other users together.
        jobs = [(i, u, k, t) for (u, k) in users[1:] for i, t in enumerate(targets[:5])]
        with ThreadPoolExecutor(max_workers=10) as ex:
            rs = list(ex.map(follow, jobs))
        assert sum(r.status_code == 200 for r in rs) == 3, [r.text for r in rs]
        assert all(r.json() == TOO_MANY for r in rs if r.status_code != 200)
    finally:
        a.stop()
        b.stop()


def test_a_node_killed_strands_at_most_its_lease(demo):
    """A node killed with -9 keeps nothing it did not report: its lease (a quarter of the window's free
    budget) counts as spent once it expires, and the other node gets exactly the rest."""
    a = Server(demo["db"], "--limits", "users.app_15min=40")
    b = Server(demo["db"], "--limits", "users.app_15min=40")
    try:
        app = json.loads(run_cli("app", "create", "--name", unique("kill"), db=demo["db"]))
        h = bearer(app["bearer_token"])
        assert requests.get(f"{a.url}/2/users/{demo['user_id']}", headers=h).status_code == 200
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        codes = [requests.get(f"{b.url}/2/users/{demo['user_id']}", headers=h).status_code for _ in range(40)]
        assert codes.count(200) == 30 and codes.count(429) == 10, codes
    finally:
        a.log.close()
        os.unlink(a.log.name)  # killed on purpose: no clean stop to check
        b.stop()


def test_limit_checks_cost_a_statement_per_lease_not_per_request(demo):
    """The steady state of a busy key costs no database statement per request: the nodes spend leases."""
    db = demo["db"]
    psql("ALTER DATABASE " + db.rsplit("/", 1)[1].split("?")[0] + " SET track_functions = 'pl'")
    a = Server(db, "--limits", "users.app_15min=100000")
    b = Server(db, "--limits", "users.app_15min=100000")
    stopped = False
    try:
        app = json.loads(run_cli("app", "create", "--name", unique("cost"), db=db))
        h = bearer(app["bearer_token"])
        before = psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'fw_lease'",
                      url=db).strip()

        def one(i):
            return requests.get(f"{(a, b)[i % 2].url}/2/users/{demo['user_id']}", headers=h).status_code

        with ThreadPoolExecutor(max_workers=16) as ex:
            codes = list(ex.map(one, range(1000)))
        assert codes.count(200) == 1000
        a.stop()
        b.stop()  # their sessions end: PostgreSQL flushes the function statistics
        stopped = True
        after = before
        for _ in range(50):
            after = psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'fw_lease'",
                         url=db).strip()
            if int(after) > int(before):
                break
            time.sleep(0.1)
        calls = int(after) - int(before)
        print(f"fw_lease statements for 1000 requests over two nodes: {calls}")
        assert 0 < calls <= 100, calls  # leases and their hand-backs, not one per request
    finally:
        if not stopped:
            a.stop()
            b.stop()
