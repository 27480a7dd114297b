"""serve --intercept: followd listens on 127.0.0.1:443 (HTTPS, the local CA) and 127.0.0.1:80 and
a hosts file sends X's host names there, so unmodified clients with https://api.x.com compiled in
reach it. The test runs followd in a throw-away network namespace (only its own loopback) and
mount namespace (a temporary hosts file, written by `followd hosts add`, bind-mounted over
/etc/hosts there); the machine's /etc/hosts and network are never touched. The clients enter the
same namespaces with nsenter."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import PG, ROOT, Server, namespaces_unavailable, new_user, run_cli, unique
from unmodified_clients import newman_argv

CLIENTS = os.path.join(ROOT, "tests", "integration", "unmodified_clients.py")
NODE_DIR = os.path.join(ROOT, "build", "node")


@pytest.fixture(scope="module")
def intercept(demo):
    why = namespaces_unavailable()
    if PG:
        why = "the namespace has only its own loopback, so the server in it cannot reach the PostgreSQL cluster"
    if why:
        pytest.skip(why)
    work = tempfile.mkdtemp(prefix="followd-intercept-")
    tls = os.path.join(work, "tls")
    hosts = os.path.join(work, "hosts")
    shutil.copy("/etc/hosts", hosts)
    run_cli("hosts", "add", "--hosts-file", hosts)
    prefix = ["unshare", "-n", "-m", "sh", "-c",
              'ip link set lo up && mount --bind "$0" /etc/hosts && exec "$@"', hosts]
    s = Server(demo["db"], "--rate-limits", "off", "--intercept", "--tls-dir", tls, prefix=prefix)
    s.tls = tls
    s.enter = ["nsenter", "-t", str(s.proc.pid), "-n", "-m", "--"]
    yield s
    s.stop()
    shutil.rmtree(work, ignore_errors=True)


def run_in(ns, argv, env=None, timeout=120):
    return subprocess.run(ns.enter + argv, capture_output=True, text=True, timeout=timeout, env=env)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(extra)
    return env


def test_namespace_hosts_file_is_the_override(intercept):
    p = run_in(intercept, ["getent", "hosts", "api.x.com"])
    assert p.stdout.split()[0] == "127.0.0.1", p.stdout
    assert "followd" not in open("/etc/hosts").read()  # the machine's own file is untouched


def test_curl_https_http2_and_plain_http(intercept, demo):
    auth = "Authorization: Bearer " + demo["bearer_token"]
    ca = os.path.join(intercept.tls, "ca.pem")
    for url, version in (("https://api.x.com/2/users/by/username/XDevelopers", "2"),
                         ("https://api.twitter.com/2/users/by/username/XDevelopers", "2"),
                         ("http://api.twitter.com/2/users/by/username/XDevelopers", "1.1")):
        p = run_in(intercept, ["curl", "-sS", "--cacert", ca, "-H", auth, "-w", "\n%{http_code} %{http_version}", url],
                   env=clean_env())
        assert p.returncode == 0, (url, p.stderr)
        body, _, status = p.stdout.rpartition("\n")
        assert status == "200 " + version, (url, status)
        assert json.loads(body)["data"]["id"] == demo["celebrity_user_id"]


def test_oauth_pages_answer_on_the_hosts_clients_use(intercept):
    ca = os.path.join(intercept.tls, "ca.pem")
    for url in ("https://api.x.com/oauth/request_token", "https://api.twitter.com/oauth/request_token",
                "https://x.com/i/oauth2/authorize", "https://twitter.com/i/oauth2/authorize",
                "https://api.x.com/2/oauth2/token"):
        method = "GET" if "authorize" in url else "POST"
        p = run_in(intercept, ["curl", "-sS", "--cacert", ca, "-X", method, "-o", "/dev/null", "-w", "%{http_code}",
                               url], env=clean_env())
        assert p.returncode == 0, p.stderr
        assert p.stdout not in ("000", "404"), (url, p.stdout)


def test_unmodified_requests_and_tweepy(intercept, demo):
    uid = new_user(demo["db"], unique("ic"))
    tok = json.loads(run_cli("token", "oauth1", "--app", demo["app_id"], "--user", uid, db=demo["db"]))
    creds = dict(demo, access_token=tok["access_token"], access_token_secret=tok["access_token_secret"],
                 plain_http=True)
    p = run_in(intercept, ["/usr/bin/python3", CLIENTS, json.dumps(creds)],
               env=clean_env(REQUESTS_CA_BUNDLE=os.path.join(intercept.tls, "bundle.pem")))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    celeb = demo["celebrity_user_id"]
    assert out["requests"]["status"] == 200 and out["requests"]["body"]["data"]["id"] == celeb, out
    assert out["requests_http"]["status"] == 200, out
    assert out["tweepy_bearer"]["id"] == int(celeb), out
    t = out["tweepy_oauth1"]
    assert "error" not in t, t  # OAuth 1.0a signed over https://api.twitter.com verifies
    assert t["followed"] == {"following": True, "pending_follow": False}
    assert t["following"] == [int(celeb)]
    assert t["unfollowed"] == {"following": False}


def test_requests_without_the_ca_is_refused(intercept, demo):
    script = ("import requests\ntry:\n    requests.get('https://api.x.com/2/users/me', timeout=10)\n"
              "except requests.exceptions.SSLError:\n    print('ssl-error')\n")
    p = run_in(intercept, ["/usr/bin/python3", "-c", script], env=clean_env())
    assert p.stdout.strip() == "ssl-error", (p.stdout, p.stderr)


def test_node_twitter_api_v2(intercept, demo):
    if not shutil.which("node") or not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "twitter-api-v2")):
        pytest.skip("node or twitter-api-v2 not installed (scripts/deps.sh installs them when npm is reachable)")
    uid = new_user(demo["db"], unique("nd"))
    tok = json.loads(run_cli("token", "oauth1", "--app", demo["app_id"], "--user", uid, db=demo["db"]))
    script = """
const {TwitterApi} = require('twitter-api-v2');
const [bearer, appKey, appSecret, accessToken, accessSecret, target] = process.argv.slice(1);
(async () => {
  const u = await new TwitterApi(bearer).v2.userByUsername('XDevelopers');
  const user = new TwitterApi({appKey, appSecret, accessToken, accessSecret});
  const me = await user.v2.me();
  const followed = await user.v2.follow(me.data.id, target);
  const unfollowed = await user.v2.unfollow(me.data.id, target);
  console.log(JSON.stringify({lookup: u.data, me: me.data, followed: followed.data, unfollowed: unfollowed.data}));
})().catch(e => { console.error(e); process.exit(1); });
"""
    p = run_in(intercept, ["node", "-e", script, demo["bearer_token"], demo["consumer_key"], demo["consumer_secret"],
                           tok["access_token"], tok["access_token_secret"], demo["celebrity_user_id"]],
               env=clean_env(NODE_PATH=os.path.join(NODE_DIR, "node_modules"),
                             NODE_EXTRA_CA_CERTS=os.path.join(intercept.tls, "ca.pem")))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["lookup"]["id"] == demo["celebrity_user_id"]
    assert out["me"]["id"] == uid  # OAuth 1.0a signed over https://api.twitter.com
    assert out["followed"] == {"following": True, "pending_follow": False}
    assert out["unfollowed"] == {"following": False}


def test_newman_collection(intercept, demo, tmp_path):
    """newman with --ssl-extra-ca-certs and nothing else: the collection's https://api.x.com and
    https://api.twitter.com URLs, bearer and Postman's OAuth 1.0a signing."""
    newman = os.path.join(NODE_DIR, "node_modules", ".bin", "newman")
    if not shutil.which("node") or not os.path.exists(newman):
        pytest.skip("node or newman not installed (scripts/deps.sh installs them when npm is reachable)")
    uid = new_user(demo["db"], unique("nm"))
    tok = json.loads(run_cli("token", "oauth1", "--app", demo["app_id"], "--user", uid, db=demo["db"]))
    creds = dict(demo, access_token=tok["access_token"], access_token_secret=tok["access_token_secret"])
    report = str(tmp_path / "newman.json")
    p = run_in(intercept, newman_argv(newman, creds, uid, os.path.join(intercept.tls, "ca.pem"), report),
               env=clean_env(), timeout=180)
    run = json.load(open(report))["run"]
    failures = [(f["source"]["name"], f["error"]["message"]) for f in run["failures"]]
    assert p.returncode == 0 and not failures, (failures, p.stdout[-2000:], p.stderr[-2000:])
    assert run["stats"]["assertions"]["total"] == 4 and run["stats"]["assertions"]["failed"] == 0
