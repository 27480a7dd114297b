"""OAuth 2.0 Authorization Code with PKCE: consent page, /2/oauth2/token, refresh rotation, revoke,
and every rejection, driven with requests and with tweepy's OAuth2UserHandler."""
import base64
import hashlib
import json
import os
import re
import secrets
import urllib.parse

import pytest
import requests
import tweepy

from conftest import PG, Server, new_user, run_cli, unique

CB = "http://127.0.0.1:8080/callback"
SCOPES = "tweet.read users.read follows.read follows.write offline.access"


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def make_app(db, public=False, redirect=CB):
    args = ["app", "create", "--name", unique("app"), "--access-level", "enterprise", "--redirect-uri", redirect]
    if public:
        args.append("--public-client")
    return json.loads(run_cli(*args, db=db))


def user_with_password(db):
    name = unique("oa")
    uid = new_user(db, name)
    pw = "pw-" + secrets.token_urlsafe(12)
    run_cli("user", "passwd", uid, "--password", pw, db=db)
    return uid, name, pw


def form_fields(html):
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert set(fields) == {"session", "csrf"}, html
    return fields


def consent(session, page_url, username, password, action="allow"):
    """Opens the consent page and submits it; returns the POST response (redirects not followed)."""
    r = session.get(page_url, allow_redirects=False)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    action_path = re.search(r'<form method="post" action="([^"]+)"', r.text).group(1)
    base = page_url.split("?")[0]
    post_url = base[: base.index("/", 8)] + action_path
    data = dict(form_fields(r.text), username=username, password=password, action=action)
    return session.post(post_url, data=data, allow_redirects=False)


def authorize_url(api, client_id, challenge, method="S256", scope=SCOPES, state="xyz", redirect=CB, **extra):
    q = dict(response_type="code", client_id=client_id, redirect_uri=redirect, scope=scope, state=state,
             code_challenge=challenge, code_challenge_method=method)
    q.update(extra)
    q = {k: v for k, v in q.items() if v is not None}
    return api + "/i/oauth2/authorize?" + urllib.parse.urlencode(q, quote_via=urllib.parse.quote)


def get_code(api, app, user, scope=SCOPES, method="S256"):
    verifier, challenge = pkce_pair()
    if method == "plain":
        challenge = verifier
    r = consent(requests.Session(), authorize_url(api, app["client_id"], challenge, method, scope), user[1], user[2])
    assert r.status_code == 302, r.text
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)
    assert q["state"] == ["xyz"]
    return q["code"][0], verifier


def exchange(api, app, code, verifier, how="form", redirect=CB):
    params = dict(grant_type="authorization_code", code=code, redirect_uri=redirect, code_verifier=verifier,
                  client_id=app["client_id"])
    auth = (app["client_id"], app["client_secret"]) if "client_secret" in app else None
    if how == "form":
        return requests.post(api + "/2/oauth2/token", data=params, auth=auth)
    if how == "json":
        return requests.post(api + "/2/oauth2/token", json=params, auth=auth)
    return requests.post(api + "/2/oauth2/token", params=params, auth=auth,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})


@pytest.fixture(scope="module")
def conf_app(demo):
    return make_app(demo["db"])


@pytest.fixture(scope="module")
def pub_app(demo):
    return make_app(demo["db"], public=True)


@pytest.fixture(scope="module")
def user(demo):
    return user_with_password(demo["db"])


@pytest.mark.parametrize("how", ["form", "json", "query"])
def test_code_flow_confidential_every_encoding(api, conf_app, user, how):
    code, verifier = get_code(api, conf_app, user)
    r = exchange(api, conf_app, code, verifier, how)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    tok = r.json()
    assert tok["token_type"] == "bearer" and tok["expires_in"] == 7200
    assert tok["scope"] == "tweet.read users.read follows.read follows.write offline.access"
    assert tok["refresh_token"]
    me = requests.get(api + "/2/users/me", headers={"Authorization": "Bearer " + tok["access_token"]})
    assert me.status_code == 200 and me.json()["data"]["username"] == user[1]


def test_public_client_and_plain_challenge(api, pub_app, user):
    assert "client_secret" not in pub_app
    code, verifier = get_code(api, pub_app, user, scope="tweet.read users.read", method="plain")
    r = exchange(api, pub_app, code, verifier, "json")
    assert r.status_code == 200, r.text
    tok = r.json()
    assert "refresh_token" not in tok and tok["scope"] == "tweet.read users.read"


def test_confidential_client_needs_basic(api, conf_app, user):
    code, verifier = get_code(api, conf_app, user)
    r = requests.post(api + "/2/oauth2/token", data=dict(grant_type="authorization_code", code=code,
                                                         redirect_uri=CB, code_verifier=verifier,
                                                         client_id=conf_app["client_id"]))
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    bad = dict(conf_app, client_secret="wrong")
    r = exchange(api, bad, code, verifier)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert r.headers["content-type"].startswith("application/json")
    r = requests.post(api + "/2/oauth2/token", data=dict(grant_type="authorization_code", code=code))
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = requests.post(api + "/2/oauth2/token", data=dict(grant_type="authorization_code", client_id="nope"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_code_single_use_wrong_verifier_and_redirect(api, conf_app, pub_app, user):
    code, verifier = get_code(api, conf_app, user)
    assert exchange(api, conf_app, code, verifier).status_code == 200
    r = exchange(api, conf_app, code, verifier)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # A wrong verifier fails and burns the code.
    code, verifier = get_code(api, conf_app, user)
    r = exchange(api, conf_app, code, pkce_pair()[0])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert exchange(api, conf_app, code, verifier).json()["error"] == "invalid_grant"
    # redirect_uri must match the authorization request.
    code, verifier = get_code(api, conf_app, user)
    r = exchange(api, conf_app, code, verifier, redirect=CB + "/other")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # A code is bound to its client.
    code, verifier = get_code(api, conf_app, user)
    r = exchange(api, pub_app, code, verifier)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_grant_type_errors(api, conf_app):
    auth = (conf_app["client_id"], conf_app["client_secret"])
    r = requests.post(api + "/2/oauth2/token", data=dict(grant_type="client_credentials"), auth=auth)
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = requests.post(api + "/2/oauth2/token", data=dict(), auth=auth)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = requests.post(api + "/2/oauth2/token?grant_type=refresh_token", data=dict(grant_type="x"), auth=auth)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"  # conflicting duplicate
    r = requests.post(api + "/2/oauth2/token", data="{bad json", auth=auth,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_refresh_rotation(api, conf_app, user):
    code, verifier = get_code(api, conf_app, user)
    first = exchange(api, conf_app, code, verifier).json()
    auth = (conf_app["client_id"], conf_app["client_secret"])
    r = requests.post(api + "/2/oauth2/token", auth=auth,
                      data=dict(grant_type="refresh_token", refresh_token=first["refresh_token"]))
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    # The old refresh token stopped working; the new one works once.
    r = requests.post(api + "/2/oauth2/token", auth=auth,
                      data=dict(grant_type="refresh_token", refresh_token=first["refresh_token"]))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # Narrowing the scope drops offline.access, so no new refresh token.
    r = requests.post(api + "/2/oauth2/token", auth=auth,
                      json=dict(grant_type="refresh_token", refresh_token=second["refresh_token"],
                                scope="tweet.read users.read"))
    assert r.status_code == 200 and r.json()["scope"] == "tweet.read users.read"
    assert "refresh_token" not in r.json()


def test_refresh_scope_cannot_grow_and_other_client(api, conf_app, pub_app, user):
    code, verifier = get_code(api, conf_app, user, scope="tweet.read users.read offline.access")
    tok = exchange(api, conf_app, code, verifier).json()
    auth = (conf_app["client_id"], conf_app["client_secret"])
    r = requests.post(api + "/2/oauth2/token", auth=auth,
                      data=dict(grant_type="refresh_token", refresh_token=tok["refresh_token"],
                                scope="tweet.read follows.write"))
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    r = requests.post(api + "/2/oauth2/token",
                      data=dict(grant_type="refresh_token", refresh_token=tok["refresh_token"],
                                client_id=pub_app["client_id"]))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # After those failures the rightful client still refreshes.
    r = requests.post(api + "/2/oauth2/token", auth=auth,
                      data=dict(grant_type="refresh_token", refresh_token=tok["refresh_token"]))
    assert r.status_code == 200, r.text


def test_revoke(api, conf_app, pub_app, user):
    code, verifier = get_code(api, conf_app, user)
    tok = exchange(api, conf_app, code, verifier).json()
    hdr = {"Authorization": "Bearer " + tok["access_token"]}
    assert requests.get(api + "/2/users/me", headers=hdr).status_code == 200
    r = requests.post(api + "/2/oauth2/revoke", data=dict(token=tok["access_token"], client_id=pub_app["client_id"]))
    assert r.status_code == 400  # not this client's token
    auth = (conf_app["client_id"], conf_app["client_secret"])
    r = requests.post(api + "/2/oauth2/revoke", auth=auth,
                      data=dict(token=tok["access_token"], token_type_hint="access_token"))
    assert r.status_code == 200 and r.json() == {"revoked": True}
    assert requests.get(api + "/2/users/me", headers=hdr).status_code == 401
    r = requests.post(api + "/2/oauth2/revoke", auth=auth, data=dict(token=tok["refresh_token"]))
    assert r.json() == {"revoked": True}
    r = requests.post(api + "/2/oauth2/token", auth=auth,
                      data=dict(grant_type="refresh_token", refresh_token=tok["refresh_token"]))
    assert r.json()["error"] == "invalid_grant"
    # Unknown tokens are not an error (RFC 7009); a missing token is.
    assert requests.post(api + "/2/oauth2/revoke", auth=auth, data=dict(token="nope")).json() == {"revoked": True}
    assert requests.post(api + "/2/oauth2/revoke", auth=auth, data=dict()).status_code == 400


@pytest.mark.skipif(PG, reason="grant records are LMDB-only so far (fw_pg_grant_revoke: FW_ENOTSUP)")
def test_revoking_a_refresh_token_revokes_its_grants_access_tokens(api, conf_app, user):
    """RFC 7009 section 2.1 (issue 11, defect 10): revoking a refresh token invalidates the access tokens
    of the same grant (the first one, and those of every refresh), and only those."""
    auth = (conf_app["client_id"], conf_app["client_secret"])
    code, verifier = get_code(api, conf_app, user)
    first = exchange(api, conf_app, code, verifier).json()
    second = requests.post(api + "/2/oauth2/token", auth=auth,
                           data=dict(grant_type="refresh_token", refresh_token=first["refresh_token"])).json()
    code, verifier = get_code(api, conf_app, user)
    other = exchange(api, conf_app, code, verifier).json()  # another sign-in of the same user: its own grant
    me = lambda tok: requests.get(api + "/2/users/me", headers={"Authorization": "Bearer " + tok}).status_code  # noqa
    assert [me(first["access_token"]), me(second["access_token"]), me(other["access_token"])] == [200, 200, 200]
    r = requests.post(api + "/2/oauth2/revoke", auth=auth,
                      data=dict(token=second["refresh_token"], token_type_hint="refresh_token"))
    assert r.status_code == 200 and r.json() == {"revoked": True}
    assert [me(first["access_token"]), me(second["access_token"]), me(other["access_token"])] == [401, 401, 200]
    r = requests.post(api + "/2/oauth2/token", auth=auth,
                      data=dict(grant_type="refresh_token", refresh_token=second["refresh_token"]))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # The other grant's refresh token still works; revoking an access token leaves its refresh token alone.
    r = requests.post(api + "/2/oauth2/revoke", auth=auth, data=dict(token=other["access_token"]))
    assert r.json() == {"revoked": True} and me(other["access_token"]) == 401
    r = requests.post(api + "/2/oauth2/token", auth=auth,
                      data=dict(grant_type="refresh_token", refresh_token=other["refresh_token"]))
    assert r.status_code == 200 and me(r.json()["access_token"]) == 200


def test_scope_enforced_without_follows_write(api, demo, conf_app, user):
    code, verifier = get_code(api, conf_app, user, scope="tweet.read users.read follows.read")
    tok = exchange(api, conf_app, code, verifier).json()
    hdr = {"Authorization": "Bearer " + tok["access_token"]}
    r = requests.get(api + f"/2/users/{user[0]}/following", headers=hdr)
    assert r.status_code == 200
    r = requests.post(api + f"/2/users/{user[0]}/following", headers=hdr, json={"target_user_id": demo["public_user_id"]})
    assert r.status_code == 403


def test_authorize_errors(api, conf_app, user):
    s = requests.Session()
    _, ch = pkce_pair()
    # Unknown client or unregistered redirect: an error page, never a redirect.
    r = s.get(authorize_url(api, "no-such-client", ch), allow_redirects=False)
    assert r.status_code == 400 and "location" not in r.headers and "text/html" in r.headers["content-type"]
    r = s.get(authorize_url(api, conf_app["client_id"], ch, redirect="http://evil.example/cb"), allow_redirects=False)
    assert r.status_code == 400 and "location" not in r.headers
    r = s.get(authorize_url(api, conf_app["client_id"], ch, redirect=CB + "/"), allow_redirects=False)
    assert r.status_code == 400 and "location" not in r.headers  # exact match only

    def err(url):
        r = s.get(url, allow_redirects=False)
        assert r.status_code == 302, r.text
        assert r.headers["location"].startswith(CB + "?")
        return urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)

    q = err(authorize_url(api, conf_app["client_id"], ch, response_type="token"))
    assert q["error"] == ["unsupported_response_type"] and q["state"] == ["xyz"]
    q = err(authorize_url(api, conf_app["client_id"], ch, scope="tweet.read bogus.scope"))
    assert q["error"] == ["invalid_scope"]
    q = err(authorize_url(api, conf_app["client_id"], None))
    assert q["error"] == ["invalid_request"]
    q = err(authorize_url(api, conf_app["client_id"], ch, method="S512"))
    assert q["error"] == ["invalid_request"]
    q = err(authorize_url(api, conf_app["client_id"], ch, state=None))
    assert q["error"] == ["invalid_request"] and "state" not in q
    # Also served at /2/oauth2/authorize (the OpenAPI spec's authorizationUrl).
    r = s.get(authorize_url(api, conf_app["client_id"], ch).replace("/i/oauth2/", "/2/oauth2/"))
    assert r.status_code == 200 and 'action="/2/oauth2/authorize"' in r.text


def test_consent_page_escapes_and_headers(api, demo, user):
    app = json.loads(run_cli("app", "create", "--name", "<script>alert(1)</script> & co", "--redirect-uri", CB,
                             "--access-level", "enterprise", db=demo["db"]))
    _, ch = pkce_pair()
    r = requests.get(authorize_url(api, app["client_id"], ch, state='"><img src=x>'))
    assert r.status_code == 200
    assert "<script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in r.text
    assert "follows.write" in r.text and "offline.access" in r.text
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "HttpOnly" in r.headers["set-cookie"]
    assert '<label for="username">' in r.text and '<label for="password">' in r.text


def test_wrong_password_csrf_and_deny(api, conf_app, user):
    _, ch = pkce_pair()
    url = authorize_url(api, conf_app["client_id"], ch)
    s = requests.Session()
    r = consent(s, url, user[1], "wrong password")
    assert r.status_code == 200 and "location" not in r.headers
    assert "did not match" in r.text and 'value="%s"' % user[1] in r.text
    # Unknown user: same answer.
    r = consent(s, url, "nobody_here", "whatever")
    assert r.status_code == 200 and "did not match" in r.text
    # CSRF: a form token from another page, or no cookie, is refused.
    page = s.get(url).text
    fields = form_fields(page)
    other = form_fields(s.get(url).text)
    r = s.post(api + "/i/oauth2/authorize", allow_redirects=False,
               data=dict(session=fields["session"], csrf=other["csrf"], username=user[1], password=user[2],
                         action="allow"))
    assert r.status_code == 403 and "location" not in r.headers
    r = requests.post(api + "/i/oauth2/authorize", allow_redirects=False,
                      data=dict(fields, username=user[1], password=user[2], action="allow"))
    assert r.status_code == 403
    # Deny redirects with access_denied and the state.
    r = s.post(api + "/i/oauth2/authorize", allow_redirects=False, data=dict(fields, action="deny"))
    assert r.status_code == 302
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)
    assert q == {"error": ["access_denied"], "state": ["xyz"]}
    # The session is single-use.
    r = s.post(api + "/i/oauth2/authorize", allow_redirects=False,
               data=dict(fields, username=user[1], password=user[2], action="allow"))
    assert r.status_code == 400


def test_too_many_wrong_passwords(api, conf_app, user):
    _, ch = pkce_pair()
    s = requests.Session()
    fields = form_fields(s.get(authorize_url(api, conf_app["client_id"], ch)).text)
    codes = [s.post(api + "/i/oauth2/authorize", allow_redirects=False,
                    data=dict(fields, username=user[1], password="bad", action="allow")).status_code
             for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    r = s.post(api + "/i/oauth2/authorize", allow_redirects=False,
               data=dict(fields, username=user[1], password=user[2], action="allow"))
    assert r.status_code == 400


def test_code_expires_after_30_seconds(demo, conf_app, user):
    srv = Server(demo["db"], "--rate-limits", "off", "--test-clock")
    try:
        code, verifier = get_code(srv.url, conf_app, user)
        r = requests.post(srv.url + "/_test/clock", json={"advance_seconds": 31})
        assert r.status_code == 200
        r = exchange(srv.url, conf_app, code, verifier)
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
        # Within 30 s it works; the access token dies after 2 hours.
        code, verifier = get_code(srv.url, conf_app, user)
        requests.post(srv.url + "/_test/clock", json={"advance_seconds": 29})
        tok = exchange(srv.url, conf_app, code, verifier).json()
        hdr = {"Authorization": "Bearer " + tok["access_token"]}
        assert requests.get(srv.url + "/2/users/me", headers=hdr).status_code == 200
        requests.post(srv.url + "/_test/clock", json={"advance_seconds": 7201})
        assert requests.get(srv.url + "/2/users/me", headers=hdr).status_code == 401
        # The refresh token still works and yields a fresh access token.
        r = requests.post(srv.url + "/2/oauth2/token", auth=(conf_app["client_id"], conf_app["client_secret"]),
                          data=dict(grant_type="refresh_token", refresh_token=tok["refresh_token"]))
        assert r.status_code == 200
        hdr = {"Authorization": "Bearer " + r.json()["access_token"]}
        assert requests.get(srv.url + "/2/users/me", headers=hdr).status_code == 200
    finally:
        srv.stop()


class Handler(tweepy.OAuth2UserHandler):
    """tweepy's own PKCE handler with its two hard-coded hosts pointed at followd."""

    def __init__(self, api, **kw):
        super().__init__(**kw)
        self.api = api

    def authorization_url(self, url, *args, **kw):
        return super().authorization_url(url.replace("https://twitter.com", self.api), *args, **kw)

    def request(self, method, url, *args, **kw):
        return super().request(method, url.replace("https://api.twitter.com", self.api), *args, **kw)


def tweepy_handler(api, app):
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    return Handler(api, client_id=app["client_id"], redirect_uri=CB, scope=SCOPES.split(),
                   client_secret=app.get("client_secret"))


@pytest.mark.parametrize("public", [False, True])
def test_tweepy_oauth2_user_handler_requests_only(api, demo, conf_app, pub_app, user, public):
    h = tweepy_handler(api, pub_app if public else conf_app)
    url = h.get_authorization_url()
    r = consent(requests.Session(), url, user[1], user[2])
    assert r.status_code == 302
    tok = h.fetch_token(r.headers["location"])
    assert tok["token_type"] == "bearer" and "follows.write" in tok["scope"]
    from test_tweepy import redirect
    client = redirect(tweepy.Client(bearer_token=tok["access_token"]), api)
    assert client.get_me(user_auth=False).data.username == user[1]
    target = demo["public_user_id"]
    assert client.follow_user(target, user_auth=False).data["following"] is True
    assert client.unfollow_user(target, user_auth=False).data["following"] is False


def test_one_form_posted_concurrently(api, conf_app, user):
    """A session is used once even when its form is posted many times at once (double clicks, scripts):
    one approval yields one code, and every concurrent wrong password counts as an attempt."""
    from concurrent.futures import ThreadPoolExecutor
    _, ch = pkce_pair()

    def burst(password, n=8):
        s = requests.Session()
        fields = form_fields(s.get(authorize_url(api, conf_app["client_id"], ch)).text)
        data = dict(fields, username=user[1], password=password, action="allow")
        cookies = s.cookies.get_dict()
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(lambda _: requests.post(api + "/i/oauth2/authorize", data=data, cookies=cookies,
                                                         allow_redirects=False), range(n)))

    rs = burst(user[2])
    assert sorted(r.status_code for r in rs) == [302] + [400] * 7
    rs = burst("wrong password", 12)
    wrong = [r for r in rs if r.status_code == 200 and "did not match" in r.text]
    assert len(wrong) <= 4 and all(r.status_code in (200, 400, 429) for r in rs)


def test_concurrent_refreshes_rotate_once(api, conf_app, user):
    """Many refreshes of one refresh token at once: the store's revoke decides, so exactly one gets new
    tokens and every other one is invalid_grant, round after round down the rotation chain."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    code, verifier = get_code(api, conf_app, user)
    rt = exchange(api, conf_app, code, verifier).json()["refresh_token"]
    auth = (conf_app["client_id"], conf_app["client_secret"])
    n = 12
    for _ in range(4):
        barrier = threading.Barrier(n)

        def refresh(_):
            barrier.wait()
            return requests.post(api + "/2/oauth2/token", auth=auth,
                                 data=dict(grant_type="refresh_token", refresh_token=rt))

        with ThreadPoolExecutor(n) as pool:
            rs = list(pool.map(refresh, range(n)))
        ok = [r for r in rs if r.status_code == 200]
        assert len(ok) == 1, [r.status_code for r in rs]
        assert all(r.status_code == 400 and r.json()["error"] == "invalid_grant" for r in rs if r.status_code != 200)
        rt = ok[0].json()["refresh_token"]
        hdr = {"Authorization": "Bearer " + ok[0].json()["access_token"]}
        assert requests.get(api + "/2/users/me", headers=hdr).status_code == 200
