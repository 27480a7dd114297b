"""followd migrate (issue 9, moving between stores): a demo database copied LMDB -> PostgreSQL, back, PostgreSQL ->
PostgreSQL and LMDB -> LMDB passes check on the target, exports byte for byte what the source exports, and the
source's credentials work there through real clients (app-only bearer, OAuth 2.0 user token, OAuth 1.0a); a
non-empty target is refused unless --overwrite."""
import json
import subprocess
import tempfile

import pytest
import tweepy

from conftest import BIN, PG, Server, fresh_db, run_cli
from test_tweepy import redirect

NAMES = ["users.jsonl", "tweets.jsonl", "follows.csv", "requests.csv"]


def cli(*args):
    return subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True, timeout=600)


def new_db(kind):
    """A new, empty database of the given kind (PostgreSQL only when that store is under test)."""
    return fresh_db() if kind == "pg" else tempfile.mkdtemp(prefix="followd-mig-")


def export(db, d):
    d.mkdir()
    p = cli("export", "--db", db, *sum([[f"--{n.split('.')[0]}", str(d / n)] for n in NAMES], []))
    assert p.returncode == 0, p.stderr
    return {n: (d / n).read_bytes() for n in NAMES}


def clients_work(db, creds):
    """The source's credentials, used by tweepy against a server on the migrated database."""
    s = Server(db, "--rate-limits", "off")
    try:
        app = redirect(tweepy.Client(bearer_token=creds["bearer_token"]), s.url)
        u = app.get_user(username="XDevelopers", user_fields=["public_metrics"])
        assert u.data.id == int(creds["celebrity_user_id"])
        assert u.data.public_metrics["followers_count"] > 0
        pages = list(tweepy.Paginator(app.get_users_followers, creds["celebrity_user_id"], max_results=100, limit=2))
        assert len(pages) == 2 and all(p.data for p in pages)  # a next_token minted there pages on here
        o2 = redirect(tweepy.Client(bearer_token=creds["user_access_token"]), s.url)
        assert o2.get_me(user_auth=False).data.username == "demo"
        o1 = redirect(tweepy.Client(consumer_key=creds["consumer_key"], consumer_secret=creds["consumer_secret"],
                                    access_token=creds["access_token"],
                                    access_token_secret=creds["access_token_secret"]), s.url)
        assert o1.get_me(user_auth=True).data.username == "demo"
        r = o1.follow_user(creds["public_user_id"], user_auth=True)
        assert r.errors == [] and "following" in r.data
        with pytest.raises(tweepy.Unauthorized):
            redirect(tweepy.Client(bearer_token=creds["bearer_token"][:-4] + "AAAA"), s.url).get_user(
                username="XDevelopers")
    finally:
        s.stop()


@pytest.mark.parametrize("src_kind,dst_kind", [
    pytest.param("lmdb", "pg", marks=pytest.mark.skipif(not PG, reason="needs PostgreSQL (FOLLOWD_STORE)")),
    pytest.param("pg", "lmdb", marks=pytest.mark.skipif(not PG, reason="needs PostgreSQL (FOLLOWD_STORE)")),
    pytest.param("pg", "pg", marks=pytest.mark.skipif(not PG, reason="needs PostgreSQL (FOLLOWD_STORE)")),
    pytest.param("lmdb", "lmdb", marks=pytest.mark.skipif(PG, reason="once, in the LMDB run")),
])
def test_migrate_copies_everything_and_credentials_keep_working(tmp_path, src_kind, dst_kind):
    src, dst = new_db(src_kind), new_db(dst_kind)
    creds = json.loads(run_cli("demo", "--json", "--users", "400", db=src))
    # A revoked token stays revoked on the target.
    tok = run_cli("token", "user", "--app", creds["app_id"], "--user", creds["user_id"], db=src).strip()
    run_cli("token", "revoke", tok, db=src)
    p = cli("migrate", "--from", src, "--to", dst)
    assert p.returncode == 0, p.stderr
    assert "migrated 4" in p.stderr and "1 apps" in p.stderr and "1 passwords" in p.stderr, p.stderr
    assert "consistent" in run_cli("check", db=dst)
    assert export(src, tmp_path / "a") == export(dst, tmp_path / "b")
    assert json.loads(run_cli("user", "show", "@demo", db=dst)) == json.loads(run_cli("user", "show", "@demo", db=src))
    assert run_cli("app", "list", db=dst) == run_cli("app", "list", db=src)
    clients_work(dst, creds)
    s = Server(dst, "--rate-limits", "off")
    try:
        with pytest.raises(tweepy.Unauthorized):
            redirect(tweepy.Client(bearer_token=tok), s.url).get_me(user_auth=False)
    finally:
        s.stop()
    # New ids on the target never collide with migrated ones.
    uid = run_cli("user", "add", "--username", "after_mig", "--name", "After", db=dst).strip()
    assert int(uid) > max(int(json.loads(l)["id"]) for l in open(tmp_path / "a" / "users.jsonl"))
    assert "consistent" in run_cli("check", db=dst)


@pytest.mark.skipif(not PG, reason="needs PostgreSQL (FOLLOWD_STORE)")
def test_non_empty_target_is_refused_unless_overwrite(tmp_path):
    src, dst = new_db("lmdb"), new_db("pg")
    creds = json.loads(run_cli("demo", "--json", "--users", "300", db=src))
    run_cli("app", "create", "--name", "other", "--project", "p", db=dst)  # apps alone make it non-empty
    p = cli("migrate", "--from", src, "--to", dst)
    assert p.returncode == 1 and "not empty" in p.stderr and "--overwrite" in p.stderr
    assert "demo" not in run_cli("user", "list", db=dst)
    p = cli("migrate", "--from", src, "--to", dst, "--overwrite")
    assert p.returncode == 0, p.stderr
    assert "consistent" in run_cli("check", db=dst)
    assert "other" not in run_cli("app", "list", db=dst)
    clients_work(dst, creds)
    p = cli("migrate", "--from", src, "--to", src)
    assert p.returncode == 2 and "same database" in p.stderr


def test_migrate_usage():
    p = cli("migrate", "--help")
    assert p.returncode == 0 and "usage: followd migrate" in p.stdout and "--overwrite" in p.stdout
    assert cli("migrate", "--from", "x").returncode == 2
