"""The developer portal (/portal/) over HTTP with requests: accounts, sessions and CSRF, one developer
against another's projects and apps, escaping of every field, and the settings and keys feeding the
OAuth flows and the API (issue 14). The browser journey is test_portal_browser.py."""
import html
import json
import os
import re
import secrets

import pytest
import requests
import tweepy

from conftest import PG, Server, fresh_db, run_cli, unique
from test_tweepy import redirect

PASSWORD = "correct horse battery"
XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def portal_db():
    d = fresh_db(prefix="followd-portal-")
    creds = json.loads(run_cli("demo", "--json", "--users", "300", db=d))
    creds["db"] = d
    return creds


@pytest.fixture(scope="module")
def portal(portal_db):
    """A server that approves new developer accounts at once (rate limits on: the usage page reads them)."""
    s = Server(portal_db["db"], "--portal-approval", "auto")
    _servers["portal"] = s
    yield s.url
    s.stop()


_servers = {}


def csrf_of(text):
    m = re.search(r'name="csrf" value="([^"]+)"', text)
    assert m, text
    return m.group(1)


class Dev:
    """One developer's browser: a requests session that keeps the portal cookie."""

    def __init__(self, base, name=None, password=PASSWORD, signup=True):
        self.base = base
        self.name = name or unique("dev")
        self.s = requests.Session()
        if signup:
            r = self.post_form("/portal/signup", {"username": self.name, "password": password})
            assert r.status_code == 200 and r.url.endswith("/portal"), r.text

    def get(self, path, **kw):
        return self.s.get(self.base + path, **kw)

    def csrf(self, path="/portal/signin"):
        return csrf_of(self.get(path).text)

    def post(self, path, data, csrf=True, **kw):
        data = dict(data)
        if csrf:
            data["csrf"] = self.csrf("/portal" if self.signed_in() else "/portal/signin")
        return self.s.post(self.base + path, data=data, **kw)

    def post_form(self, path, data):
        """Opens the form's page first (its session and token), then posts it."""
        data = dict(data, csrf=csrf_of(self.get(path).text))
        return self.s.post(self.base + path, data=data)

    def signed_in(self):
        return "fw_portal" in self.s.cookies and self.get("/portal", allow_redirects=False).status_code == 200

    def cookie(self):
        return self.s.cookies.get("fw_portal")

    def project(self, name="Seed project", level="4", env="0", use_case="Following people"):
        r = self.post("/portal/projects/new",
                      {"name": name, "use_case": use_case, "environment": env, "access_level": level})
        assert r.status_code == 200, r.text
        m = re.search(r"/portal/projects/(\d+)$", r.url)
        assert m, r.url
        return m.group(1)

    def app(self, pid, name="Seed app"):
        r = self.post(f"/portal/projects/{pid}", {"action": "create_app", "app_name": name})
        assert r.status_code == 200, r.text
        keys = codes(r.text)
        m = re.search(r'href="/portal/apps/(\d+)"', r.text)
        return m.group(1), keys

    def settings(self, aid, permission="write", client_type="confidential", callbacks="", website=""):
        return self.post(f"/portal/apps/{aid}", {"action": "settings", "permission": permission,
                                                 "client_type": client_type, "callbacks": callbacks,
                                                 "website": website})

    def keys(self, aid, action):
        r = self.post(f"/portal/apps/{aid}/keys", {"action": action})
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        return codes(r.text)


def codes(text):
    """The values the page shows in <code id=...>, unescaped."""
    return {k: html.unescape(v) for k, v in re.findall(r'<code id="([^"]+)">([^<]*)</code>', text)}


def test_pages_are_hardened(portal):
    r = requests.get(portal + "/portal/signin")
    assert r.status_code == 200
    h = r.headers
    assert h["cache-control"] == "no-store"
    assert h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "script-src 'self'" in h["content-security-policy"]
    assert "<script>" not in r.text  # no inline script: the copy buttons come from /portal/portal.js
    cookie = h["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/portal" in cookie
    assert "Secure" not in cookie  # plain HTTP here; Secure is added on HTTPS
    js = requests.get(portal + "/portal/portal.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "clipboard" in js.text


@pytest.fixture(scope="module")
def portal_https(portal_db, tmp_path_factory):
    """The portal behind serve --proxy: clients reach https://developer.x.com through it (local CA)."""
    tls = str(tmp_path_factory.mktemp("portal-tls"))
    run_cli("tls", "init", "--dir", tls)
    s = Server(portal_db["db"], "--portal-approval", "auto", "--proxy", "--tls-dir", tls)
    yield {"proxies": {"https": s.url, "http": s.url}, "verify": os.path.join(tls, "ca.pem")}
    s.stop()


def test_developer_x_com_is_the_portal_over_https(portal_https, portal):
    kw = dict(portal_https, allow_redirects=False, timeout=30)
    for path in ["/", "/en/portal/dashboard", "/en/portal/projects-and-apps"]:
        r = requests.get("https://developer.x.com" + path, **kw)
        assert r.status_code == 302 and r.headers["location"] == "/portal", path
    r = requests.get("https://developer.x.com/portal/signin", **kw)
    assert r.status_code == 200 and "Sign in" in r.text
    cookie = r.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie  # HTTPS: the session cookie is Secure
    # only X's portal host: the API host keeps X's 404 for / and X's portal paths
    r = requests.get("https://api.x.com/en/portal/dashboard", **kw)
    assert r.status_code == 404
    assert requests.get(portal + "/", allow_redirects=False).status_code == 404
    r = requests.get(portal + "/", headers={"Host": "DEVELOPER.X.COM."}, allow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/portal"


def test_signed_out_pages_send_to_sign_in(portal):
    for path in ["/portal", "/portal/projects/new", "/portal/projects/1", "/portal/apps/1", "/portal/apps/1/keys"]:
        r = requests.get(portal + path, allow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/portal/signin", path


def test_sign_up_creates_the_account_and_sign_in_rotates_the_session(portal, portal_db):
    dev = Dev(portal, signup=False)
    dev.get("/portal/signin")
    anonymous = dev.cookie()
    r = dev.post_form("/portal/signup", {"username": dev.name, "password": PASSWORD})
    assert r.url.endswith("/portal") and "Projects" in r.text
    first = dev.cookie()
    assert first != anonymous
    # the @account exists, with this password, and is an approved developer
    user = json.loads(run_cli("user", "show", "@" + dev.name, db=portal_db["db"]))
    assert user["username"] == dev.name
    shown = json.loads(run_cli("developer", "show", "@" + dev.name, db=portal_db["db"]))
    assert shown["status"] == "approved"
    # sign out: the session is gone for good
    r = dev.post("/portal/signout", {})
    assert r.url.endswith("/portal/signin")
    stale = requests.get(portal + "/portal", cookies={"fw_portal": first}, allow_redirects=False)
    assert stale.status_code == 303
    # sign in again: another new id
    r = dev.post_form("/portal/signin", {"username": dev.name, "password": PASSWORD})
    assert r.url.endswith("/portal") and dev.cookie() not in (anonymous, first)
    # signing up twice is refused
    other = Dev(portal, signup=False)
    r = other.post_form("/portal/signup", {"username": dev.name, "password": PASSWORD})
    assert r.status_code == 400 and "already has a developer account" in r.text


def test_session_fixation_is_prevented(portal):
    attacker = requests.Session()
    attacker.get(portal + "/portal/signin")
    planted = attacker.cookies["fw_portal"]
    # the victim's browser gets the attacker's cookie, then signs up and in
    victim = Dev(portal, signup=False)
    victim.s.cookies.update(attacker.cookies)
    r = victim.post_form("/portal/signup", {"username": victim.name, "password": PASSWORD})
    assert r.url.endswith("/portal")
    assert victim.cookie() != planted
    # the planted id does not carry the victim's sign-in
    r = attacker.get(portal + "/portal", allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/signin"


def test_claiming_an_existing_account_needs_its_password(portal, portal_db):
    name = unique("own")
    run_cli("user", "add", "--username", name, "--name", "Owner", db=portal_db["db"])
    run_cli("user", "passwd", "@" + name, "--password", "the-real-password", db=portal_db["db"])
    thief = Dev(portal, signup=False)
    r = thief.post_form("/portal/signup", {"username": name, "password": PASSWORD})
    assert r.status_code == 400 and "already exists" in r.text
    assert not thief.signed_in()
    owner = Dev(portal, signup=False)
    r = owner.post_form("/portal/signup", {"username": name, "password": "the-real-password"})
    assert r.url.endswith("/portal")


def test_csrf_token_is_required(portal):
    dev = Dev(portal)
    before = dev.get("/portal").text
    form = {"name": "csrf", "use_case": "", "environment": "0", "access_level": "1"}
    r = dev.post("/portal/projects/new", form, csrf=False)
    assert r.status_code == 403 and "could not be verified" in r.text
    r = dev.s.post(portal + "/portal/projects/new", data=dict(form, csrf="A" * 43))
    assert r.status_code == 403
    # a token of another session does not fit this one
    other = Dev(portal)
    r = dev.s.post(portal + "/portal/projects/new", data=dict(form, csrf=other.csrf("/portal")))
    assert r.status_code == 403
    # a cross-site form without the cookie
    r = requests.post(portal + "/portal/projects/new", data=dict(form, csrf=dev.csrf("/portal")))
    assert r.status_code == 403
    # sign out without a token does nothing
    r = dev.post("/portal/signout", {}, csrf=False)
    assert r.status_code == 403 and dev.signed_in()
    assert dev.get("/portal").text.count("/portal/projects/") == before.count("/portal/projects/")


def test_sign_in_attempts_are_limited(portal):
    dev = Dev(portal)
    dev.post("/portal/signout", {})
    for _ in range(5):
        r = dev.post_form("/portal/signin", {"username": dev.name, "password": "wrong password"})
        assert r.status_code == 400 and "did not match" in r.text
    r = dev.post_form("/portal/signin", {"username": dev.name, "password": PASSWORD})
    assert r.status_code == 429 and "Too many" in r.text
    assert not dev.signed_in()


def test_manual_approval_waits_for_the_cli(api, demo):
    """The shared server runs with the default --portal-approval manual."""
    dev = Dev(api, signup=False)
    r = dev.post_form("/portal/signup", {"username": dev.name, "password": PASSWORD})
    assert r.status_code == 403 and "awaiting approval" in r.text
    assert dev.get("/portal/projects/new").status_code == 403
    assert json.loads(run_cli("developer", "show", "@" + dev.name, db=demo["db"]))["status"] == "pending"
    out = json.loads(run_cli("developer", "approve", "@" + dev.name, db=demo["db"]))
    assert out["status"] == "approved"
    r = dev.get("/portal")
    assert r.status_code == 200 and "no-projects" in r.text
    p = run_cli("developer", "approve", "@" + unique("nobody"), db=demo["db"], check=False)
    assert p.returncode == 1


def test_another_developer_sees_and_changes_nothing(portal):
    a, b = Dev(portal), Dev(portal)
    pid = a.project(name="A's project")
    aid, keys = a.app(pid, name="A's app")
    assert a.settings(aid, callbacks="https://a.example/cb").status_code == 200
    gets = [f"/portal/projects/{pid}", f"/portal/apps/{aid}", f"/portal/apps/{aid}/keys"]
    for path in gets:
        r = b.get(path)
        assert r.status_code == 404, path
        assert "A&#39;s" not in r.text and keys["api-key"] not in r.text
    posts = [(f"/portal/projects/{pid}", {"action": "update", "name": "pwned", "use_case": "", "environment": "0",
                                          "access_level": "1"}),
             (f"/portal/projects/{pid}", {"action": "create_app", "app_name": "pwned"}),
             (f"/portal/projects/{pid}", {"action": "delete", "with_apps": "1"}),
             (f"/portal/apps/{aid}", {"action": "rename", "name": "pwned"}),
             (f"/portal/apps/{aid}", {"action": "settings", "permission": "read", "client_type": "public",
                                      "callbacks": "https://evil.example/cb", "website": ""}),
             (f"/portal/apps/{aid}", {"action": "delete"})]
    posts += [(f"/portal/apps/{aid}/keys", {"action": act})
              for act in ["regen_consumer", "regen_bearer", "gen_token", "revoke_token", "regen_client_secret"]]
    for path, data in posts:
        r = b.post(path, data)
        assert r.status_code == 404, (path, data)
        assert keys["api-key"] not in r.text
    # B's own list does not show A's project; A's project and app are unchanged
    assert f"/portal/projects/{pid}" not in b.get("/portal").text
    page = a.get(f"/portal/projects/{pid}").text
    assert "A&#39;s project" in page and "A&#39;s app" in page and "pwned" not in page
    settings = a.get(f"/portal/apps/{aid}").text
    assert "https://a.example/cb" in settings and "evil" not in settings
    assert 'id="perm-write" checked' in settings and 'id="type-confidential" checked' in settings
    assert codes(a.get(f"/portal/apps/{aid}/keys").text)["api-key"] == keys["api-key"]
    # and A's bearer token still works
    r = requests.get(portal + "/2/users/by/username/XDevelopers",
                     headers={"Authorization": "Bearer " + keys["bearer-token"]})
    assert r.status_code == 200


def test_every_field_is_escaped(portal):
    dev = Dev(portal)
    pid = dev.project(name=XSS[:64], use_case=XSS)
    aid, _ = dev.app(pid, name=XSS[:32])
    cb = "https://x.example/cb?q=\"><script>alert(3)</script>"
    r = dev.settings(aid, callbacks=cb, website="https://x.example/\"><script>alert(4)</script>")
    assert r.status_code == 200, r.text
    pages = [dev.get(p).text for p in ["/portal", f"/portal/projects/{pid}", f"/portal/apps/{aid}",
                                       f"/portal/apps/{aid}/keys"]]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
    assert html.escape(XSS[:32], quote=True).replace("&#x27;", "&#39;") in pages[2]
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in pages[2]
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in pages[2]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1]
    # the username field on a failed sign-in is escaped too (and refused)
    r = Dev(portal, signup=False).post_form("/portal/signup", {"username": XSS, "password": PASSWORD})
    assert r.status_code == 400 and "<script>alert" not in r.text
    # script schemes are not callbacks
    r = dev.settings(aid, callbacks="javascript:alert(1)")
    assert r.status_code == 400 and "callback URI" in r.text


def test_project_delete_needs_confirmation_with_apps(portal):
    dev = Dev(portal)
    pid = dev.project()
    aid, keys = dev.app(pid)
    r = dev.post(f"/portal/projects/{pid}", {"action": "delete"})
    assert r.status_code == 409 and "still has apps" in r.text
    r = dev.post(f"/portal/projects/{pid}", {"action": "delete", "with_apps": "1"})
    assert r.url.endswith("/portal")
    assert dev.get(f"/portal/projects/{pid}").status_code == 404
    assert dev.get(f"/portal/apps/{aid}").status_code == 404
    r = requests.get(portal + "/2/users/by/username/XDevelopers",
                     headers={"Authorization": "Bearer " + keys["bearer-token"]})
    assert r.status_code == 401


def test_project_and_app_edits(portal):
    dev = Dev(portal)
    pid = dev.project(name="Before", env="0", level="2")
    r = dev.post(f"/portal/projects/{pid}", {"action": "update", "name": "After", "use_case": "New use",
                                              "environment": "2", "access_level": "3"})
    assert r.status_code == 200
    assert "After" in r.text and "Production" in r.text and 'id="project-level">Pro<' in r.text
    aid, _ = dev.app(pid, name="first")
    r = dev.post(f"/portal/apps/{aid}", {"action": "rename", "name": "second"})
    assert 'id="app-name">second<' in r.text
    r = dev.post(f"/portal/projects/{pid}", {"action": "update", "name": "", "use_case": "", "environment": "0",
                                              "access_level": "3"})
    assert r.status_code == 400
    r = dev.post(f"/portal/projects/{pid}", {"action": "update", "name": "x", "use_case": "", "environment": "0",
                                              "access_level": "9"})
    assert r.status_code == 400
    r = dev.post(f"/portal/apps/{aid}", {"action": "delete"})
    assert r.url.endswith(f"/portal/projects/{pid}") and "no-apps" in r.text


def test_keys_are_shown_once_and_regenerate(portal):
    dev = Dev(portal)
    pid = dev.project()
    aid, keys = dev.app(pid)
    assert {"api-key", "api-secret", "bearer-token", "client-id"} <= set(keys)
    page = dev.get(f"/portal/apps/{aid}/keys").text
    assert keys["api-secret"] not in page and keys["bearer-token"] not in page and "masked" in page
    url = portal + "/2/users/by/username/XDevelopers"
    assert requests.get(url, headers={"Authorization": "Bearer " + keys["bearer-token"]}).status_code == 200
    new = dev.keys(aid, "regen_bearer")["bearer-token"]
    assert new != keys["bearer-token"]
    assert requests.get(url, headers={"Authorization": "Bearer " + keys["bearer-token"]}).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer " + new}).status_code == 200
    # the own access token: generate, use, regenerate (the old one stops), revoke
    tok = dev.keys(aid, "gen_token")
    from requests_oauthlib import OAuth1
    me = portal + "/2/users/me"
    auth = OAuth1(keys["api-key"], keys["api-secret"], tok["access-token"], tok["access-secret"])
    r = requests.get(me, auth=auth)
    assert r.status_code == 200 and r.json()["data"]["username"] == dev.name
    tok2 = dev.keys(aid, "gen_token")
    assert tok2["access-token"] != tok["access-token"]
    assert requests.get(me, auth=auth).status_code == 401
    auth2 = OAuth1(keys["api-key"], keys["api-secret"], tok2["access-token"], tok2["access-secret"])
    assert requests.get(me, auth=auth2).status_code == 200
    # a new API key stops tokens signed with the old one
    ck = dev.keys(aid, "regen_consumer")
    assert ck["api-key"] != keys["api-key"]
    assert requests.get(me, auth=auth2).status_code == 401
    auth3 = OAuth1(ck["api-key"], ck["api-secret"], tok2["access-token"], tok2["access-secret"])
    assert requests.get(me, auth=auth3).status_code == 200
    page = dev.get(f"/portal/apps/{aid}/keys").text
    assert "revoke-token" in page
    dev.keys(aid, "revoke_token")
    assert requests.get(me, auth=auth3).status_code == 401
    assert "no-token" in dev.get(f"/portal/apps/{aid}/keys").text
    cs = dev.keys(aid, "regen_client_secret")
    assert len(cs["client-secret"]) >= 40


def test_settings_feed_oauth_and_permissions(portal, portal_db):
    dev = Dev(portal)
    pid = dev.project(level="4")
    aid, keys = dev.app(pid)
    cb = "http://127.0.0.1:9/callback"
    assert dev.settings(aid, permission="read", callbacks=cb + "\nhttps://two.example/cb").status_code == 200
    # OAuth 2.0: a listed callback is accepted, an unlisted one refused
    q = {"response_type": "code", "client_id": keys["client-id"], "scope": "tweet.read users.read follows.write",
         "state": "s", "code_challenge": "c" * 43, "code_challenge_method": "plain"}
    ok = requests.get(portal + "/i/oauth2/authorize", params=dict(q, redirect_uri=cb))
    assert ok.status_code == 200 and "Authorize access" in ok.text
    assert "follows.write" not in ok.text  # a Read app does not ask for write scopes
    bad = requests.get(portal + "/i/oauth2/authorize", params=dict(q, redirect_uri="https://evil.example/cb"))
    assert bad.status_code == 400
    # OAuth 1.0a: a Read app's token reads but cannot follow
    tok = dev.keys(aid, "gen_token")
    client = redirect(tweepy.Client(consumer_key=keys["api-key"], consumer_secret=keys["api-secret"],
                                    access_token=tok["access-token"], access_token_secret=tok["access-secret"]),
                      portal)
    target = client.get_user(username="XDevelopers", user_auth=True).data
    with pytest.raises(tweepy.Forbidden) as e:
        client.follow_user(target.id)
    assert "oauth1 app permissions" in str(e.value)
    page = dev.get(f"/portal/apps/{aid}/keys").text
    assert 'id="token-permission">Read<' in page and "token-stale" not in page
    # Read and write: a token keeps the level it was made with (as on X) until it is regenerated
    assert dev.settings(aid, permission="write", callbacks=cb).status_code == 200
    page = dev.get(f"/portal/apps/{aid}/keys").text
    assert 'id="token-permission">Read<' in page and "regenerate the token to write" in page
    with pytest.raises(tweepy.Forbidden):
        client.follow_user(target.id)
    tok = dev.keys(aid, "gen_token")
    client = redirect(tweepy.Client(consumer_key=keys["api-key"], consumer_secret=keys["api-secret"],
                                    access_token=tok["access-token"], access_token_secret=tok["access-secret"]),
                      portal)
    assert client.follow_user(target.id).data["following"] is True
    page = dev.get(f"/portal/apps/{aid}/keys").text
    assert 'id="token-permission">Read and write<' in page
    # back to Read: the write token is capped by the app at once
    assert dev.settings(aid, permission="read", callbacks=cb).status_code == 200
    assert "this token only reads" in dev.get(f"/portal/apps/{aid}/keys").text
    with pytest.raises(tweepy.Forbidden):
        client.unfollow_user(target.id)
    assert dev.settings(aid, permission="write", callbacks=cb).status_code == 200
    # the type of app: public clients have no secret
    assert dev.settings(aid, permission="write", client_type="public", callbacks=cb).status_code == 200
    page = dev.get(f"/portal/apps/{aid}/keys").text
    assert "no client secret" in page and "regen-client-secret" not in page


def test_usage_page_shows_what_the_limiter_counts(portal, portal_db):
    dev = Dev(portal)
    pid = dev.project(level="4")
    aid, keys = dev.app(pid)
    tok = dev.keys(aid, "gen_token")
    page = dev.get(f"/portal/apps/{aid}/usage")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'id="follows-app"><strong>0</strong> of 1000' in page.text
    assert 'id="follows-user"><strong>0</strong> of 400' in page.text
    for _ in range(3):
        r = requests.get(portal + "/2/users/by/username/XDevelopers",
                         headers={"Authorization": "Bearer " + keys["bearer-token"]})
        assert r.status_code == 200
    client = redirect(tweepy.Client(consumer_key=keys["api-key"], consumer_secret=keys["api-secret"],
                                    access_token=tok["access-token"], access_token_secret=tok["access-secret"]),
                      portal)
    assert client.follow_user(int(portal_db["public_user_id"])).data["following"] is True
    text = dev.get(f"/portal/apps/{aid}/usage").text
    assert 'id="follows-app"><strong>1</strong> of 1000' in text
    assert 'id="follows-user"><strong>1</strong> of 400' in text
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th>(<td>.*?</td><td>.*?</td>)</tr>', text))
    assert rows["Look up users by username"] == "<td>3 / 300</td><td>0 / 900</td>"
    assert rows["Follow a user"] == "<td>&mdash;</td><td>1 / 50</td>"
    assert '<svg id="chart"' in text and text.count('fill="#1d4ed8"/>') >= 9
    # another developer cannot read it
    assert Dev(portal).get(f"/portal/apps/{aid}/usage").status_code == 404


def test_every_form_is_logged_without_secrets(portal):
    password = "audit-" + secrets.token_hex(8)
    dev = Dev(portal, password=password)
    pid = dev.project()
    aid, keys = dev.app(pid)
    fresh = dev.keys(aid, "regen_bearer")
    tok = dev.keys(aid, "gen_token")
    assert dev.post(f"/portal/apps/{aid}/keys", {"action": "regen_bearer", "csrf": "forged"},
                    csrf=False).status_code == 403
    log = open(_servers["portal"].log.name).read()
    lines = [ln for ln in log.splitlines() if ln.startswith("followd portal: ")]
    assert any(f"POST /portal/apps/{aid}/keys action=regen_bearer status=200" in ln for ln in lines), lines[-5:]
    assert any(f"POST /portal/apps/{aid}/keys action=gen_token status=200" in ln for ln in lines)
    assert any(f"POST /portal/apps/{aid}/keys action=regen_bearer status=403" in ln for ln in lines)
    assert any("POST /portal/signup action=- status=303" in ln and "developer=0" not in ln for ln in lines)
    assert any(f"POST /portal/projects/{pid} action=create_app status=200" in ln for ln in lines)
    for secret in [password, keys["api-secret"], keys["bearer-token"], fresh["bearer-token"], tok["access-secret"],
                   tok["access-token"], dev.cookie()]:
        assert secret not in log


def test_three_legged_tokens_of_a_read_app_stay_read(portal):
    """/oauth/request_token of a Read app mints read tokens (whatever x_auth_access_type says), and they stay
    read after the app becomes Read and write, as on X; a token made afterwards writes."""
    import urllib.parse
    from test_oauth2_flow import CB, consent
    dev = Dev(portal)
    pid = dev.project(level="4")
    aid, keys = dev.app(pid)
    assert dev.settings(aid, permission="read", callbacks=CB).status_code == 200

    def three_legged(access_type=None):
        h = tweepy.OAuth1UserHandler(keys["api-key"], keys["api-secret"], callback=CB)
        h._get_oauth_url = lambda endpoint: f"{portal}/oauth/{endpoint}"
        url = h.get_authorization_url(access_type=access_type)
        r = consent(requests.Session(), url, dev.name, PASSWORD)
        assert r.status_code == 302, r.text
        verifier = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)["oauth_verifier"][0]
        token, secret = h.get_access_token(verifier)
        return redirect(tweepy.Client(consumer_key=keys["api-key"], consumer_secret=keys["api-secret"],
                                      access_token=token, access_token_secret=secret), portal)

    old = three_legged("write")
    target = old.get_user(username="XDevelopers", user_auth=True).data
    with pytest.raises(tweepy.Forbidden):
        old.follow_user(target.id)
    assert dev.settings(aid, permission="write", callbacks=CB).status_code == 200
    with pytest.raises(tweepy.Forbidden):
        old.follow_user(target.id)
    new = three_legged()
    assert new.follow_user(target.id).data["following"] is True
    assert new.unfollow_user(target.id).data["following"] is False


@pytest.mark.skipif(not PG, reason="sessions are shared by nodes only on PostgreSQL")
def test_sessions_and_sign_in_limits_hold_across_nodes(portal, portal_db):
    """Two nodes on one database: signed in through one, signed in on the other; signed out through the other,
    signed out on both; failed sign-ins counted on either node add up."""
    other = Server(portal_db["db"], "--portal-approval", "auto")
    try:
        dev = Dev(portal)
        assert dev.signed_in()
        on_b = Dev(other.url, name=dev.name, signup=False)
        on_b.s.cookies.set("fw_portal", dev.cookie())
        assert on_b.signed_in()
        pid = on_b.project(name="Made on B")  # CSRF token from B's page, session from A's sign-in
        assert "Made on B" in dev.get(f"/portal/projects/{pid}").text
        on_b.post("/portal/signout", {})
        assert not dev.signed_in()
        # three failures on A and two on B: the sixth attempt (right password) is refused on A
        a, b = Dev(portal, name=dev.name, signup=False), Dev(other.url, name=dev.name, signup=False)
        for d in (a, a, a, b, b):
            r = d.post_form("/portal/signin", {"username": dev.name, "password": "wrong password"})
            assert r.status_code == 400, r.text
        r = a.post_form("/portal/signin", {"username": dev.name, "password": PASSWORD})
        assert r.status_code == 429 and "Too many" in r.text
    finally:
        other.stop()
