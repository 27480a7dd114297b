"""pytest fixtures: build nothing, start the real followd binary, talk HTTP.

FOLLOWD_BIN   binary under test (default build/asan/followd)
FOLLOWD_SHARED  the reference folder beside the repository (default ../shared)
FOLLOWD_STORE   the store backend under test ("lmdb" or "postgresql"); scripts/run-tests.sh runs this suite
                once per entry of FOLLOWD_STORES. Every database a test uses comes from fresh_db(): a new
                directory for lmdb, a new database (CREATE DATABASE) for postgresql, passed as --db.
FOLLOWD_PG_URL  postgresql: a server to create the databases on (libpq URI of a superuser connection);
                scripts/run-tests.sh starts a throw-away cluster (scripts/pg-cluster.sh) and sets it. Unset,
                this suite starts its own cluster for the session.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.abspath(os.path.join(ROOT, os.environ.get("FOLLOWD_BIN", "build/asan/followd")))
SHARED = os.path.abspath(os.environ.get("FOLLOWD_SHARED", os.path.join(ROOT, "..", "shared")))
STORE = os.environ.get("FOLLOWD_STORE", "lmdb")
if STORE not in ("lmdb", "postgresql"):
    raise RuntimeError(f"FOLLOWD_STORE={STORE}: unknown store backend (lmdb, postgresql)")
PG = STORE == "postgresql"
DEMO_USERS = int(os.environ.get("FOLLOWD_DEMO_USERS", "24000"))


def run_cli(*args, check=True, db=None):
    """Runs `followd args...`; returns stdout. Fails the test on a non-zero exit when check."""
    argv = [BIN] + [str(a) for a in args]
    if db is not None:
        argv += ["--db", db]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError(f"{argv} exited {p.returncode}: {p.stderr}")
    return p if not check else p.stdout


class Server:
    """A followd serve process on a free port."""

    def __init__(self, db, *extra, prefix=()):
        """prefix: a command that execs followd (e.g. into a network namespace)."""
        self.db = db
        self.log = tempfile.NamedTemporaryFile(prefix="followd-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            list(prefix) + [BIN, "serve", "--db", db, "--listen", "127.0.0.1:0", "--threads", "2"] + list(extra),
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (https?://[0-9.]+:\d+)", line or "")
        if not m:
            self.proc.kill()
            raise AssertionError("server did not start: " + (line or "") + open(self.log.name).read())
        self.url = m.group(1)

    def terminate(self):
        """Sends SIGTERM once (a second one would force an immediate exit)."""
        if not getattr(self, "signaled", False) and self.proc.poll() is None:
            self.signaled = True
            self.proc.send_signal(signal.SIGTERM)

    def stop(self):
        """SIGTERM, wait, and fail if the server crashed or a sanitizer spoke."""
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError("server did not stop on SIGTERM")
        err = open(self.log.name).read()
        os.unlink(self.log.name)
        assert self.proc.returncode == 0, f"server exit {self.proc.returncode}: {err[-4000:]}"
        assert "runtime error" not in err and "AddressSanitizer" not in err and "LeakSanitizer" not in err, err[-4000:]


_pg = {}


def pg_url():
    """The PostgreSQL server the databases are created on (started for the session when not given)."""
    if "url" not in _pg:
        url = os.environ.get("FOLLOWD_PG_URL")
        if not url:
            d = tempfile.mkdtemp(prefix="followd-pgc-")
            os.rmdir(d)
            url = subprocess.run([os.path.join(ROOT, "scripts", "pg-cluster.sh"), "start", d], check=True,
                                 capture_output=True, text=True).stdout.strip()
            _pg["own"] = d
        _pg["url"] = url
    return _pg["url"]


def pg_with_db(url, name):
    """url with its database replaced by name."""
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{base}/{name}" + (f"?{query}" if query else "")


def psql(sql, url=None):
    """Runs sql with psql on the test server; returns stdout (unaligned, tuples only)."""
    p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url or pg_url(), "-c", sql],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"psql {sql!r}: {p.stderr}")
    return p.stdout


_dbs = [0]


def fresh_db(prefix="followd-"):
    """A new, empty database for the store under test: a directory (lmdb) or a PostgreSQL database URI."""
    if not PG:
        return tempfile.mkdtemp(prefix=prefix)
    _dbs[0] += 1
    name = f"fw_{os.getpid()}_{_dbs[0]}"
    psql(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    return pg_with_db(pg_url(), name)


@pytest.fixture(scope="session", autouse=True)
def _pg_cluster():
    """Stops a cluster this session started itself (the runner's cluster is the runner's to stop)."""
    yield
    if "own" in _pg:
        subprocess.run([os.path.join(ROOT, "scripts", "pg-cluster.sh"), "stop", _pg["own"]], capture_output=True)


def lmdb_only(reason):
    """Marks a test that is about the LMDB files themselves; it is skipped on other backends."""
    return pytest.mark.skipif(PG, reason=f"LMDB only: {reason}")


def namespaces_unavailable():
    """None if this machine lets the tests create network and mount namespaces (unshare -n -m),
    else why not. Tests that run followd and its clients in a throw-away network namespace (only
    its own loopback, so no packet can leave the machine) skip with that reason."""
    import shutil
    if not shutil.which("unshare") or not shutil.which("nsenter") or not shutil.which("ip"):
        return "unshare, nsenter or ip (util-linux, iproute2) missing"
    p = subprocess.run(["unshare", "-n", "-m", "sh", "-c", "ip link set lo up && mount --bind /etc/hosts /etc/hosts"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return "cannot create network and mount namespaces here (needs root): " + p.stderr.strip()
    return None


@pytest.fixture(scope="session")
def demo():
    """A demo database shared by the session (read-mostly: tests that write use their own users)."""
    d = fresh_db(prefix="followd-demo-")
    out = run_cli("demo", "--json", "--users", DEMO_USERS, db=d)
    creds = json.loads(out)
    creds["db"] = d
    return creds


@pytest.fixture(scope="session")
def server(demo):
    s = Server(demo["db"], "--rate-limits", "off")
    yield s
    s.stop()


@pytest.fixture
def api(server):
    return server.url


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def new_user(db, username, *flags):
    """Creates a user through the CLI and returns its id (string)."""
    return run_cli("user", "add", "--username", username, "--name", username.title(), *flags, db=db).strip()


def user_token(db, app_id, user_id, scopes=None):
    args = ["token", "user", "--app", app_id, "--user", user_id]
    if scopes is not None:
        args += ["--scopes", scopes]
    return run_cli(*args, db=db).strip()


_seq = [0]


def unique(prefix):
    """A short unique username (<= 15 chars)."""
    _seq[0] += 1
    return f"{prefix[:6]}{os.getpid() % 1000}x{_seq[0]}"


def json_of(r):
    assert r.headers["content-type"].startswith("application/"), r.headers
    return r.json()
