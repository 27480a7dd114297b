"""twitter-api-v2 (npm) reads followd's responses and rate-limit headers."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, Server, run_cli, unique

NODE_DIR = os.path.join(ROOT, "build", "node")


def test_twitter_api_v2_rate_limit_fields(demo):
    if not shutil.which("node") or not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "twitter-api-v2")):
        pytest.skip("node or twitter-api-v2 not installed (scripts/deps.sh installs them when npm is reachable)")
    app = json.loads(run_cli("app", "create", "--name", unique("node"), db=demo["db"]))
    srv = Server(demo["db"], "--limits", "users.app_15min=4,lookup.app_15min=10")
    try:
        env = dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules"))
        script = os.path.join(ROOT, "tests", "integration", "node", "ratelimit.mjs")
        # ESM ignores NODE_PATH: run the script from a copy inside build/node.
        shutil.copy(script, os.path.join(NODE_DIR, "ratelimit.mjs"))
        p = subprocess.run(["node", os.path.join(NODE_DIR, "ratelimit.mjs"), srv.url, app["bearer_token"],
                            demo["celebrity_user_id"]], capture_output=True, text=True, timeout=120, env=env)
        assert p.returncode == 0, p.stderr
        out = json.loads(p.stdout)
    finally:
        srv.stop()
    assert out["username"] == "XDevelopers"
    assert out["rateLimit"]["limit"] == 4 and out["rateLimit"]["remaining"] == 3
    assert out["rateLimit"]["reset"] > 1_600_000_000
    assert out["firstPage"] == 5 and out["afterNext"] == 10
    assert out["code"] == 429
    assert out["errorRateLimit"]["remaining"] == 0 and out["rateLimitError"] is True


def test_twitter_api_v2_oauth1_follow(api, demo):
    if not shutil.which("node") or not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "twitter-api-v2")):
        pytest.skip("node or twitter-api-v2 not installed (scripts/deps.sh installs them when npm is reachable)")
    shutil.copy(os.path.join(ROOT, "tests", "integration", "node", "oauth1.mjs"), os.path.join(NODE_DIR, "oauth1.mjs"))
    p = subprocess.run(["node", os.path.join(NODE_DIR, "oauth1.mjs"), api, demo["consumer_key"],
                        demo["consumer_secret"], demo["access_token"], demo["access_token_secret"],
                        demo["public_user_id"]], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["me"]["username"] == "demo"
    assert out["followed"] == {"following": True, "pending_follow": False}
    assert out["unfollowed"] == {"following": False}
