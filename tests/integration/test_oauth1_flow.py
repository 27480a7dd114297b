"""OAuth 1.0a three-legged flow with tweepy's OAuth1UserHandler: request token, consent page
(completed with requests and the page's CSRF token), access token, then follow/unfollow."""
import re
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import tweepy
from requests_oauthlib import OAuth1

from conftest import Server, run_cli
from test_oauth2_flow import (CB, authorize_url, consent, exchange, form_fields, get_code, make_app, pkce_pair,
                              user_with_password)
from test_tweepy import redirect


def handler(api, app, callback=CB):
    h = tweepy.OAuth1UserHandler(app["consumer_key"], app["consumer_secret"], callback=callback)
    h._get_oauth_url = lambda endpoint: f"{api}/oauth/{endpoint}"
    return h


@pytest.fixture(scope="module")
def app(demo):
    return make_app(demo["db"])


@pytest.fixture(scope="module")
def user(demo):
    return user_with_password(demo["db"])


def approve(api, h, user, signin=False):
    url = h.get_authorization_url(signin_with_twitter=signin)
    assert url.startswith(api + ("/oauth/authenticate?" if signin else "/oauth/authorize?"))
    r = consent(requests.Session(), url, user[1], user[2])
    assert r.status_code == 302, r.text
    loc = r.headers["location"]
    assert loc.startswith(CB + "?")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    assert q["oauth_token"] == [h.request_token["oauth_token"]]
    return q["oauth_verifier"][0]


@pytest.mark.parametrize("signin", [False, True])
def test_three_legged_then_follow(api, demo, app, user, signin):
    h = handler(api, app)
    verifier = approve(api, h, user, signin)
    token, secret = h.get_access_token(verifier)
    assert token.startswith(user[0] + "-")
    client = redirect(tweepy.Client(consumer_key=app["consumer_key"], consumer_secret=app["consumer_secret"],
                                    access_token=token, access_token_secret=secret), api)
    me = client.get_me()
    assert me.data.username == user[1]
    target = demo["public_user_id"]
    assert client.follow_user(target).data == {"following": True, "pending_follow": False}
    assert client.unfollow_user(target).data == {"following": False}


def test_access_token_response_fields(api, app, user):
    h = handler(api, app)
    verifier = approve(api, h, user)
    auth = OAuth1(app["consumer_key"], app["consumer_secret"], h.request_token["oauth_token"],
                  h.request_token["oauth_token_secret"], verifier=verifier)
    r = requests.post(api + "/oauth/access_token", auth=auth)
    assert r.status_code == 200
    q = urllib.parse.parse_qs(r.text)
    assert q["user_id"] == [user[0]] and q["screen_name"] == [user[1]]
    assert q["oauth_token"][0].startswith(user[0] + "-") and q["oauth_token_secret"][0]
    # The request token is single-use.
    r = requests.post(api + "/oauth/access_token", auth=OAuth1(app["consumer_key"], app["consumer_secret"],
                      h.request_token["oauth_token"], h.request_token["oauth_token_secret"], verifier=verifier))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == 89


def test_wrong_verifier_burns_the_token(api, app, user):
    h = handler(api, app)
    verifier = approve(api, h, user)
    with pytest.raises(tweepy.TweepyException):
        h.get_access_token(verifier[::-1])
    with pytest.raises(tweepy.TweepyException):
        h.get_access_token(verifier)


def test_request_token_rejections(api, app):
    ck, cs = app["consumer_key"], app["consumer_secret"]
    r = requests.post(api + "/oauth/request_token", auth=OAuth1(ck, "wrong", callback_uri=CB))
    assert r.status_code == 401 and r.json() == {"errors": [{"code": 32, "message": "Could not authenticate you."}]}
    r = requests.post(api + "/oauth/request_token", auth=OAuth1("unknown", cs, callback_uri=CB))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == 32
    r = requests.post(api + "/oauth/request_token", auth=OAuth1(ck, cs, callback_uri="http://evil.example/cb"))
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == 415
    # No oauth_callback: X (and followd, issue 10) fall back to the registered callback.
    r = requests.post(api + "/oauth/request_token", auth=OAuth1(ck, cs))
    assert r.status_code == 200 and "oauth_callback_confirmed=true" in r.text
    r = requests.post(api + "/oauth/request_token")
    assert r.status_code == 401
    # A replayed signed request is refused (nonce cache).
    req = requests.Request("POST", api + "/oauth/request_token", auth=OAuth1(ck, cs, callback_uri=CB)).prepare()
    s = requests.Session()
    assert s.send(req).status_code == 200
    assert s.send(req).status_code == 401


def test_callback_in_signed_form_body(api, app):
    """twitter-api-v2 sends oauth_callback in the (signed) form body."""
    auth = OAuth1(app["consumer_key"], app["consumer_secret"], signature_type="body")
    r = requests.post(api + "/oauth/request_token", data={"oauth_callback": CB}, auth=auth,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    # signature_type=body moves every oauth_* parameter to the body: followd wants the header.
    assert r.status_code == 401
    auth = OAuth1(app["consumer_key"], app["consumer_secret"])
    r = requests.post(api + "/oauth/request_token", data={"oauth_callback": CB}, auth=auth)
    assert r.status_code == 200, r.text
    q = urllib.parse.parse_qs(r.text)
    assert q["oauth_callback_confirmed"] == ["true"] and r.headers["cache-control"] == "no-store"


def test_oob_pin_deny_and_expiry(api, demo, app, user):
    h = handler(api, app, callback="oob")
    url = h.get_authorization_url()
    r = consent(requests.Session(), url, user[1], user[2])
    assert r.status_code == 200 and "location" not in r.headers
    pin = re.search(r'id="pin"><code>(\d{7})</code>', r.text).group(1)
    token, _ = h.get_access_token(pin)
    assert token.startswith(user[0] + "-")
    # Deny: back to the callback with denied=<request token>.
    h = handler(api, app)
    url = h.get_authorization_url()
    r = consent(requests.Session(), url, user[1], "", action="deny")
    assert r.status_code == 302
    assert r.headers["location"] == CB + "?denied=" + h.request_token["oauth_token"]
    assert requests.get(url).status_code == 400  # the request token is gone
    # Wrong password: the page again, no redirect.
    h = handler(api, app)
    r = consent(requests.Session(), h.get_authorization_url(), user[1], "nope")
    assert r.status_code == 200 and "did not match" in r.text and "location" not in r.headers


def test_access_token_before_approval(api, app):
    h = handler(api, app)
    h.get_authorization_url()
    auth = OAuth1(app["consumer_key"], app["consumer_secret"], h.request_token["oauth_token"],
                  h.request_token["oauth_token_secret"], verifier="1234567")
    r = requests.post(api + "/oauth/access_token", auth=auth)
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == 89
    # Signed with the wrong token secret: not authenticated.
    auth = OAuth1(app["consumer_key"], app["consumer_secret"], h.request_token["oauth_token"], "bad",
                  verifier="1234567")
    assert requests.post(api + "/oauth/access_token", auth=auth).json()["errors"][0]["code"] == 32


def test_passwd_from_stdin_replaces_password(api, demo, app):
    import subprocess
    from conftest import BIN, new_user, unique
    name = unique("pw")
    uid = new_user(demo["db"], name)
    for pw in ["first-password", "second-password"]:
        p = subprocess.run([BIN, "user", "passwd", "--db", demo["db"], "@" + name], input=pw + "\n",
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    p = subprocess.run([BIN, "user", "passwd", "--db", demo["db"], uid, "--password", "short"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    h = handler(api, app)
    r = consent(requests.Session(), h.get_authorization_url(), name, "first-password")
    assert r.status_code == 200 and "did not match" in r.text
    h = handler(api, app)
    assert approve(api, h, (uid, name, "second-password"))


def test_two_pages_for_one_request_token(api, app, user):
    """Of several sign-in pages open for one request token, the first decision stands: a stale page
    can neither approve again nor deny (which used to destroy the approved token)."""
    h = handler(api, app)
    url = h.get_authorization_url()
    s = requests.Session()

    def fields():
        return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', s.get(url).text))

    stale = [fields(), fields()]
    r = consent(s, url, user[1], user[2])
    assert r.status_code == 302
    verifier = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)["oauth_verifier"][0]
    for page, action in zip(stale, ["allow", "deny"]):
        r = s.post(api + "/oauth/authorize", allow_redirects=False,
                   data=dict(page, username=user[1], password=user[2], action=action))
        assert r.status_code == 400 and "location" not in r.headers, (action, r.status_code)
    token, secret = h.get_access_token(verifier)
    assert token.startswith(user[0] + "-")


def test_access_token_redeemed_once_under_concurrency(api, app, user):
    """One approved request token posted to /oauth/access_token many times at once (each request
    freshly signed, so the nonce cache does not interfere): exactly one access token comes out."""
    h = handler(api, app)
    verifier = approve(api, h, user)
    n = 12
    barrier = threading.Barrier(n)

    def redeem(_):
        auth = OAuth1(app["consumer_key"], app["consumer_secret"], h.request_token["oauth_token"],
                      h.request_token["oauth_token_secret"], verifier=verifier)
        barrier.wait()
        return requests.post(api + "/oauth/access_token", auth=auth)

    with ThreadPoolExecutor(n) as pool:
        rs = list(pool.map(redeem, range(n)))
    assert sorted(r.status_code for r in rs) == [200] + [401] * (n - 1)
    assert all(r.json()["errors"][0]["code"] == 89 for r in rs if r.status_code == 401)


# A small pending table (serve --oauth-pending-max): its shares and per-app caps are the same fractions
# of it as of the default 16,384 (3/8 sessions, a quarter of a share per app), so a flood of a few hundred
# pages overflows it exactly as 16,500 overflow the default, in a second instead of half a minute.
PENDING_MAX = 512


def test_oauth_pending_max_is_checked(demo):
    for bad in ("63", "1000001", "x"):
        p = run_cli("serve", "--oauth-pending-max", bad, check=False, db=demo["db"])
        assert p.returncode == 2 and "oauth-pending-max" in p.stderr, (bad, p.stderr)


def test_signin_flood_spares_codes_verifiers_and_other_apps(demo, app, user):
    """Anyone who knows a public client_id can open sign-in pages, each one a pending session. A flood of
    more pages than the whole pending table holds, through one app, must not evict an OAuth 2.0 code or an
    OAuth 1.0a verifier already issued to a user, nor a sign-in page open for another app: sessions only
    evict sessions, and only that app's own (docs/oauth.md, "Limits")."""
    srv = Server(demo["db"], "--rate-limits", "off", "--oauth-pending-max", str(PENDING_MAX))
    try:
        victim = make_app(demo["db"])
        flooded = make_app(demo["db"], public=True)
        # In flight before the flood: an approved request token, another app's open page, and the
        # flooded app's own first page.
        h = handler(srv.url, victim)
        verifier = approve(srv.url, h, user)
        browser = requests.Session()
        _, challenge = pkce_pair()
        page = form_fields(browser.get(authorize_url(srv.url, victim["client_id"], challenge)).text)
        flood_first = requests.Session()
        first = form_fields(flood_first.get(authorize_url(srv.url, flooded["client_id"], challenge)).text)

        url = authorize_url(srv.url, flooded["client_id"], challenge)
        local = threading.local()

        def open_page(_):
            if not hasattr(local, "s"):
                local.s = requests.Session()
            return local.s.get(url).status_code

        def flood(n):
            with ThreadPoolExecutor(8) as pool:
                assert set(pool.map(open_page, range(n))) == {200}

        # Nearly fill the table, then issue a code (it must be redeemed within 30 s, so it joins late),
        # then overflow the table: the code, expiring soonest, is what a closest-to-expiry policy drops.
        # (With the default table these were 15,000 and 1,500 pages; the flooded app's per-app cap,
        # PENDING_MAX * 3/32, is what evicts its first page, so an ignored option fails the last check.)
        flood(PENDING_MAX - PENDING_MAX // 16)
        code, code_verifier = get_code(srv.url, victim, user)
        flood(PENDING_MAX // 8)

        # Everything in flight survived.
        r = exchange(srv.url, victim, code, code_verifier)
        assert r.status_code == 200, r.text
        token, _ = h.get_access_token(verifier)
        assert token.startswith(user[0] + "-")
        r = browser.post(srv.url + "/i/oauth2/authorize", allow_redirects=False,
                         data=dict(page, username=user[1], password=user[2], action="allow"))
        assert r.status_code == 302 and "code=" in r.headers["location"], r.text
        # The flood only cut short the flooded app's own oldest page: stale, so 400.
        r = flood_first.post(srv.url + "/i/oauth2/authorize", allow_redirects=False,
                             data=dict(first, username=user[1], password=user[2], action="allow"))
        assert r.status_code == 400 and "location" not in r.headers
    finally:
        srv.stop()
