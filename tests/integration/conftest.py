"""pytest fixtures: build nothing, start the real followd binary, talk HTTP.

FOLLOWD_BIN   binary under test (default build/asan/followd)
FOLLOWD_SHARED  the reference folder beside the repository (default ../shared)
FOLLOWD_STORE   the store backend under test; scripts/run-tests.sh runs this suite once per entry of
                FOLLOWD_STORES. Only "lmdb" exists: a second backend adds its name here and the server
                flag that selects it to Server below.
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
if STORE != "lmdb":
    raise RuntimeError(f"FOLLOWD_STORE={STORE}: this tree has only the lmdb store")
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
    d = tempfile.mkdtemp(prefix="followd-demo-")
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
