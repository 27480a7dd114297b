"""The HTTP layer under hostile clients: slow, oversized, malformed, greedy, or cancelling.

Every test talks to a real followd (ASan build) started with a 1 s timeout, and the
module ends by stopping it, which fails on a non-zero exit or any sanitizer report.
"""
import json
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import Server, bearer, new_user, unique, user_token

h2 = pytest.importorskip("h2.connection")  # python3-h2 (scripts/deps.sh)
import h2.config  # noqa: E402
import h2.events  # noqa: E402
import h2.settings  # noqa: E402

TIMEOUT_MS = 1000
# Margins that load cannot break and a broken server still fails. The server cuts a stalled or idle
# connection after one to ~1.25 timeouts (the stall sweep runs a few times per timeout), but under ASan on a
# shared 2-core machine the cut, or the test noticing it, can come seconds late: bounds of 3 timeouts
# flaked. 8 timeouts still fail every test here if a timeout never fires (the slowloris dribble then lasts
# 25 s, the slow body 30 s, idle and stalled connections stay open), and even if --timeout were ignored
# (the default is 10 s). Passing runs are not slower: they end when the cut comes.
CUT_LIMIT_S = 8 * TIMEOUT_MS / 1000
# A bystander is served or it is not: a client that holds up a loop (a blocking read or write on it) makes
# the bystander wait for the whole dribble, or forever; one small read delayed by load takes nowhere near
# 10 s (requests' timeout also applies to each wait on the socket).
SERVE_LIMIT_S = 10.0


@pytest.fixture(scope="module")
def srv(demo):
    s = Server(demo["db"], "--rate-limits", "off", "--timeout", str(TIMEOUT_MS))
    s.port = int(s.url.rsplit(":", 1)[1])
    yield s
    s.stop()


def connect(srv, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", srv.port))
    s.settimeout(10)
    return s


def read_until_close(s, limit=10.0):
    """Reads until EOF/RST; returns (bytes, seconds). Fails if the peer keeps it open past limit."""
    t0, out = time.monotonic(), b""
    s.settimeout(limit)
    try:
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            out += d
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise AssertionError(f"connection still open after {limit}s; got {out[:200]!r}")
    return out, time.monotonic() - t0


class Reader:
    """Parses consecutive HTTP/1.1 responses (all carry Content-Length) from one socket."""

    def __init__(self, sock, chunk=1 << 16, delay=0.0):
        self.s, self.buf, self.chunk, self.delay = sock, b"", chunk, delay

    def _fill(self):
        time.sleep(self.delay)
        d = self.s.recv(self.chunk)
        if not d:
            raise EOFError(self.buf[:200])
        self.buf += d

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
        if status == 100:
            return status, hdrs, b""
        n = int(hdrs["content-length"])
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hdrs, body


def get_req(path, token=None, extra=""):
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{auth}{extra}\r\n".encode()


def big_page(demo):
    return f"/2/users/{demo['celebrity_user_id']}/followers?max_results=1000&user.fields=description,created_at"


def assert_serving(srv, demo):
    """Another client is served meanwhile (within SERVE_LIMIT_S: served, not fast; latency is for bench/)."""
    t0 = time.monotonic()
    r = requests.get(f"{srv.url}/2/users/{demo['user_id']}", headers=bearer(demo["bearer_token"]),
                     timeout=SERVE_LIMIT_S)
    assert r.status_code == 200 and r.json()["data"]["id"] == demo["user_id"]
    assert time.monotonic() - t0 < SERVE_LIMIT_S


def server_closed(srv, sock):
    """True once the server process has closed its end of sock: its socket is orphaned (inode 0 in
    /proc/net/tcp) or gone. Unlike reading, this does not let a stalled response make progress."""
    cport = sock.getsockname()[1]
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split()
                lport, rport = (int(a.rsplit(":", 1)[1], 16) for a in fields[1:3])
                if lport == srv.port and rport == cport:
                    return fields[9] == "0"
    return True


def wait_for(cond, limit):
    end = time.monotonic() + limit
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


# --- slow and idle clients --------------------------------------------------------------------


def test_slowloris_headers_are_cut_off_while_others_are_served(srv, demo):
    s = connect(srv)
    done = {}

    def dribble():
        t0 = time.monotonic()
        try:
            for b in get_req("/2/users/me", extra="X-Pad: " + "a" * 200 + "\r\n"):
                s.send(bytes([b]))
                time.sleep(0.1)
        except OSError:
            pass
        done["cut_after"] = time.monotonic() - t0

    th = threading.Thread(target=dribble)
    th.start()
    while th.is_alive():
        assert_serving(srv, demo)
        time.sleep(0.1)
    th.join()
    # 250 bytes at 10/s would take 25 s; the header timeout ends it after ~1 s
    assert done["cut_after"] < CUT_LIMIT_S
    assert read_until_close(s, CUT_LIMIT_S)[0] == b""


def test_slow_body_is_cut_off(srv):
    s = connect(srv)
    s.sendall(b"POST /2/users/1/following HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
    t0 = time.monotonic()
    with pytest.raises(OSError):  # 300 of the 1000 bytes over 30 s, unless cut
        for _ in range(300):
            s.send(b" ")
            time.sleep(0.1)
    assert time.monotonic() - t0 < CUT_LIMIT_S


def test_idle_keepalive_and_silent_connections_are_closed(srv, demo):
    ka = connect(srv)
    ka.sendall(get_req(f"/2/users/{demo['user_id']}", demo["bearer_token"]))
    status, hdrs, _ = Reader(ka).response()
    assert status == 200 and hdrs["connection"] == "keep-alive"
    silent = connect(srv)
    for s in (ka, silent):
        data, _ = read_until_close(s, CUT_LIMIT_S)  # fails if still open then
        assert data == b""


def test_half_closed_client_still_gets_its_response(srv, demo):
    s = connect(srv)
    s.sendall(get_req(f"/2/users/{demo['user_id']}", demo["bearer_token"]))
    s.shutdown(socket.SHUT_WR)
    status, _, body = Reader(s).response()
    assert status == 200 and json.loads(body)["data"]["id"] == demo["user_id"]


def test_client_that_never_reads_is_cut_off_while_others_are_served(srv, demo):
    page = get_req(big_page(demo), demo["bearer_token"])
    hogs = []
    for _ in range(8):
        s = connect(srv, rcvbuf=4096)
        s.sendall(page * 30)  # ~13 MB of responses per connection, far beyond the socket buffers
        hogs.append(s)
    for _ in range(10):
        assert_serving(srv, demo)
    # No progress for a whole timeout -> cut. Wait for the cut without reading (reading is progress, and
    # would drain all 30 responses if it came late), then read what was sent before it.
    assert wait_for(lambda: all(server_closed(srv, s) for s in hogs), CUT_LIMIT_S), "stalled hogs never cut"
    for s in hogs:
        data, _ = read_until_close(s, CUT_LIMIT_S)
        assert data.startswith(b"HTTP/1.1 200 OK") and data.count(b"HTTP/1.1 200 OK") < 30
    assert_serving(srv, demo)


def test_slow_reader_is_not_cut_while_it_makes_progress(srv, demo):
    s = connect(srv, rcvbuf=4096)
    s.sendall(get_req(big_page(demo), demo["bearer_token"]) * 3)
    time.sleep(0.3)
    t0, r = time.monotonic(), Reader(s, chunk=16384, delay=0.02)
    for _ in range(3):
        status, _, body = r.response()
        assert status == 200 and len(json.loads(body)["data"]) == 1000
    assert time.monotonic() - t0 > 1.5 * TIMEOUT_MS / 1000  # slower than the timeout, yet complete


# --- sizes ------------------------------------------------------------------------------------


def test_oversized_request_head_is_refused_and_closed(srv, demo):
    for req in (b"GET /2/users/me?" + b"a" * 500_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /2/users/me HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(101)) + b"\r\n"):
        s = connect(srv)
        s.sendall(req)
        data, _ = read_until_close(s, CUT_LIMIT_S)
        assert data.startswith(b"HTTP/1.1 400 ")
    # 100 headers in all is still fine
    s = connect(srv)
    s.sendall(get_req(f"/2/users/{demo['user_id']}", demo["bearer_token"],
                      "".join(f"X-H{i}: v\r\n" for i in range(98))))
    assert Reader(s).response()[0] == 200
    assert_serving(srv, demo)


def test_long_query_string_gets_json_414(srv, demo):
    s = connect(srv)
    s.sendall(get_req("/2/users?ids=" + "1," * 50_000, demo["bearer_token"]))
    r = Reader(s)
    status, hdrs, body = r.response()
    assert status == 414 and hdrs["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 414
    s.sendall(get_req(f"/2/users/{demo['user_id']}", demo["bearer_token"]))  # the connection stays usable
    assert r.response()[0] == 200
    # up to 16 KiB the target reaches the API (which rejects the unknown parameter)
    r = requests.get(f"{srv.url}/2/users/{demo['user_id']}?pad=" + "a" * 16000, headers=bearer(demo["bearer_token"]))
    assert r.status_code == 400 and r.json()["errors"]


def test_huge_headers_get_json_431(srv, demo):
    for hdr in ({"Authorization": "Bearer " + "a" * 20_000}, {"Cookie": "c=" + "b" * 20_000}):
        r = requests.get(f"{srv.url}/2/users/me", headers=hdr)
        assert r.status_code == 431 and r.json()["status"] == 431
        assert r.headers["content-type"] == "application/problem+json"


@pytest.fixture(scope="module")
def poster(demo):
    """(user token, body builder) for follow requests whose JSON is padded to an exact size."""
    target = new_user(demo["db"], unique("rbtgt"))
    actor = new_user(demo["db"], unique("rbact"))
    tok = user_token(demo["db"], demo["app_id"], actor)

    def body(size):
        core = '{"target_user_id":"%s"' % target
        return (core + " " * (size - len(core) - 1) + "}").encode()

    return actor, tok, body


def test_body_at_limit_is_accepted_and_one_byte_over_gets_json_413(srv, poster):
    actor, tok, body = poster
    url = f"{srv.url}/2/users/{actor}/following"
    hdrs = {**bearer(tok), "Content-Type": "application/json"}
    for chunked in (False, True):
        for size, want in ((65536, 200), (65537, 413)):
            data = body(size)
            assert len(data) == size
            payload = iter([data[:40000], data[40000:]]) if chunked else data
            r = requests.post(url, data=payload, headers=hdrs)
            assert r.status_code == want, (chunked, size, r.text[:200])
            if want == 413:
                assert r.headers["content-type"] == "application/problem+json" and r.json()["status"] == 413
            else:
                assert r.json()["data"]["following"] is True
    # far beyond the limit h2o refuses before reading the body, and closes
    s = connect(srv)
    s.sendall(b"POST /2/users/1/following HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
    data, _ = read_until_close(s, CUT_LIMIT_S)
    assert data.startswith(b"HTTP/1.1 413 ")


def test_expect_100_continue(srv, poster):
    actor, tok, body = poster
    data = body(300)
    s = connect(srv)
    s.sendall((f"POST /2/users/{actor}/following HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nExpect: 100-continue\r\n\r\n").encode())
    r = Reader(s)
    assert r.response()[0] == 100
    s.sendall(data)
    status, _, resp = r.response()
    assert status == 200 and json.loads(resp)["data"]["following"] is True


# --- protocol oddities ------------------------------------------------------------------------


def test_http10_without_host(srv, demo):
    s = connect(srv)
    s.sendall(f"GET /2/users/{demo['user_id']} HTTP/1.0\r\nAuthorization: Bearer {demo['bearer_token']}\r\n\r\n".encode())
    data, _ = read_until_close(s, CUT_LIMIT_S)
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 ") and json.loads(body)["data"]["id"] == demo["user_id"]


def test_pipelined_requests_are_answered_in_order(srv, demo):
    ids = [demo["user_id"], demo["public_user_id"], demo["celebrity_user_id"], demo["protected_user_id"]]
    s = connect(srv)
    paths = [f"/2/users/{i}" for i in ids] + ["/nowhere", f"/2/users/{ids[0]}"]
    s.sendall(b"".join(get_req(p, demo["bearer_token"]) for p in paths))
    r = Reader(s)
    got = [r.response() for _ in paths]
    assert [g[0] for g in got] == [200, 200, 200, 200, 404, 200]
    assert [json.loads(g[2])["data"]["id"] for g in got if g[0] == 200] == ids + ids[:1]


def test_clients_vanishing_mid_request_or_mid_response(srv, demo):
    for i in range(30):
        s = connect(srv)
        if i % 3 == 0:  # mid-body
            s.sendall(b"POST /2/users/1/following HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"{" * 100)
        elif i % 3 == 1:  # mid-response, with an RST
            s.sendall(get_req(big_page(demo), demo["bearer_token"]))
            s.recv(1000)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        else:  # request sent, gone before the answer
            s.sendall(get_req(big_page(demo), demo["bearer_token"]))
        s.close()
    assert_serving(srv, demo)


# --- request smuggling (issue 11, defects 4 and 5) --------------------------------------------


def follow_req(actor, tok, target, framing):
    """A follow request whose body is framed by `framing`: (header lines, body bytes)."""
    body = ('{"target_user_id":"%s"}' % target).encode()
    hdrs, data = framing(body)
    return (f"POST /2/users/{actor}/following HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
            f"Content-Type: application/json\r\n{hdrs}\r\n").encode() + data


def chunked(body):
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


# Each framing is ambiguous (a front end could read the body differently); the bytes after what h2o takes
# for the body form a complete second request. CL = Content-Length, TE = Transfer-Encoding.
SMUGGLING = {
    "CL+TE": lambda b: (f"Content-Length: {len(chunked(b))}\r\nTransfer-Encoding: chunked\r\n", chunked(b)),
    "TE+CL": lambda b: (f"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", chunked(b)),
    "CL+CL equal": lambda b: (f"Content-Length: {len(b)}\r\nContent-Length: {len(b)}\r\n", b),
    "CL+CL different": lambda b: (f"Content-Length: {len(b)}\r\nContent-Length: {len(b) + 300}\r\n", b),
    "CL list": lambda b: (f"Content-Length: {len(b)}, {len(b)}\r\n", b),
    "CL junk": lambda b: (f"Content-Length: {len(b)}x\r\n", b),
    "CL signed": lambda b: (f"Content-Length: +{len(b)}\r\n", b),
    "TE twice": lambda b: ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunked(b)),
    "TE gzip then chunked": lambda b: ("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", chunked(b)),
    "TE list": lambda b: ("Transfer-Encoding: chunked, chunked\r\n", chunked(b)),
    "TE xchunked": lambda b: ("Transfer-Encoding: xchunked\r\n", chunked(b)),
    "TE obs-fold value": lambda b: ("Transfer-Encoding:\r\n chunked\r\n", chunked(b)),
    "TE obs-fold continuation": lambda b: ("Transfer-Encoding: chunked\r\n , identity\r\n", chunked(b)),
    "CL obs-fold": lambda b: (f"Content-Length: {len(b)}\r\n\t{len(b)}\r\n", b),
}


@pytest.mark.parametrize("name", list(SMUGGLING))
def test_ambiguous_framing_gets_400_and_close_and_nothing_runs(srv, demo, name):
    actor = new_user(demo["db"], unique("smact"))
    tok = user_token(demo["db"], demo["app_id"], actor)
    outer, inner = new_user(demo["db"], unique("smout")), new_user(demo["db"], unique("smin"))
    plain = lambda b: (f"Content-Length: {len(b)}\r\n", b)  # noqa: E731
    s = connect(srv)
    s.sendall(follow_req(actor, tok, outer, SMUGGLING[name]) + follow_req(actor, tok, inner, plain))
    data, _ = read_until_close(s, CUT_LIMIT_S)
    # one answer, a 400, and the connection closed right after it: the second request never ran
    assert data.startswith(b"HTTP/1.1 400 "), (name, data[:300])
    assert data.count(b"HTTP/1.1 ") == 1, (name, data)
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nconnection: close" in head, (name, head)
    r = requests.get(f"{srv.url}/2/users/{actor}/following", headers=bearer(demo["bearer_token"]))
    assert r.json() == {"meta": {"result_count": 0}}, (name, r.text)


def test_unambiguous_framings_still_work_and_keep_alive(srv, demo):
    actor = new_user(demo["db"], unique("smok"))
    tok = user_token(demo["db"], demo["app_id"], actor)
    targets = [new_user(demo["db"], unique("smt")) for _ in range(3)]
    framings = [lambda b: (f"Content-Length: {len(b)}\r\n", b),
                lambda b: ("Transfer-Encoding: chunked\r\n", chunked(b)),
                lambda b: ("transfer-encoding: Chunked\r\n", chunked(b))]
    s = connect(srv)
    s.sendall(b"".join(follow_req(actor, tok, t, f) for t, f in zip(targets, framings)))
    r = Reader(s)
    got = [r.response() for _ in targets]
    assert [g[0] for g in got] == [200, 200, 200], got
    assert all(b"close" not in g[1].get("connection", "").encode() for g in got)
    # still open: one more request on it, after the stray CRLF some clients send after a body (h2o skips it)
    s.sendall(b"\r\n" + get_req(f"/2/users/{actor}/following", demo["bearer_token"]))
    status, _, body = r.response()
    assert status == 200 and sorted(u["id"] for u in json.loads(body)["data"]) == sorted(targets)


@pytest.mark.parametrize("junk", [
    bytes(range(256)) * 8,
    bytes.fromhex("16030100c4010000c00303") + bytes(32) + b"\x00\x00\x02\x13\x01\x01\x00" + bytes(150),  # TLS ClientHello
    b"\r\n" * 5000,
    b"GET / HTTP/9.9\r\n\r\n",
])
def test_garbage_on_plain_listener(srv, demo, junk):
    s = connect(srv)
    s.sendall(junk)
    data, _ = read_until_close(s, CUT_LIMIT_S)
    assert data == b"" or data.startswith(b"HTTP/1.1 4")
    assert_serving(srv, demo)


def test_500_concurrent_connections(srv, demo):
    socks = [connect(srv) for _ in range(500)]
    req = get_req(f"/2/users/{demo['user_id']}", demo["bearer_token"])
    for s in socks:
        s.sendall(req)
    for s in socks:
        status, _, body = Reader(s).response()
        assert status == 200 and json.loads(body)["data"]["id"] == demo["user_id"]
        s.close()


# --- HTTP/2 -----------------------------------------------------------------------------------


def test_h2c_many_streams_in_one_curl_invocation(srv, demo):
    urls = [f"{srv.url}/2/users/{demo['user_id']}", f"{srv.url}{big_page(demo)}"] * 20
    # h2c by Upgrade: curl 7.88 cannot reuse a prior-knowledge h2c connection (curl bug #10634);
    # prior knowledge with many streams is covered by the python-h2 tests below
    p = subprocess.run(["curl", "-s", "-S", "--http2", "--parallel", "--parallel-max", "40",
                        "-H", "Authorization: Bearer " + demo["bearer_token"],
                        "-w", "%{http_version} %{http_code} %{num_connects}\n"] +
                       [a for u in urls for a in ("-o", "/dev/null", u)],
                       capture_output=True, text=True, timeout=60)
    lines = p.stdout.split()
    assert p.returncode == 0, p.stderr
    assert lines[0::3] == ["2"] * 40 and lines[1::3] == ["200"] * 40
    assert sum(int(n) for n in lines[2::3]) == 1  # all 40 multiplexed over one connection


class H2Client:
    def __init__(self, srv, demo, settings=None):
        self.sock = connect(srv)
        self.demo = demo
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.flush()
        self.bodies, self.status, self.headers, self.ended = {}, {}, {}, set()
        self.order = []  # stream ids in the order their responses ended
        self.closed = self.goaway = False  # closed: EOF or reset; goaway: the server announced its end

    def flush(self):
        self.sock.sendall(self.conn.data_to_send())

    def get(self, path, flush=True):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", "x"),
                                     ("authorization", "Bearer " + self.demo["bearer_token"])], end_stream=True)
        if flush:
            self.flush()
        return sid

    def post(self, path, headers, body, flush=True):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "POST"), (":path", path), (":scheme", "http"), (":authority", "x"),
                                     ("content-length", str(len(body)))] + headers)
        self.conn.send_data(sid, body, end_stream=True)
        if flush:
            self.flush()
        return sid

    def pump(self, until, limit=10.0):
        end = time.monotonic() + limit
        while not until() and not self.closed:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                d = self.sock.recv(1 << 16)
            except socket.timeout:
                raise AssertionError("HTTP/2 client timed out")
            except ConnectionResetError:
                d = b""
            if not d:
                self.closed = True
                break
            for e in self.conn.receive_data(d):
                if isinstance(e, h2.events.ResponseReceived):
                    self.headers[e.stream_id] = dict(e.headers)
                    self.status[e.stream_id] = self.headers[e.stream_id][b":status"]
                elif isinstance(e, h2.events.DataReceived):
                    self.bodies[e.stream_id] = self.bodies.get(e.stream_id, b"") + e.data
                    self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
                elif isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
                    self.ended.add(e.stream_id)
                    self.order.append(e.stream_id)
                elif isinstance(e, h2.events.ConnectionTerminated):
                    self.goaway = True
            try:
                self.flush()
            except OSError:
                self.closed = True


def test_h2_100_concurrent_streams_on_one_connection(srv, demo):
    c = H2Client(srv, demo)
    sids = [c.get(big_page(demo) if i % 4 == 0 else f"/2/users/{demo['user_id']}", flush=False) for i in range(100)]
    c.flush()
    c.pump(lambda: c.ended.issuperset(sids), 30)
    assert all(c.status[s] == b"200" for s in sids)
    assert all(len(json.loads(c.bodies[s])["data"]) == 1000 for s in sids[::4])


def test_h2_rst_stream_mid_response_keeps_the_connection_usable(srv, demo):
    c = H2Client(srv, demo)
    sids = [c.get(big_page(demo), flush=False) for _ in range(20)]
    c.flush()
    c.pump(lambda: any(s in c.bodies for s in sids))
    for s in sids:
        if s not in c.ended:
            c.conn.reset_stream(s)
    c.flush()
    last = c.get(f"/2/users/{demo['user_id']}")
    c.pump(lambda: last in c.ended)
    assert not c.closed and c.status[last] == b"200"
    assert json.loads(c.bodies[last])["data"]["id"] == demo["user_id"]


def test_h2_rapid_reset_flood_is_cut_off_while_others_are_served(srv, demo):
    c = H2Client(srv, demo)
    served, stop = [], threading.Event()

    # Served, not fast: a starved bystander times out (requests' 10 s timeout), while a wall-clock bound
    # under ASan on a shared 2-core machine flaked (2.15 s against 2.0 s). Latency is for bench/.
    def bystander():
        while not stop.is_set():
            try:
                assert_serving(srv, demo)
                served.append(True)
            except (AssertionError, requests.RequestException):
                served.append(False)

    th = threading.Thread(target=bystander)
    th.start()
    sent = 0
    try:
        while sent < 20_000:
            for _ in range(100):
                c.conn.reset_stream(c.get(big_page(demo), flush=False))
            sent += 100
            c.flush()
    except OSError:
        pass  # the server cut the connection
    stop.set()
    th.join()
    assert sent < 20_000, "a connection cancelling 20000 streams was never cut off"
    assert served and all(served), f"{served.count(False)} of {len(served)} bystander requests failed"
    assert_serving(srv, demo)


def test_h2_zero_window_stall_is_cut_off(srv, demo):
    c = H2Client(srv, demo, {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    c.get(big_page(demo))
    t0 = time.monotonic()
    c.pump(lambda: False, CUT_LIMIT_S)  # ends only when the server closes the connection; else fails
    assert c.closed and time.monotonic() - t0 < CUT_LIMIT_S


def test_h2_header_bomb_ends_the_connection_at_once(demo):
    """CVE-2026-49975 ("HTTP/2 bomb"): thousands of 1-byte HPACK-indexed fields held by a closed window.
    More than 256 fields end the connection at once, long before the (here 20 s) stall timeout would;
    200 are served."""
    s = Server(demo["db"], "--rate-limits", "off", "--timeout", "20000")
    s.port = int(s.url.rsplit(":", 1)[1])
    try:
        def request(c, nfields):
            sid = c.conn.get_next_available_stream_id()
            c.conn.send_headers(sid, [(":method", "GET"), (":path", f"/2/users/{demo['user_id']}"),
                                      (":scheme", "http"), (":authority", "x"),
                                      ("authorization", "Bearer " + demo["bearer_token"])] +
                                [("x-b", "1")] * nfields, end_stream=True)
            c.flush()
            return sid

        c = H2Client(s, demo, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        t0 = time.monotonic()
        request(c, 5000)
        c.pump(lambda: False, 15.0)
        assert c.closed and time.monotonic() - t0 < 10.0, time.monotonic() - t0
        ok = H2Client(s, demo)
        sid = request(ok, 200)
        ok.pump(lambda: sid in ok.ended)
        assert ok.status[sid] == b"200"
    finally:
        s.stop()


def test_h2_garbage_after_preface(srv, demo):
    s = connect(srv)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes(range(256)) * 4)
    read_until_close(s, CUT_LIMIT_S)
    assert_serving(srv, demo)


# --- shutdown with requests in flight ---------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_lets_in_flight_requests_finish(demo, sig):
    # curl's --limit-rate throttles as it reads: when the server gets all ten bodies into the loopback
    # buffers before curl first reads (seen once in CI, under load: all ten done in 18 ms), nothing is in
    # flight at the signal and the run shows nothing. Such a run is repeated (at most three); every other
    # assertion holds in every run.
    for attempt in range(3):
        if signal_in_flight_once(demo, sig, last=attempt == 2):
            return


def signal_in_flight_once(demo, sig, last):
    """One run; False if too few HTTP/2 streams were still running at the signal (and not last)."""
    s = Server(demo["db"], "--rate-limits", "off")
    s.port = int(s.url.rsplit(":", 1)[1])
    try:
        h1 = []
        for _ in range(6):  # responses larger than the socket buffers: still being written at the signal
            k = connect(s, rcvbuf=4096)
            k.sendall(get_req(big_page(demo), demo["bearer_token"]))
            h1.append(k)
        # ten HTTP/2 streams on one connection, read at ~100 KB/s (python-h2 stops at GOAWAY)
        curl = subprocess.Popen(["curl", "-s", "-S", "--http2", "--parallel", "--limit-rate", "100k",
                                 "-H", "Authorization: Bearer " + demo["bearer_token"],
                                 "-w", "%{http_version} %{http_code} %{num_connects} %{size_download} %{time_total}\n"] +
                                # the first (upgrade) response must be small: curl 7.88 buffers only 32 KB after it
                                ["-o", "/dev/null", f"{s.url}/2/users/{demo['user_id']}"] +
                                [a for _ in range(10) for a in ("-o", "/dev/null", s.url + big_page(demo))],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.3)
        s.proc.send_signal(sig)
        s.signaled = True
        for k in h1:
            status, hdrs, body = Reader(k).response()
            assert status == 200 and len(json.loads(body)["data"]) == 1000
            k.close()
        out, err = curl.communicate(timeout=30)
        assert curl.returncode == 0, err
        rows = [ln.split() for ln in out.splitlines()]
        assert len(rows) == 11 and all(r[:2] == ["2", "200"] for r in rows), out
        assert sorted(int(r[3]) > 100_000 for r in rows) == [False] + [True] * 10, out
        assert sum(int(r[2]) for r in rows) == 1
        assert s.proc.wait(timeout=15) == 0
        with pytest.raises(OSError):
            connect(s)  # the listener is gone
        in_flight = sum(float(r[4]) > 0.5 for r in rows)  # most were still running at the signal
        assert in_flight >= 5 or not last, out
        return in_flight >= 5
    finally:
        s.stop()


def test_sigterm_closes_idle_connections_at_once_and_finishes_in_flight(demo):
    """Issue 11, defect 9: idle keep-alive connections (HTTP/1.1 between requests, HTTP/2 without streams)
    do not hold the exit for the 5 s grace period; a response being written still completes, and a
    connection with half a request head received is given the grace period (not cut at once)."""
    s = Server(demo["db"], "--rate-limits", "off")
    s.port = int(s.url.rsplit(":", 1)[1])
    try:
        idle = []
        for _ in range(8):
            k = connect(s)
            k.sendall(get_req(f"/2/users/{demo['user_id']}", demo["bearer_token"]))
            assert Reader(k).response()[0] == 200
            idle.append(k)
        h2c = H2Client(s, demo)
        sid = h2c.get(f"/2/users/{demo['user_id']}")
        h2c.pump(lambda: sid in h2c.ended)
        busy = connect(s, rcvbuf=4096)  # a 1000-user page, still being written at the signal
        busy.sendall(get_req(big_page(demo), demo["bearer_token"]))
        time.sleep(0.3)
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        s.signaled = True
        for k in idle:  # closed by the server at once, not after 5 s
            data, took = read_until_close(k, 2.0)
            assert data == b"", data[:200]
        h2c.pump(lambda: False, 2.0)
        assert h2c.closed and h2c.goaway
        time.sleep(0.5)
        status, _, body = Reader(busy).response()  # the in-flight one completes
        assert status == 200 and len(json.loads(body)["data"]) == 1000
        data, _ = read_until_close(busy, 2.0)  # and its connection ends after it (no keep-alive)
        assert data == b""
        assert s.proc.wait(timeout=15) == 0
        assert time.monotonic() - t0 < 3.0, time.monotonic() - t0
    finally:
        s.stop()


def test_sigterm_waits_for_a_request_being_received(demo):
    s = Server(demo["db"], "--rate-limits", "off")
    s.port = int(s.url.rsplit(":", 1)[1])
    try:
        k = connect(s)
        head = get_req(f"/2/users/{demo['user_id']}", demo["bearer_token"])
        k.sendall(head[:20])  # half a head: a request is on its way
        time.sleep(0.3)
        s.proc.send_signal(signal.SIGTERM)
        s.signaled = True
        time.sleep(0.5)
        k.sendall(head[20:])
        status, hdrs, body = Reader(k).response()
        assert status == 200 and hdrs.get("connection") == "close"
        assert s.proc.wait(timeout=15) == 0
    finally:
        s.stop()
