"""OAuth 1.0a as X accepts it (issue 10), driven the way X's own samples drive it:

* X's Python samples (xdevplatform/samples python/users/*.py) call requests_oauthlib's
  OAuth1Session(consumer_key, client_secret=...) with no callback_uri, so oauthlib sends no
  oauth_callback at all (oauthlib/oauth1/rfc5849/__init__.py: only `if self.callback_uri`). X then
  uses the app's registered callback, or the PIN flow when the app has none.
* X's JavaScript samples (oauth-1.0a + got) sign POST /oauth/access_token with the consumer key only
  over the URL without its query, then send ?oauth_verifier=PIN&oauth_token=REQUEST_TOKEN.
* x_auth_access_type=read|write on request_token sets the access token's level.
Every other check stays strict; the abuse cases below must all fail."""
import re
import urllib.parse

import oauthlib.oauth1
import pytest
import requests
from requests_oauthlib import OAuth1, OAuth1Session

from conftest import new_user, run_cli, unique
from test_oauth2_flow import CB, consent, make_app, user_with_password

XDEV = "2244994945"  # the seed: "the user ID for @XDevelopers is 2244994945"


@pytest.fixture(scope="module")
def app(demo):
    return make_app(demo["db"])


@pytest.fixture(scope="module")
def pin_app(demo):
    """An app with no registered callback URL: X falls back to the PIN flow."""
    import json
    return json.loads(run_cli("app", "create", "--name", unique("pinapp"), "--access-level", "enterprise",
                              db=demo["db"]))


@pytest.fixture(scope="module")
def other_app(demo):
    return make_app(demo["db"])


@pytest.fixture
def user(demo):
    return user_with_password(demo["db"])


def request_token(api, app, **query):
    """POST /oauth/request_token exactly as X's Python samples do (no callback_uri)."""
    url = api + "/oauth/request_token"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    s = OAuth1Session(app["consumer_key"], client_secret=app["consumer_secret"])
    return s, s.fetch_request_token(url)


def pin_of(r):
    assert r.status_code == 200 and "location" not in r.headers, r.text
    return re.search(r'id="pin"><code>(\d{7})</code>', r.text).group(1)


def approve_pin(api, app, user, **query):
    s, rt = request_token(api, app, **query)
    return rt, pin_of(consent(requests.Session(), s.authorization_url(api + "/oauth/authorize"), user[1], user[2]))


def approve_redirect(api, app, user):
    s, rt = request_token(api, app)
    r = consent(requests.Session(), s.authorization_url(api + "/oauth/authorize"), user[1], user[2])
    assert r.status_code == 302, r.text
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)
    return rt, q["oauth_verifier"][0]


def consumer_only(api, app, rt_token, verifier, secret=None, sign_query=False, key=None):
    """POST /oauth/access_token?oauth_verifier=..&oauth_token=.. signed with the consumer key only,
    as oauth-1.0a builds it for X's JavaScript samples (sign_query=False: the query is not signed)."""
    base = api + "/oauth/access_token"
    url = base + "?" + urllib.parse.urlencode({"oauth_verifier": verifier, "oauth_token": rt_token})
    client = oauthlib.oauth1.Client(key or app["consumer_key"], client_secret=secret or app["consumer_secret"])
    _, headers, _ = client.sign(url if sign_query else base, "POST")
    assert "oauth_token" not in headers["Authorization"]
    return requests.post(url, headers={"Authorization": headers["Authorization"]})


def code_of(r):
    return r.json()["errors"][0]["code"]


# ---- request_token without oauth_callback ---------------------------------------------------------


def test_x_python_sample_pin_flow_without_callback_then_follow(api, pin_app, user):
    """X's Python sample, step by step: no callback_uri, PIN, fetch_access_token, then a follow."""
    s, rt = request_token(api, pin_app)
    assert rt["oauth_callback_confirmed"] == "true"
    auth_url = s.authorization_url(api + "/oauth/authorize")
    pin = pin_of(consent(requests.Session(), auth_url, user[1], user[2]))
    s = OAuth1Session(pin_app["consumer_key"], client_secret=pin_app["consumer_secret"],
                      resource_owner_key=rt["oauth_token"], resource_owner_secret=rt["oauth_token_secret"],
                      verifier=pin)
    tokens = s.fetch_access_token(api + "/oauth/access_token")
    assert tokens["user_id"] == user[0] and tokens["screen_name"] == user[1]
    s = OAuth1Session(pin_app["consumer_key"], client_secret=pin_app["consumer_secret"],
                      resource_owner_key=tokens["oauth_token"], resource_owner_secret=tokens["oauth_token_secret"])
    r = s.post(f"{api}/2/users/{user[0]}/following", json={"target_user_id": XDEV})
    assert r.status_code == 200 and r.json() == {"data": {"following": True, "pending_follow": False}}
    assert r.headers["x-access-level"] == "read-write-directmessages"
    r = s.get(f"{api}/2/users/{user[0]}/following")
    assert [u["id"] for u in r.json()["data"]] == [XDEV]


def test_request_token_without_callback_uses_the_registered_callback(api, app, user):
    rt, verifier = approve_redirect(api, app, user)
    assert verifier and not verifier.isdigit()  # a redirect verifier, not a 7-digit PIN
    s = OAuth1Session(app["consumer_key"], client_secret=app["consumer_secret"],
                      resource_owner_key=rt["oauth_token"], resource_owner_secret=rt["oauth_token_secret"],
                      verifier=verifier)
    assert s.fetch_access_token(api + "/oauth/access_token")["user_id"] == user[0]


def test_request_token_without_callback_uses_the_first_registered_callback(api, demo, user):
    import json
    first, second = "http://127.0.0.1:9/first", "myapp://second"
    two = json.loads(run_cli("app", "create", "--name", unique("twocb"), "--access-level", "enterprise",
                             "--redirect-uri", first, "--redirect-uri", second, db=demo["db"]))
    s, rt = request_token(api, two)
    r = consent(requests.Session(), s.authorization_url(api + "/oauth/authorize"), user[1], user[2])
    assert r.status_code == 302 and r.headers["location"].startswith(first + "?oauth_token=" + rt["oauth_token"])
    # The second one is still usable when asked for explicitly.
    r = requests.post(api + "/oauth/request_token",
                      auth=OAuth1(two["consumer_key"], two["consumer_secret"], callback_uri=second))
    assert r.status_code == 200


def test_request_token_without_callback_keeps_every_other_check(api, app):
    r = requests.post(api + "/oauth/request_token", auth=OAuth1(app["consumer_key"], "wrong"))
    assert r.status_code == 401 and code_of(r) == 32
    r = requests.post(api + "/oauth/request_token", auth=OAuth1("unknown", app["consumer_secret"]))
    assert r.status_code == 401 and code_of(r) == 32
    # An explicit callback must still be registered.
    r = requests.post(api + "/oauth/request_token",
                      auth=OAuth1(app["consumer_key"], app["consumer_secret"], callback_uri="http://evil.example/"))
    assert r.status_code == 403 and code_of(r) == 415


# ---- access_token signed with the consumer key only -----------------------------------------------


@pytest.mark.parametrize("sign_query", [False, True])
def test_access_token_consumer_only(api, pin_app, user, sign_query):
    rt, pin = approve_pin(api, pin_app, user)
    r = consumer_only(api, pin_app, rt["oauth_token"], pin, sign_query=sign_query)
    assert r.status_code == 200, r.text
    q = urllib.parse.parse_qs(r.text)
    assert q["user_id"] == [user[0]] and q["screen_name"] == [user[1]]
    assert q["oauth_token"][0].startswith(user[0] + "-")
    # The token works, and the verifier was single use.
    s = OAuth1Session(pin_app["consumer_key"], client_secret=pin_app["consumer_secret"],
                      resource_owner_key=q["oauth_token"][0], resource_owner_secret=q["oauth_token_secret"][0])
    assert s.get(api + "/2/users/me").json()["data"]["id"] == user[0]
    r = consumer_only(api, pin_app, rt["oauth_token"], pin, sign_query=sign_query)
    assert r.status_code == 401 and code_of(r) == 89


def test_access_token_consumer_only_in_a_signed_form_body(api, pin_app, user):
    """The same shape with the request token and verifier in a signed form body (RFC 5849 style)."""
    rt, pin = approve_pin(api, pin_app, user)
    r = requests.post(api + "/oauth/access_token", data={"oauth_token": rt["oauth_token"], "oauth_verifier": pin},
                      auth=OAuth1(pin_app["consumer_key"], pin_app["consumer_secret"]))
    assert r.status_code == 200 and urllib.parse.parse_qs(r.text)["user_id"] == [user[0]]
    # The body is signed: tampering with it breaks the signature (and does not burn the token).
    rt, pin = approve_pin(api, pin_app, user)
    req = requests.Request("POST", api + "/oauth/access_token",
                           data={"oauth_token": rt["oauth_token"], "oauth_verifier": pin},
                           auth=OAuth1(pin_app["consumer_key"], pin_app["consumer_secret"])).prepare()
    req.body = urllib.parse.urlencode({"oauth_token": rt["oauth_token"], "oauth_verifier": pin, "x": "1"})
    req.headers["Content-Length"] = str(len(req.body))
    r = requests.Session().send(req)
    assert r.status_code == 401 and code_of(r) == 32
    assert consumer_only(api, pin_app, rt["oauth_token"], pin).status_code == 200


def test_consumer_only_verifier_of_another_request_token(api, pin_app, user):
    rt_a, pin_a = approve_pin(api, pin_app, user)
    rt_b, pin_b = approve_pin(api, pin_app, user)
    assert pin_a != pin_b or rt_a["oauth_token"] != rt_b["oauth_token"]
    if pin_a == pin_b:
        pytest.skip("two random 7-digit PINs collided")
    r = consumer_only(api, pin_app, rt_a["oauth_token"], pin_b)
    assert r.status_code == 401 and code_of(r) == 32
    # A wrong verifier burns the request token it was tried on, and only that one.
    assert code_of(consumer_only(api, pin_app, rt_a["oauth_token"], pin_a)) == 89
    assert consumer_only(api, pin_app, rt_b["oauth_token"], pin_b).status_code == 200


def test_consumer_only_reused_verifier(api, pin_app, user):
    rt, pin = approve_pin(api, pin_app, user)
    assert consumer_only(api, pin_app, rt["oauth_token"], pin).status_code == 200
    r = consumer_only(api, pin_app, rt["oauth_token"], pin)
    assert r.status_code == 401 and code_of(r) == 89
    # Nor does the header-token shape get a second access token.
    s = OAuth1Session(pin_app["consumer_key"], client_secret=pin_app["consumer_secret"],
                      resource_owner_key=rt["oauth_token"], resource_owner_secret=rt["oauth_token_secret"],
                      verifier=pin)
    with pytest.raises(Exception):
        s.fetch_access_token(api + "/oauth/access_token")


def test_consumer_only_wrong_consumer_and_bad_signature(api, pin_app, other_app, user):
    rt, pin = approve_pin(api, pin_app, user)
    # Another app's (validly signed) consumer key: not that request token's app.
    r = consumer_only(api, other_app, rt["oauth_token"], pin)
    assert r.status_code == 401 and code_of(r) == 32
    # The right consumer key with a wrong secret: a bad signature, with and without the query signed.
    for sign_query in (False, True):
        r = consumer_only(api, pin_app, rt["oauth_token"], pin, secret="not-the-secret", sign_query=sign_query)
        assert r.status_code == 401 and code_of(r) == 32
    # The request token's secret is no consumer secret either.
    r = consumer_only(api, pin_app, rt["oauth_token"], pin, secret=rt["oauth_token_secret"])
    assert r.status_code == 401 and code_of(r) == 32
    # An unknown consumer key.
    r = consumer_only(api, pin_app, rt["oauth_token"], pin, key="unknown-key")
    assert r.status_code == 401 and code_of(r) == 32
    # None of these burnt the request token: the real app still completes the flow.
    assert consumer_only(api, pin_app, rt["oauth_token"], pin).status_code == 200


def test_consumer_only_needs_a_verifier_and_an_approved_token(api, pin_app, user):
    s, rt = request_token(api, pin_app)
    # Not approved yet.
    r = consumer_only(api, pin_app, rt["oauth_token"], "1234567")
    assert r.status_code == 401 and code_of(r) == 89
    # Unknown request token.
    r = consumer_only(api, pin_app, "nosuchrequesttoken", "1234567")
    assert r.status_code == 401 and code_of(r) == 89
    # Oversized or odd request tokens from the unsigned query: a clean 401, never a crash.
    for tok in ["A" * 4000, "\x00", ""]:
        r = consumer_only(api, pin_app, tok, "1234567")
        assert r.status_code == 401 and code_of(r) == 89, len(tok)
    r = consumer_only(api, pin_app, "x" * 5000, "1234567")  # over the parameter size limit
    assert r.status_code == 401 and code_of(r) == 32
    # No verifier at all (signed over the URL with only oauth_token).
    rt, pin = approve_pin(api, pin_app, user)
    base = api + "/oauth/access_token"
    url = base + "?oauth_token=" + rt["oauth_token"]
    _, h, _ = oauthlib.oauth1.Client(pin_app["consumer_key"], client_secret=pin_app["consumer_secret"]).sign(
        base, "POST")
    r = requests.post(url, headers=h)
    assert r.status_code == 401 and code_of(r) == 32
    # A replayed consumer-only header is refused (nonce), even with another query.
    rt, pin = approve_pin(api, pin_app, user)
    _, h, _ = oauthlib.oauth1.Client(pin_app["consumer_key"], client_secret=pin_app["consumer_secret"]).sign(
        base, "POST")
    q = "?" + urllib.parse.urlencode({"oauth_verifier": pin, "oauth_token": rt["oauth_token"]})
    assert requests.post(base + q, headers=h).status_code == 200
    rt2, pin2 = approve_pin(api, pin_app, user)
    q2 = "?" + urllib.parse.urlencode({"oauth_verifier": pin2, "oauth_token": rt2["oauth_token"]})
    r = requests.post(base + q2, headers=h)
    assert r.status_code == 401 and code_of(r) == 32
    assert consumer_only(api, pin_app, rt2["oauth_token"], pin2).status_code == 200


# ---- x_auth_access_type -------------------------------------------------------------------------

OAUTH1_PERMISSIONS = (
    '{\n  "title": "Forbidden",\n  "status": 403,\n  "detail": "Your client app is not configured with the '
    'appropriate oauth1 app permissions for this endpoint.",\n  "type": '
    '"https://api.twitter.com/2/problems/oauth1-permissions"\n}')


def access_session(api, app, user, **query):
    rt, pin = approve_pin(api, app, user, **query)
    s = OAuth1Session(app["consumer_key"], client_secret=app["consumer_secret"],
                      resource_owner_key=rt["oauth_token"], resource_owner_secret=rt["oauth_token_secret"],
                      verifier=pin)
    t = s.fetch_access_token(api + "/oauth/access_token")
    return OAuth1Session(app["consumer_key"], client_secret=app["consumer_secret"],
                         resource_owner_key=t["oauth_token"], resource_owner_secret=t["oauth_token_secret"])


def test_read_access_token_cannot_write(api, demo, pin_app, user):
    s = access_session(api, pin_app, user, x_auth_access_type="read")
    r = s.get(api + "/2/users/me")
    assert r.status_code == 200 and r.json()["data"]["id"] == user[0]
    assert r.headers["x-access-level"] == "read"
    r = s.get(f"{api}/2/users/{XDEV}/followers", params={"max_results": 5})
    assert r.status_code == 200 and len(r.json()["data"]) == 5
    r = s.post(f"{api}/2/users/{user[0]}/following", json={"target_user_id": XDEV})
    assert r.status_code == 403 and r.text == OAUTH1_PERMISSIONS
    assert r.headers["content-type"] == "application/problem+json"
    r = s.delete(f"{api}/2/users/{user[0]}/following/{XDEV}")
    assert r.status_code == 403 and r.text == OAUTH1_PERMISSIONS
    # Nothing was written.
    r = s.get(f"{api}/2/users/{user[0]}/following")
    assert r.status_code == 200 and "data" not in r.json()


def test_consent_page_shows_the_level(api, pin_app):
    for level, writes in [("read", False), ("write", True), (None, True)]:
        s, _ = request_token(api, pin_app, **({"x_auth_access_type": level} if level else {}))
        page = requests.get(s.authorization_url(api + "/oauth/authorize")).text
        assert "Read your profile" in page
        assert ("Follow and unfollow accounts for you." in page) == writes, level


def test_write_access_token_can_write(api, pin_app, user):
    s = access_session(api, pin_app, user, x_auth_access_type="write")
    r = s.post(f"{api}/2/users/{user[0]}/following", json={"target_user_id": XDEV})
    assert r.status_code == 200 and r.json()["data"]["following"] is True
    assert r.headers["x-access-level"] == "read-write-directmessages"
    r = s.delete(f"{api}/2/users/{user[0]}/following/{XDEV}")
    assert r.status_code == 200 and r.json() == {"data": {"following": False}}


def test_access_type_travels_with_the_consumer_only_shape_and_bad_values(api, pin_app, user):
    rt, pin = approve_pin(api, pin_app, user, x_auth_access_type="read")
    r = consumer_only(api, pin_app, rt["oauth_token"], pin)
    q = urllib.parse.parse_qs(r.text)
    s = OAuth1Session(pin_app["consumer_key"], client_secret=pin_app["consumer_secret"],
                      resource_owner_key=q["oauth_token"][0], resource_owner_secret=q["oauth_token_secret"][0])
    assert s.post(f"{api}/2/users/{user[0]}/following", json={"target_user_id": XDEV}).status_code == 403
    for bad in ["READ", "readwrite", "", "read-write-directmessages"]:
        url = api + "/oauth/request_token?" + urllib.parse.urlencode({"x_auth_access_type": bad})
        r = requests.post(url, auth=OAuth1(pin_app["consumer_key"], pin_app["consumer_secret"], callback_uri="oob"))
        assert r.status_code == 400 and r.json() == {
            "errors": [{"code": 44, "message": "x_auth_access_type parameter is invalid."}]}, bad
