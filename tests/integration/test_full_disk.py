"""A full disk (ENOSPC on a 4 MiB tmpfs): writes answer X's 503, reads keep working, nothing is half-applied,
and writes succeed again by themselves once there is room. A full map (MDB_MAP_FULL) takes the same
FW_EFULL path; tests/unit/test_store.c fills a 512 KiB map (test_map_full)."""
import json
import os
import subprocess
import tempfile

import pytest
import requests

from conftest import Server, bearer, lmdb_only, run_cli

# The disk filled here is the one under followd's own database file; on PostgreSQL the disk is the server's
# (a full server disk is SQLSTATE 53100 -> FW_EFULL -> the same 503; test_pg.py covers the server going away).
pytestmark = lmdb_only("fills the tmpfs under the LMDB file")

PROBLEM_503 = {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank",
               "status": 503}


def small_db(db, n_targets=40):
    """A fresh database: one app, one actor with a user token, n_targets users to follow."""
    app = json.loads(run_cli("app", "create", "--name", "full", db=db))
    actor = run_cli("user", "add", "--username", "fullactor", "--name", "Actor", db=db).strip()
    tok = run_cli("token", "user", "--app", app["app_id"], "--user", actor, db=db).strip()
    targets = [run_cli("user", "add", "--username", f"fullt{i}", "--name", f"T {i}", db=db).strip()
               for i in range(n_targets)]
    return app, actor, tok, targets


def follow_until_503(srv, actor, tok, targets):
    s = requests.Session()
    acked = []
    for t in targets:
        r = s.post(f"{srv.url}/2/users/{actor}/following", json={"target_user_id": t}, headers=bearer(tok),
                   timeout=10)
        if r.status_code == 503:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json() == PROBLEM_503
            return acked, t
        assert r.status_code == 200, r.text
        acked.append(t)
    return acked, None


def following(srv, actor, tok):
    r = requests.get(f"{srv.url}/2/users/{actor}/following?max_results=1000", headers=bearer(tok), timeout=10)
    assert r.status_code == 200, r.text
    return sorted(u["id"] for u in r.json().get("data", []))


def me_metrics(srv, actor, tok):
    r = requests.get(f"{srv.url}/2/users/me?user.fields=public_metrics", headers=bearer(tok), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["data"]["public_metrics"]["following_count"]


@pytest.fixture
def tmpfs():
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mnt = tempfile.mkdtemp(prefix="followd-tmpfs-")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], capture_output=True, text=True)
    if p.returncode:
        os.rmdir(mnt)
        pytest.skip("cannot mount a tmpfs here: " + p.stderr.strip())
    yield mnt
    subprocess.run(["umount", "-l", mnt])
    os.rmdir(mnt)


def fill(path):
    """Writes zeros to path until the filesystem is full."""
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * 4096
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass


def test_enospc_answers_503_reads_work_and_recovers(tmpfs):
    db = os.path.join(tmpfs, "db")
    app, actor, tok, targets = small_db(db, 300)
    srv = Server(db, "--rate-limits", "off", "--db-max-size", "64M")
    try:
        filler = os.path.join(tmpfs, "filler")
        fill(filler)
        acked, refused = follow_until_503(srv, actor, tok, targets)
        assert refused is not None, "the disk never filled"
        # reads keep working, and the refused write left no trace
        assert following(srv, actor, tok) == sorted(acked)
        assert me_metrics(srv, actor, tok) == len(acked)
        # room returns: the very next write succeeds, with no restart
        os.unlink(filler)
        r = requests.post(f"{srv.url}/2/users/{actor}/following", json={"target_user_id": refused},
                          headers=bearer(tok), timeout=10)
        assert r.status_code == 200 and r.json()["data"]["following"], r.text
        assert following(srv, actor, tok) == sorted(acked + [refused])
    finally:
        srv.stop()
    assert run_cli("check", db=db).startswith("ok")
