"""X's official TypeScript SDK (npm twitter-api-sdk 1.2.1), unmodified, against followd.

The SDK is pointed at followd with its documented options only: `new Client(auth, { base_url })` and, for
auth.OAuth2User's token calls, `request_options: { base_url }`. The drivers are tests/integration/node/sdk_*.mjs;
each prints JSON and these tests assert on it. generateAuthURL is the one place the SDK cannot be configured (it
hard-codes https://twitter.com/i/oauth2/authorize), so the test swaps that origin for followd's, as a deployment
would with DNS, and keeps the SDK's path and query untouched.
"""
import json
import os
import select
import shutil
import subprocess
import urllib.parse

import pytest
import requests

from conftest import ROOT, Server, new_user, run_cli, unique, user_token
from test_oauth2_flow import CB, consent, make_app, user_with_password

NODE_DIR = os.path.join(ROOT, "build", "node")
SDK_DIR = os.path.join(NODE_DIR, "node_modules", "twitter-api-sdk")
SCRIPTS = os.path.join(ROOT, "tests", "integration", "node")
SDK_VERSION = "1.2.1"
X_AUTHORIZE = "https://twitter.com/i/oauth2/authorize"


@pytest.fixture(scope="module")
def sdk():
    """Copies the drivers beside node_modules (ESM ignores NODE_PATH) once the pinned SDK is installed."""
    if not shutil.which("node") or not os.path.isdir(SDK_DIR):
        pytest.skip("node or twitter-api-sdk not installed (scripts/deps.sh installs them when npm is reachable)")
    with open(os.path.join(SDK_DIR, "package.json")) as f:
        assert json.load(f)["version"] == SDK_VERSION
    for name in os.listdir(SCRIPTS):
        if name.startswith("sdk") and name.endswith(".mjs"):
            shutil.copy(os.path.join(SCRIPTS, name), os.path.join(NODE_DIR, name))
    return NODE_DIR


def node(script, *args):
    p = subprocess.run(["node", os.path.join(NODE_DIR, script)] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def raised(outcome, status):
    """The SDK's TwitterResponseError for `status`, with X's JSON body; returns that body."""
    assert "raised" in outcome, outcome
    e = outcome["raised"]
    assert e["name"] == "TwitterResponseError" and e["status"] == status, e
    assert e["contentType"].startswith("application/") and "json" in e["contentType"], e
    return e["error"]


def test_app_only_lookups_fields_and_paginate(api, demo, sdk):
    out = node("sdk_app.mjs", api, demo["bearer_token"], demo["celebrity_user_id"], demo["public_user_id"])
    user = out["byId"]["data"]
    assert user["id"] == demo["celebrity_user_id"] and user["username"] == "XDevelopers"
    assert {"created_at", "description", "protected", "pinned_tweet_id", "public_metrics"} <= set(user)
    # expansions=pinned_tweet_id with tweet.fields=created_at lands in includes.tweets.
    pinned = out["byId"]["includes"]["tweets"][0]
    assert pinned["id"] == user["pinned_tweet_id"] and "created_at" in pinned
    assert out["byUsername"] == out["byId"]
    # Multi lookups: the SDK joins arrays with an encoded comma (ids=a%2Cb).
    assert [u["id"] for u in out["byIds"]["data"]] == [demo["celebrity_user_id"], demo["public_user_id"]]
    assert all(u["protected"] is False for u in out["byIds"]["data"])
    assert [u["username"] for u in out["byUsernames"]["data"]] == ["XDevelopers"]
    assert out["byUsernames"]["errors"][0]["value"] == "no_such_user_zz"
    # A 200 with only `errors` is returned, not raised: no data, X's resource-not-found problem.
    assert "data" not in out["unknown"]
    err = out["unknown"]["errors"][0]
    assert err["type"] == "https://api.twitter.com/2/problems/resource-not-found" and err["parameter"] == "username"
    # Awaiting the paginator is one page; iterating it follows meta.next_token until there is none.
    assert out["firstPage"]["count"] == 3 and out["firstPage"]["meta"]["result_count"] == 3
    assert out["firstPage"]["meta"]["next_token"]
    total = user["public_metrics"]["followers_count"]
    pages = out["pages"]
    assert total > 2000 and len(pages) == -(-total // 1000)
    assert all(p["count"] == p["meta"]["result_count"] for p in pages)
    assert all(p["count"] == 1000 and p["meta"]["next_token"] for p in pages[:-1])
    assert "next_token" not in pages[-1]["meta"] and "previous_token" in pages[-1]["meta"]
    assert out["distinctFollowers"] == total


def test_user_token_me_follow_unfollow(api, demo, sdk):
    name = unique("sdk")
    uid = new_user(demo["db"], name)
    token = user_token(demo["db"], demo["app_id"], uid)
    out = node("sdk_user.mjs", api, token, demo["public_user_id"], demo["protected_user_id"])
    assert out["me"]["data"]["id"] == uid and out["me"]["data"]["username"] == name
    assert out["me"]["data"]["protected"] is False and "created_at" in out["me"]["data"]
    assert out["followPublic"] == {"data": {"following": True, "pending_follow": False}}
    assert out["followProtected"] == {"data": {"following": False, "pending_follow": True}}
    # Only the accepted follow is listed; the protected account's request is pending.
    assert [u["id"] for u in out["following"]["data"]] == [demo["public_user_id"]]
    assert out["following"]["meta"]["result_count"] == 1
    assert out["unfollowPublic"] == {"data": {"following": False}}
    assert out["unfollowProtected"] == {"data": {"following": False}}
    assert out["followingAfter"] == {"meta": {"result_count": 0}}
    # Unfollowing the protected account withdrew the pending request (the demo users stay as they were).
    r = requests.get(f"{api}/2/users/{uid}/follow_requests/outgoing", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200 and r.json() == {"meta": {"result_count": 0}}


def test_errors_raise_twitter_response_error(api, demo, sdk):
    out = node("sdk_errors.mjs", api, demo["bearer_token"], demo["celebrity_user_id"])
    body = raised(out["badToken"], 401)
    assert body == {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
    body = raised(out["maxResults"], 400)
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert body["errors"][0]["parameters"] == {"max_results": ["5000"]}
    assert "not between 1 and 1000" in body["errors"][0]["message"]
    for key in ("meWithAppBearer", "followWithAppBearer"):
        body = raised(out[key], 403)
        assert body["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"
        assert body["title"] == "Unsupported Authentication" and body["status"] == 403
    body = raised(out["badId"], 400)
    assert body["errors"][0]["parameters"] == {"id": ["abc"]}
    unknown = out["unknownId"]["ok"]
    assert "data" not in unknown and unknown["errors"][0]["resource_id"] == "1"


def test_rate_limit_error_and_sdk_retry(demo, sdk):
    """max_retries 0: the 429 is raised with x-rate-limit-remaining 0. max_retries 1: the SDK sleeps until
    x-rate-limit-reset (rounded up to the second by followd, so the retry lands in the next window)."""
    app = json.loads(run_cli("app", "create", "--name", unique("sdkrl"), db=demo["db"]))
    srv = Server(demo["db"], "--limits", "lookup.app_15min=1,lookup.window_s=3")
    try:
        out = node("sdk_ratelimit.mjs", srv.url, app["bearer_token"], demo["celebrity_user_id"])
    finally:
        srv.stop()
    assert out["first"]["ok"]["meta"]["result_count"] == 1
    body = raised(out["limited"], 429)
    assert body["title"] == "Too Many Requests" and body["status"] == 429
    assert out["limited"]["raised"]["rateLimitRemaining"] == "0"
    assert out["retried"]["ok"]["data"] == out["first"]["ok"]["data"]
    assert 0 < out["waitedMs"] < 10_000


def read_line(p, timeout):
    ready, _, _ = select.select([p.stdout], [], [], timeout)
    assert ready, "node driver printed nothing"
    line = p.stdout.readline()
    assert line, p.stderr.read()
    return json.loads(line)


@pytest.mark.parametrize("public", [False, True], ids=["confidential", "public"])
def test_oauth2_user_pkce_refresh_revoke(api, demo, sdk, public):
    app = make_app(demo["db"], public=public)
    user = user_with_password(demo["db"])
    p = subprocess.Popen(["node", os.path.join(NODE_DIR, "sdk_oauth2.mjs"), api, app["client_id"],
                          app.get("client_secret", "-"), CB],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = read_line(p, 60)["authorize_url"]
        assert url.startswith(X_AUTHORIZE + "?")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert q["code_challenge_method"] == ["s256"] and len(q["code_challenge"][0]) == 43
        assert q["client_id"] == [app["client_id"]] and q["redirect_uri"] == [CB] and q["state"] == ["sdk-state"]
        r = consent(requests.Session(), api + url[len("https://twitter.com"):], user[1], user[2])
        assert r.status_code == 302, r.text
        assert r.headers["location"].startswith(CB + "?")
        stdout, stderr = p.communicate(r.headers["location"] + "\n", timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, stderr
    out = json.loads(stdout)
    scope = "tweet.read users.read follows.read follows.write offline.access"
    assert out["state"] == "sdk-state"
    for tok in (out["token"], out["refreshed"]):
        assert tok["token_type"] == "bearer" and tok["scope"] == scope
        assert tok["has_access"] and tok["has_refresh"] and 7100 <= tok["expires_in_s"] <= 7200
    for key in ("me", "meAfterRefresh", "meAutoRefresh"):
        assert out[key]["data"] == {"id": user[0], "name": user[1].title(), "username": user[1]}, key
    assert raised(out["codeReused"], 400)["error"] == "invalid_grant"
    assert out["rotated"] and out["autoRefreshed"]
    assert raised(out["spentRefresh"], 400)["error"] == "invalid_grant"
    assert out["revokeAccess"] == {"revoked": True}
    assert raised(out["meAfterRevoke"], 401)["title"] == "Unauthorized"
    assert out["revokeRefresh"] == {"revoked": True}
    assert raised(out["refreshAfterRevoke"], 400)["error"] == "invalid_grant"
