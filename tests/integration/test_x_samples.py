"""Unmodified X clients against the plain-HTTP test server (issue 10): X's JavaScript sample flow
(oauth-1.0a + got, PIN, consumer-key-only access-token request) and newman running the seed's
Postman quick start (look up @XDevelopers, follow 2244994945, list following) with OAuth 1.0a."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import requests

from conftest import ROOT, run_cli, unique
from test_oauth2_flow import consent, user_with_password
from test_oauth1_x_shapes import XDEV

NODE_DIR = os.path.join(ROOT, "build", "node")
NODE_TESTS = os.path.join(ROOT, "tests", "integration", "node")


def need(*packages):
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    for p in packages:
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", p)):
            pytest.skip(f"npm package {p} not installed in build/node (scripts/deps.sh installs it)")


@pytest.fixture(scope="module")
def pin_app(demo):
    """No registered callback: X's samples use the PIN flow."""
    return json.loads(run_cli("app", "create", "--name", unique("jsapp"), "--access-level", "enterprise",
                              db=demo["db"]))


@pytest.mark.parametrize("access", ["write", "none", "read"])
def test_x_javascript_sample_pin_flow_then_follow(api, pin_app, demo, access):
    need("oauth-1.0a", "got")
    user = user_with_password(demo["db"])
    env = dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules"))
    p = subprocess.Popen(["node", os.path.join(NODE_TESTS, "x_sample_pin.js"), api, pin_app["consumer_key"],
                          pin_app["consumer_secret"], XDEV, access], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = p.stdout.readline()
        assert line.startswith("Please go here and authorize: "), line + p.stderr.read()
        url = line.split(": ", 1)[1].strip()
        assert url.startswith(api + "/oauth/authorize?oauth_token=")
        r = consent(requests.Session(), url, user[1], user[2])
        import re
        pin = re.search(r'id="pin"><code>(\d{7})</code>', r.text).group(1)
        out, err = p.communicate(pin + "\n", timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    res = json.loads(out)
    # What oauth-1.0a sent: the consumer key, no oauth_token (the sample signs the bare URL).
    assert "oauth_consumer_key=" in res["accessHeader"] and "oauth_token" not in res["accessHeader"]
    assert res["user_id"] == user[0] and res["screen_name"] == user[1]
    assert res["following"]["status"] == 200
    if access == "read":
        # A read-only token (x_auth_access_type=read): X's 403, nothing written.
        assert res["follow"]["status"] == 403
        assert res["follow"]["body"]["type"] == "https://api.twitter.com/2/problems/oauth1-permissions"
        assert "data" not in res["following"]["body"]
        return
    assert res["follow"] == {"status": 200, "body": {"data": {"following": True, "pending_follow": False}}}
    assert [u["id"] for u in res["following"]["body"]["data"]] == [XDEV]


def test_newman_runs_the_seed_postman_quick_start(api, demo):
    need("newman")
    uid = run_cli("user", "add", "--username", unique("pm"), "--name", "Postman User", db=demo["db"]).strip()
    tok = json.loads(run_cli("token", "oauth1", "--app", demo["app_id"], "--user", uid, db=demo["db"]))
    report = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    newman = os.path.join(NODE_DIR, "node_modules", "newman", "bin", "newman.js")
    args = ["node", newman, "run", os.path.join(NODE_TESTS, "quickstart.postman_collection.json"),
            "--reporters", "cli,json", "--reporter-json-export", report, "--bail", "--disable-unicode",
            "--env-var", f"base_url={api}", "--env-var", f"consumer_key={demo['consumer_key']}",
            "--env-var", f"consumer_secret={demo['consumer_secret']}",
            "--env-var", f"access_token={tok['access_token']}",
            "--env-var", f"token_secret={tok['access_token_secret']}", "--env-var", f"user_id={uid}"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=180)
    try:
        assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
        run = json.load(open(report))["run"]
    finally:
        os.unlink(report)
    assert run["stats"]["requests"] == {"total": 3, "pending": 0, "failed": 0}
    assert run["stats"]["assertions"]["total"] == 6 and run["stats"]["assertions"]["failed"] == 0
    # Every request really went out signed with OAuth 1.0a, to followd.
    for ex in run["executions"]:
        hdrs = {h["key"].lower(): h["value"] for h in ex["request"]["header"]}
        assert hdrs["authorization"].startswith("OAuth ") and f'oauth_token="{tok["access_token"]}' in \
            hdrs["authorization"].replace("%2D", "-")
    # And followd kept the follow.
    r = requests.get(f"{api}/2/users/{uid}/following", headers={"Authorization": "Bearer " + demo["bearer_token"]})
    assert [u["id"] for u in r.json()["data"]] == [XDEV]
