"""followd migrate (issue 9, moving between stores): a demo database copied LMDB -> PostgreSQL, back, PostgreSQL ->
PostgreSQL and LMDB -> LMDB passes check on the target, exports byte for byte what the source exports, and the
source's credentials work there through real clients (app-only bearer, OAuth 2.0 user token, OAuth 1.0a); a
developer made on the source signs in to /portal on the target with the same password and sees the same projects
and apps; a failure part-way (a bad row, a kill -9) leaves the target as it was and a rerun succeeds; a non-empty
target is refused unless --overwrite."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest
import tweepy

from conftest import BIN, PG, Server, fresh_db, psql, run_cli
from test_portal import PASSWORD, Dev
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


DIRECTIONS = [
    pytest.param("lmdb", "pg", marks=pytest.mark.skipif(not PG, reason="needs PostgreSQL (FOLLOWD_STORE)")),
    pytest.param("pg", "lmdb", marks=pytest.mark.skipif(not PG, reason="needs PostgreSQL (FOLLOWD_STORE)")),
    pytest.param("pg", "pg", marks=pytest.mark.skipif(not PG, reason="needs PostgreSQL (FOLLOWD_STORE)")),
    pytest.param("lmdb", "lmdb", marks=pytest.mark.skipif(PG, reason="once, in the LMDB run")),
]


@pytest.mark.parametrize("src_kind,dst_kind", DIRECTIONS)
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


def portal_pages(url, name, pid, aid):
    """What a signed-in developer sees of its project and app (CSRF tokens blanked: they are per session)."""
    dev = Dev(url, name=name, signup=False)
    r = dev.post_form("/portal/signin", {"username": name, "password": PASSWORD})
    assert r.status_code == 200 and r.url.endswith("/portal"), r.text
    pages = [dev.get(p).text for p in ["/portal", f"/portal/projects/{pid}", f"/portal/apps/{aid}",
                                       f"/portal/apps/{aid}/keys"]]
    return [re.sub(r'name="csrf" value="[^"]+"', 'name="csrf" value=""', p) for p in pages]


@pytest.mark.parametrize("src_kind,dst_kind", DIRECTIONS)
def test_developer_portal_survives_migration(src_kind, dst_kind):
    src, dst = new_db(src_kind), new_db(dst_kind)
    run_cli("demo", "--json", "--users", "200", db=src)
    s = Server(src, "--portal-approval", "auto")
    try:
        dev = Dev(s.url)
        pid = dev.project(name="Migrated project", env="2", use_case="Moving stores")
        aid, _ = dev.app(pid, name="Migrated app")
        r = dev.settings(aid, permission="read", callbacks="https://cb.example/cb", website="https://site.example/")
        assert r.status_code == 200, r.text
        dev.keys(aid, "gen_token")  # the owner's own access token: recorded in the app's settings
        before = portal_pages(s.url, dev.name, pid, aid)
    finally:
        s.stop()
    assert "Migrated project" in before[0] and "https://site.example/" in before[2] and 'id="no-token"' not in before[3]
    p = cli("migrate", "--from", src, "--to", dst)
    assert p.returncode == 0, p.stderr
    assert "1 developers" in p.stderr, p.stderr
    assert "consistent" in run_cli("check", db=dst)
    s = Server(dst, "--portal-approval", "auto")
    try:
        # same password (the hash moved, not the password), same projects, apps, settings and token
        assert portal_pages(s.url, dev.name, pid, aid) == before
        wrong = Dev(s.url, name=dev.name, signup=False)
        r = wrong.post_form("/portal/signin", {"username": dev.name, "password": PASSWORD + "x"})
        assert not r.url.endswith("/portal")
    finally:
        s.stop()


def target_is_empty(dst, kind):
    if kind == "lmdb":
        assert not os.path.exists(dst + ".migrating")
        if not os.path.exists(os.path.join(dst, "data.mdb")):
            return
    assert run_cli("user", "list", db=dst).strip() == ""
    assert run_cli("app", "list", db=dst).strip() == ""
    assert "consistent" in run_cli("check", db=dst)


@pytest.mark.skipif(not PG, reason="needs PostgreSQL (FOLLOWD_STORE): the bad row is written with psql")
@pytest.mark.parametrize("dst_kind", ["pg", "lmdb"])
def test_a_bad_row_part_way_leaves_the_target_unchanged(dst_kind):
    src, dst = new_db("pg"), new_db(dst_kind)
    creds = json.loads(run_cli("demo", "--json", "--users", "300", db=src))
    # An app whose project is gone: the graph and the projects copy, then the app fails.
    psql(f"UPDATE fw_apps SET project_id = 4242 WHERE id = {creds['app_id']}", url=src)
    p = cli("migrate", "--from", src, "--to", dst)
    assert p.returncode == 1 and f"at app {creds['app_id']}" in p.stderr and "unchanged" in p.stderr, p.stderr
    target_is_empty(dst, dst_kind)
    # --overwrite over a live target: the failure keeps what the target held
    run_cli("app", "create", "--name", "keepme", "--project", "p", db=dst)
    p = cli("migrate", "--from", src, "--to", dst, "--overwrite")
    assert p.returncode == 1 and "unchanged" in p.stderr, p.stderr
    assert "keepme" in run_cli("app", "list", db=dst)
    assert "demo" not in run_cli("user", "list", db=dst)
    assert "consistent" in run_cli("check", db=dst)
    # fixed, the same command goes through
    psql("UPDATE fw_apps SET project_id = (SELECT min(id) FROM fw_projects) WHERE project_id = 4242", url=src)
    p = cli("migrate", "--from", src, "--to", dst, "--overwrite")
    assert p.returncode == 0, p.stderr
    assert "consistent" in run_cli("check", db=dst)
    assert "keepme" not in run_cli("app", "list", db=dst)
    clients_work(dst, creds)


@pytest.mark.skipif(PG, reason="once, in the LMDB run (the target is an LMDB directory)")
def test_kill_9_part_way_leaves_the_target_unchanged(tmp_path):
    src, dst = new_db("lmdb"), new_db("lmdb")
    creds = json.loads(run_cli("demo", "--json", "--users", "3000", db=src))
    old = json.loads(run_cli("demo", "--json", "--users", "200", db=dst))
    before = export(dst, tmp_path / "before")
    staged = dst + ".migrating"
    proc = subprocess.Popen([BIN, "migrate", "--from", src, "--to", dst, "--overwrite"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not os.path.exists(os.path.join(staged, "data.mdb")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()  # killed before it finished
    assert export(dst, tmp_path / "after") == before
    assert "consistent" in run_cli("check", db=dst)
    assert json.loads(run_cli("user", "show", "@demo", db=dst))["id"] == old["user_id"]
    # the rerun clears what the killed one left and replaces the target
    p = cli("migrate", "--from", src, "--to", dst, "--overwrite")
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(staged)
    assert export(dst, tmp_path / "new") == export(src, tmp_path / "src")
    clients_work(dst, creds)


@pytest.mark.skipif(not PG, reason="needs PostgreSQL (FOLLOWD_STORE)")
def test_kill_9_mid_copy_to_postgresql_leaves_the_target_unchanged(tmp_path):
    src, dst = new_db("lmdb"), new_db("pg")
    creds = json.loads(run_cli("demo", "--json", "--users", "3000", db=src))
    old = json.loads(run_cli("demo", "--json", "--users", "200", db=dst))
    before = export(dst, tmp_path / "before")
    proc = subprocess.Popen([BIN, "migrate", "--from", src, "--to", dst, "--overwrite"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Progress goes to a pipe one line per finished phase: once the tweets are written the one transaction has
    # emptied the target and copied users and tweets, and the relationships are being copied.
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "writing tweets" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL and "writing tweets" in seen[-1], seen  # killed mid-copy
    # the server rolls the transaction back when the client is gone: the target is as it was
    assert export(dst, tmp_path / "after") == before
    assert "consistent" in run_cli("check", db=dst)
    assert json.loads(run_cli("user", "show", "@demo", db=dst))["id"] == old["user_id"]
    assert psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'", url=dst).strip() == "0"
    p = cli("migrate", "--from", src, "--to", dst, "--overwrite")
    assert p.returncode == 0, p.stderr
    assert export(dst, tmp_path / "new") == export(src, tmp_path / "src")
    clients_work(dst, creds)


def test_a_directory_that_is_not_a_database_is_refused(tmp_path):
    src = new_db("lmdb")
    run_cli("demo", "--json", "--users", "200", db=src)
    (tmp_path / "keep.txt").write_text("mine")
    p = cli("migrate", "--from", src, "--to", tmp_path, "--overwrite")
    assert p.returncode == 1 and "not a database" in p.stderr, p.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
