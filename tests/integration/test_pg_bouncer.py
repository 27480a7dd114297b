"""followd behind pgbouncer in transaction mode (serve --db-no-prepare, docs/scaling.md): follows, pages, OAuth 2.0
and app-only tokens through a pgbouncer of the test's own that shares fewer server sessions than followd has
connections, so consecutive statements of one followd connection really do land on different sessions."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

import pytest
import requests

from conftest import PG, Server, bearer, fresh_db, new_user, psql, run_cli
from test_oauth2_flow import exchange, get_code, make_app, user_with_password

pytestmark = pytest.mark.skipif(not PG, reason="PostgreSQL backend only (FOLLOWD_STORE=postgresql)")

PGBOUNCER = shutil.which("pgbouncer") or next((p for p in ["/usr/sbin/pgbouncer"] if os.path.exists(p)), None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_pgbouncer(db):
    """A pgbouncer in transaction mode on a free loopback port for db's database; returns (process, dir, URI)."""
    u = urllib.parse.urlsplit(db)
    name = u.path.lstrip("/")
    d = tempfile.mkdtemp(prefix="followd-pgbouncer-")
    os.chmod(d, 0o755)
    port = free_port()
    with open(os.path.join(d, "users.txt"), "w") as f:
        f.write(f'"{u.username}" ""\n')
    with open(os.path.join(d, "pgbouncer.ini"), "w") as f:
        f.write(f"""[databases]
{name} = host={u.hostname} port={u.port} dbname={name}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {d}/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 100
; followd sends its statement timeout as a startup option, which pgbouncer does not forward (docs/scaling.md)
ignore_startup_parameters = options,extra_float_digits
logfile = {d}/pgbouncer.log
pidfile = {d}/pgbouncer.pid
""")
    cmd = [PGBOUNCER, os.path.join(d, "pgbouncer.ini")]
    if os.getuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(d, "nobody")
        for f in os.listdir(d):
            shutil.chown(os.path.join(d, f), "nobody")
        cmd = ["runuser", "-u", "nobody", "--"] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"postgresql://{u.username}@127.0.0.1:{port}/{name}"
    deadline = time.time() + 20
    while True:
        try:
            psql("SELECT 1", url=url)
            return proc, d, url
        except AssertionError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                log = open(os.path.join(d, "pgbouncer.log")).read() if os.path.exists(f"{d}/pgbouncer.log") else ""
                raise AssertionError("pgbouncer did not start: " + log)
            time.sleep(0.2)


@pytest.mark.skipif(not PGBOUNCER, reason="pgbouncer is not installed (Debian package pgbouncer, scripts/deps.sh)")
def test_follows_pages_and_oauth_behind_pgbouncer_in_transaction_mode():
    db = fresh_db()
    run_cli("db", "migrate", db=db)
    a, b = new_user(db, "bouncea"), new_user(db, "bounceb")
    app = make_app(db)
    user = user_with_password(db)
    proc, d, via = start_pgbouncer(db)
    srv = None
    try:
        srv = Server(via, "--db-no-prepare", "--db-pool", "4", "--rate-limits", "off")
        # OAuth 2.0: a code minted, redeemed once, its token used for a user-context follow and read
        code, verifier = get_code(srv.url, app, user)
        r = exchange(srv.url, app, code, verifier)
        assert r.status_code == 200, r.text
        tok = r.json()["access_token"]
        assert exchange(srv.url, app, code, verifier).json()["error"] == "invalid_grant"
        me = user[0]
        for target in (a, b):
            r = requests.post(f"{srv.url}/2/users/{me}/following", json={"target_user_id": target},
                              headers=bearer(tok), timeout=10)
            assert r.status_code == 200 and r.json()["data"]["following"] is True, r.text
        # app-only: a bearer through client_credentials, then pages of 1 walked with their tokens
        r = requests.post(srv.url + "/oauth2/token", data="grant_type=client_credentials",
                          headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
                          auth=(app["consumer_key"], app["consumer_secret"]), timeout=10)
        assert r.status_code == 200, r.text
        app_tok = r.json()["access_token"]
        first = requests.get(f"{srv.url}/2/users/{me}/following?max_results=1", headers=bearer(app_tok),
                             timeout=10).json()
        assert [u["id"] for u in first["data"]] == [b], first  # newest first
        second = requests.get(f"{srv.url}/2/users/{me}/following?max_results=1&pagination_token="
                              + first["meta"]["next_token"], headers=bearer(app_tok), timeout=10).json()
        assert [u["id"] for u in second["data"]] == [a], second
        # many concurrent reads and writes through 2 server sessions stay exact
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(8) as ex:
            rs = list(ex.map(lambda i: requests.get(f"{srv.url}/2/users/{a}/followers", headers=bearer(tok),
                                                    timeout=10), range(64)))
        assert all(r.status_code == 200 and [u["id"] for u in r.json()["data"]] == [me] for r in rs)
        r = requests.delete(f"{srv.url}/2/users/{me}/following/{a}", headers=bearer(tok), timeout=10)
        assert r.json()["data"]["following"] is False, r.text
        assert requests.get(f"{srv.url}/2/users/{a}/followers", headers=bearer(app_tok),
                            timeout=10).json()["meta"]["result_count"] == 0
    finally:
        if srv:
            srv.stop()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(d, ignore_errors=True)
    assert run_cli("check", db=db).startswith("ok")
