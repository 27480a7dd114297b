"""serve --proxy: unmodified clients reach followd through HTTPS_PROXY (CONNECT, TLS with the
local CA of `followd tls init`) or an absolute-form request; every other host is refused and
never contacted. The library clients (requests, tweepy, newman) run with followd in a throw-away
network namespace, so one that ignored the proxy variables could not reach the real X."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

from conftest import PG, ROOT, Server, namespaces_unavailable, new_user, run_cli, unique
from unmodified_clients import newman_argv

CLIENTS = os.path.join(ROOT, "tests", "integration", "unmodified_clients.py")
NEWMAN = os.path.join(ROOT, "build", "node", "node_modules", ".bin", "newman")


@pytest.fixture(scope="module")
def tls_dir():
    d = tempfile.mkdtemp(prefix="followd-tls-")
    run_cli("tls", "init", "--dir", d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def proxy(demo, tls_dir):
    s = Server(demo["db"], "--rate-limits", "off", "--proxy", "--tls-dir", tls_dir)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def proxy_ns(demo, tls_dir):
    """serve --proxy inside a new network namespace; clients run there with `enter + argv`."""
    why = namespaces_unavailable()
    if PG:
        why = "the namespace has only its own loopback, so the server in it cannot reach the PostgreSQL cluster"
    if why:
        pytest.skip(why)
    s = Server(demo["db"], "--rate-limits", "off", "--proxy", "--tls-dir", tls_dir,
               prefix=["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"])
    s.enter = ["nsenter", "-t", str(s.proc.pid), "-n", "--"]
    yield s
    s.stop()


def oauth1_user(demo):
    uid = new_user(demo["db"], unique("px"))
    tok = json.loads(run_cli("token", "oauth1", "--app", demo["app_id"], "--user", uid, db=demo["db"]))
    return dict(demo, access_token=tok["access_token"], access_token_secret=tok["access_token_secret"], me=uid)


def client_env(proxy_url, tls_dir):
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(HTTPS_PROXY=proxy_url, HTTP_PROXY=proxy_url, NO_PROXY="",
               REQUESTS_CA_BUNDLE=os.path.join(tls_dir, "bundle.pem"))
    return env


def read_response(s):
    """One HTTP/1.1 response from socket s: (status line, head bytes, body bytes)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
            while len(body) < n:
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
    return head.split(b"\r\n")[0].decode(), head, body


def raw(url, data):
    """Sends bytes to followd's listener, returns its response as read_response does."""
    host, port = url[len("http://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        return read_response(s)


def test_curl_connect_tunnel_http2(proxy, demo, tls_dir):
    p = subprocess.run(["curl", "-sS", "--proxy", proxy.url, "--cacert", os.path.join(tls_dir, "ca.pem"),
                        "-H", "Authorization: Bearer " + demo["bearer_token"], "-w", "\n%{http_code} %{http_version}",
                        "https://api.x.com/2/users/by/username/XDevelopers"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    body, _, status = p.stdout.rpartition("\n")
    assert status == "200 2"
    assert json.loads(body)["data"]["id"] == demo["celebrity_user_id"]


def test_curl_without_the_ca_fails_verification(proxy, demo):
    p = subprocess.run(["curl", "-sS", "--proxy", proxy.url, "--cacert", "/etc/ssl/certs/ca-certificates.crt",
                        "https://api.twitter.com/2/users/me"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 60, (p.returncode, p.stderr)  # CURLE_PEER_FAILED_VERIFICATION: not a public CA


def test_unmodified_requests_and_tweepy_through_https_proxy(proxy_ns, demo, tls_dir):
    creds = oauth1_user(demo)
    creds["plain_http"] = True
    p = subprocess.run(proxy_ns.enter + ["/usr/bin/python3", CLIENTS, json.dumps(creds)], capture_output=True,
                       text=True, timeout=120, env=client_env(proxy_ns.url, tls_dir))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    celeb = demo["celebrity_user_id"]
    assert out["requests"]["status"] == 200 and out["requests"]["body"]["data"]["id"] == celeb, out
    # HTTP_PROXY: requests sends the absolute-form GET http://api.x.com/... to the proxy port
    assert out["requests_http"]["status"] == 200 and out["requests_http"]["body"]["data"]["id"] == celeb, out
    assert out["tweepy_bearer"]["id"] == int(celeb) and out["tweepy_bearer"]["followers"] > 0, out
    t = out["tweepy_oauth1"]
    assert "error" not in t, t
    assert t["followed"] == {"following": True, "pending_follow": False}
    assert t["following"] == [int(celeb)]
    assert t["unfollowed"] == {"following": False}


def test_newman_collection_through_https_proxy(proxy_ns, demo, tls_dir, tmp_path):
    """newman (Postman's runner) with HTTPS_PROXY and --ssl-extra-ca-certs: bearer lookup and an
    OAuth 1.0a me/follow/unfollow signed by Postman's own oauth1 auth over https://api.x.com."""
    if not shutil.which("node") or not os.path.exists(NEWMAN):
        pytest.skip("node or newman not installed (scripts/deps.sh installs them when npm is reachable)")
    creds = oauth1_user(demo)
    report = str(tmp_path / "newman.json")
    p = subprocess.run(proxy_ns.enter + newman_argv(NEWMAN, creds, creds["me"], os.path.join(tls_dir, "ca.pem"), report),
                       capture_output=True, text=True, timeout=180, env=client_env(proxy_ns.url, tls_dir))
    run = json.load(open(report))["run"]
    failures = [(f["source"]["name"], f["error"]["message"]) for f in run["failures"]]
    assert p.returncode == 0 and not failures, (failures, p.stdout[-2000:], p.stderr[-2000:])
    assert run["stats"]["requests"]["total"] == 4 and run["stats"]["assertions"]["total"] == 4
    assert run["stats"]["assertions"]["failed"] == 0


def test_absolute_form_target(proxy, demo):
    req = ("GET http://api.twitter.com/2/users/by/username/XDevelopers HTTP/1.1\r\nHost: api.twitter.com\r\n"
           "Authorization: Bearer " + demo["bearer_token"] + "\r\nConnection: close\r\n\r\n").encode()
    status, _, body = raw(proxy.url, req)
    assert status.startswith("HTTP/1.1 200"), status
    assert json.loads(body)["data"]["id"] == demo["celebrity_user_id"]


@pytest.mark.parametrize("target", ["example.com:443", "api.x.com:80", "api.x.com.evil.test:443", "127.0.0.1:443",
                                    "localhost:443"])
def test_connect_elsewhere_refused(proxy, target):
    status, _, body = raw(proxy.url, f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    assert status.startswith("HTTP/1.1 403"), status
    assert json.loads(body)["status"] == 403


@pytest.mark.parametrize("url", ["http://example.com/2/users/me", "https://example.com/", "http://127.0.0.1:1/x"])
def test_absolute_form_elsewhere_refused(proxy, url):
    status, _, _ = raw(proxy.url, f"GET {url} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n".encode())
    assert status.startswith("HTTP/1.1 403"), status


def test_refused_targets_are_never_contacted(demo, tls_dir):
    """A CONNECT or absolute-form request for a listening loopback port is refused, the port sees
    no connection, and strace sees no connect() by followd at all."""
    if not shutil.which("strace"):
        pytest.skip("strace not installed")
    trap = socket.socket()
    trap.bind(("127.0.0.1", 0))
    trap.listen(8)
    trap.setblocking(False)
    port = trap.getsockname()[1]
    trace = tempfile.NamedTemporaryFile(prefix="followd-strace-", delete=False).name
    s = Server(demo["db"], "--proxy", "--tls-dir", tls_dir)
    try:
        st = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=connect,accept,accept4", "-o", trace, "-p", str(s.proc.pid)],
                              stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)  # strace attaches to every thread
            for t in (f"127.0.0.1:{port}", f"localhost:{port}", "example.com:443"):
                assert raw(s.url, f"CONNECT {t} HTTP/1.1\r\nHost: {t}\r\n\r\n".encode())[0].startswith("HTTP/1.1 403")
            status, _, _ = raw(s.url, f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                               .encode())
            assert status.startswith("HTTP/1.1 403")
            # a served tunnel is not an outbound connection either
            assert raw(s.url, b"CONNECT api.x.com:443 HTTP/1.1\r\nHost: api.x.com:443\r\n\r\n")[0] \
                .startswith("HTTP/1.1 200")
            time.sleep(0.3)
        finally:
            st.terminate()
            st.wait(timeout=10)
        with pytest.raises(BlockingIOError):
            trap.accept()
        calls = open(trace).read()
        assert "accept" in calls, calls  # strace did watch followd's threads
        assert "connect(" not in calls, calls
    finally:
        s.stop()
        trap.close()
        os.unlink(trace)


def test_connect_without_proxy_mode_is_405(api):
    status, _, body = raw(api, b"CONNECT api.x.com:443 HTTP/1.1\r\nHost: api.x.com:443\r\n\r\n")
    assert status.startswith("HTTP/1.1 405"), status


def test_absolute_form_without_proxy_mode_is_400(api):
    status, _, _ = raw(api, b"GET http://api.x.com/2/users/me HTTP/1.1\r\nHost: api.x.com\r\nConnection: close\r\n\r\n")
    assert status.startswith("HTTP/1.1 400"), status


def test_proxy_refuses_garbage_in_tunnel(proxy, demo):
    """Plain HTTP inside a CONNECT tunnel is a failed TLS handshake: the socket closes, followd
    keeps serving."""
    host, port = proxy.url[len("http://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"CONNECT api.x.com:443 HTTP/1.1\r\nHost: api.x.com:443\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        assert head.startswith(b"HTTP/1.1 200")
        s.sendall(b"GET / HTTP/1.1\r\nHost: api.x.com\r\n\r\n")
        s.settimeout(10)
        rest = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                rest += chunk
        except ConnectionResetError:
            pass
        assert b"HTTP/1.1 200" not in rest
    r = subprocess.run(["curl", "-sS", proxy.url + "/2/users/me", "-o", "/dev/null", "-w", "%{http_code}"],
                       capture_output=True, text=True, timeout=30)
    assert r.stdout == "401"


def test_serve_prints_https_for_tls(demo, tls_dir):
    s = Server(demo["db"], "--tls-cert", os.path.join(tls_dir, "server.pem"), "--tls-key",
               os.path.join(tls_dir, "server.key"))
    try:
        assert s.url.startswith("https://127.0.0.1:")
        p = subprocess.run(["curl", "-sS", "--cacert", os.path.join(tls_dir, "ca.pem"), s.url + "/2/users/me",
                            "-o", "/dev/null", "-w", "%{http_code}"], capture_output=True, text=True, timeout=30)
        assert p.stdout == "401", p.stderr
    finally:
        s.stop()


def connect_200(url):
    host, port = url[len("http://"):].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(b"CONNECT api.x.com:443 HTTP/1.1\r\nHost: api.x.com:443\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head
    return s


def test_silent_tunnel_is_closed_after_the_handshake_timeout(demo, tls_dir):
    s = Server(demo["db"], "--proxy", "--tls-dir", tls_dir, "--timeout", "500")
    try:
        c = connect_200(s.url)
        t0 = time.time()
        c.settimeout(10)
        assert c.recv(4096) == b""  # closed by followd, no TLS bytes ever sent
        assert time.time() - t0 < 5
        c.close()
    finally:
        s.stop()


def test_shutdown_with_tunnels_open(demo, tls_dir):
    """SIGTERM while one tunnel waits for its ClientHello and one is mid-request: a clean exit."""
    s = Server(demo["db"], "--proxy", "--tls-dir", tls_dir)
    waiting = connect_200(s.url)
    ctx = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.pem"))
    busy = ctx.wrap_socket(connect_200(s.url), server_hostname="api.x.com")
    busy.sendall(b"GET /2/users/me HTTP/1.1\r\nHost: api.x.com\r\n\r\n")
    assert read_response(busy)[0].startswith("HTTP/1.1 401")
    t0 = time.time()
    s.stop()  # asserts exit 0 and no sanitizer report
    assert time.time() - t0 < 20
    waiting.close()
    busy.close()


def test_connect_inside_a_tunnel_is_405(proxy, tls_dir):
    ctx = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.pem"))
    with ctx.wrap_socket(connect_200(proxy.url), server_hostname="api.x.com") as t:
        t.sendall(b"CONNECT api.x.com:443 HTTP/1.1\r\nHost: api.x.com:443\r\n\r\n")
        assert read_response(t)[0].startswith("HTTP/1.1 405")
        t.sendall(b"GET /2/users/me HTTP/1.1\r\nHost: api.x.com\r\n\r\n")  # the tunnel still serves
        assert read_response(t)[0].startswith("HTTP/1.1 401")
