"""The access log (`followd serve --access-log`): fields, privacy of OAuth queries, escaping,
SIGHUP reopening, flushing at SIGTERM, and one well-formed line per request under concurrency."""
import datetime
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import BIN, Server, bearer, new_user, unique, user_token

h2 = pytest.importorskip("h2.connection")  # python3-h2 (scripts/deps.sh)
import h2.config  # noqa: E402
import h2.events  # noqa: E402

# time peer "method target version" status bytes duration_us access loop
LINE = re.compile(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) "(\S+) (\S+) (HTTP/1\.[01]|HTTP/2)" '
                  r'(\d{3}) (\d+) (\d+) (\S+) (\d+)')
FIELDS = ("time", "peer", "method", "target", "version", "status", "bytes", "us", "access", "loop")


def parse(path):
    """Every line of the log as a dict; fails on any line that is not well-formed."""
    with open(path, "rb") as f:
        data = f.read()
    assert data == b"" or data.endswith(b"\n"), data[-200:]
    out = []
    for raw in data.split(b"\n")[:-1]:
        line = raw.decode("ascii")  # the log is pure ASCII: everything else is escaped
        m = LINE.fullmatch(line)
        assert m, "malformed access log line: " + repr(line)
        out.append(dict(zip(FIELDS, m.groups())))
    return out


def start(demo, log, *extra):
    return Server(demo["db"], "--rate-limits", "off", "--access-log", log, *extra)


def log_path():
    return os.path.join(tempfile.mkdtemp(prefix="followd-alog-"), "access.log")


def wait_for(pred, limit=5.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def raw_http1(url, request):
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                return data
            data += d


def h2_get(url, reqs):
    """Sends (method, path) pairs as HTTP/2 streams (prior knowledge, no client-side header checks);
    returns {index: status}."""
    host, port = url.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)), timeout=10)
    cfg = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False,
                                    normalize_outbound_headers=False, validate_inbound_headers=False)
    c = h2.connection.H2Connection(cfg)
    c.initiate_connection()
    sids = {}
    for i, (method, path) in enumerate(reqs):
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, [(b":method", method), (b":path", path), (b":scheme", b"http"), (b":authority", b"x")],
                       end_stream=True)
        sids[sid] = i
    s.sendall(c.data_to_send())
    status, ended = {}, set()
    while len(ended) < len(sids):
        d = s.recv(65536)
        if not d:
            break
        for e in c.receive_data(d):
            if isinstance(e, h2.events.ResponseReceived):
                status[sids[e.stream_id]] = int(dict(e.headers)[b":status"])
            elif isinstance(e, h2.events.DataReceived):
                c.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            elif isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
                ended.add(e.stream_id)
        s.sendall(c.data_to_send())
    s.close()
    return status


def test_one_line_per_request_with_its_fields(demo):
    log = log_path()
    srv = start(demo, log)
    try:
        t0 = datetime.datetime.now(datetime.timezone.utc)
        api = srv.url
        sess = requests.Session()
        r1 = sess.get(f"{api}/2/users/{demo['user_id']}/followers?max_results=5", headers=bearer(demo["bearer_token"]))
        time.sleep(1.0)  # idle keep-alive time must not count as the next request's duration
        r2 = sess.get(f"{api}/2/users/me", headers=bearer(demo["user_access_token"]))
        r3 = requests.get(f"{api}/2/no/such/route?x=1")
        r4 = requests.post(f"{api}/2/users/{demo['user_id']}/following", data="{" + " " * 70000 + "}",
                           headers={**bearer(demo["user_access_token"]), "Content-Type": "application/json"})
        r5 = requests.head(f"{api}/2/users/me", headers=bearer(demo["user_access_token"]))
        h2status = h2_get(api, [(b"GET", f"/2/users/{demo['user_id']}".encode())])
        t1 = datetime.datetime.now(datetime.timezone.utc)
    finally:
        srv.stop()
    assert [r.status_code for r in (r1, r2, r3, r4, r5)] == [200, 200, 404, 413, 200]
    lines = parse(log)
    assert len(lines) == 6, lines
    by = {(ln["method"], ln["target"], ln["version"]): ln for ln in lines}
    followers = by[("GET", f"/2/users/{demo['user_id']}/followers?max_results=5", "HTTP/1.1")]
    assert followers["status"] == "200" and int(followers["bytes"]) == len(r1.content)
    assert followers["access"] == "read" and followers["peer"] == "127.0.0.1" and followers["loop"] in ("0", "1")
    when = datetime.datetime.strptime(followers["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    assert t0 - datetime.timedelta(seconds=1) <= when <= t1
    me = by[("GET", "/2/users/me", "HTTP/1.1")]
    assert me["status"] == "200" and me["access"] == "read-write" and int(me["bytes"]) == len(r2.content)
    assert int(me["us"]) < 500000, me  # started when its bytes arrived, not when the connection went idle
    missing = by[("GET", "/2/no/such/route?x=1", "HTTP/1.1")]
    assert missing["status"] == "404" and missing["access"] == "-" and int(missing["bytes"]) == len(r3.content)
    big = by[("POST", f"/2/users/{demo['user_id']}/following", "HTTP/1.1")]  # answered by the HTTP layer itself
    assert big["status"] == "413" and int(big["bytes"]) == len(r4.content)
    head = by[("HEAD", "/2/users/me", "HTTP/1.1")]
    assert head["status"] == "200" and head["bytes"] == "0"  # HEAD runs the GET row and sends no body
    h2line = by[("GET", f"/2/users/{demo['user_id']}", "HTTP/2")]
    assert h2status == {0: 401} and h2line["status"] == "401" and h2line["access"] == "-"  # no credentials
    with open(log) as f:
        text = f.read()
    for secret in (demo["bearer_token"], demo["user_access_token"]):
        assert secret not in text


def test_oauth_query_values_never_appear(demo):
    log = log_path()
    srv = start(demo, log)
    try:
        api = srv.url
        cookies = {"fw_session": "SECRETcookie"}
        requests.get(f"{api}/i/oauth2/authorize?response_type=code&client_id={demo['client_id']}"
                     "&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&scope=users.read&state=SECRET1"
                     "&code_challenge=SECRET2&code_challenge_method=plain", cookies=cookies, allow_redirects=False)
        requests.post(f"{api}/2/oauth2/token?code=SECRET3&code_verifier=SECRET4&grant_type=authorization_code",
                      auth=(demo["client_id"], demo["client_secret"]), data={"code": "SECRET5"})
        requests.get(f"{api}/oauth/authorize?oauth_token=SECRET6", allow_redirects=False)
        requests.post(f"{api}/oauth/access_token?oauth_verifier=SECRET7&oauth_token=SECRET8")
        requests.post(f"{api}/OAuth2/Token?grant_type=SECRET9")  # near-miss spellings are redacted too
        requests.post(f"{api}/2/oauth2/revoke?token=SECRETa&&=SECRETb&token_type_hint",
                      auth=(demo["client_id"], demo["client_secret"]))
        h2_get(api, [(b"GET", b"/2/oauth2/authorize?state=SECRETc&x=1")])
    finally:
        srv.stop()
    with open(log) as f:
        text = f.read()
    assert "SECRET" not in text and demo["client_secret"] not in text, text
    targets = sorted(ln["target"] for ln in parse(log))  # two loop threads: file order is not request order
    assert targets == sorted(["/i/oauth2/authorize?response_type&client_id&redirect_uri&scope&state&code_challenge"
                       "&code_challenge_method",
                       "/2/oauth2/token?code&code_verifier&grant_type",
                       "/oauth/authorize?oauth_token",
                       "/oauth/access_token?oauth_verifier&oauth_token",
                       "/OAuth2/Token?grant_type",
                       "/2/oauth2/revoke?token&token_type_hint",
                       "/2/oauth2/authorize?state&x"]), targets


def test_a_request_cannot_break_or_forge_a_line(demo):
    log = log_path()
    srv = start(demo, log)
    forged = b'2020-01-01T00:00:00.000Z 6.6.6.6 "GET /forged HTTP/1.1" 200 0 0 - 0'
    try:
        api = srv.url
        raw_http1(api, b'G"E\\T /a"b\\c\x80\xff%0d%0a?q="x" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        raw_http1(api, b"GET /" + b"z" * 5000 + b' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        st = h2_get(api, [(b'G"ET', b'/y" z\\'),
                          (b"GET", b"/x\r\n" + forged),   # h2o refuses CR/LF in header values itself
                          (b"GET", b"/x\n" + forged)])
    finally:
        srv.stop()
    assert st[0] == 404 and st[1] == 400 and st[2] == 400
    with open(log, "rb") as f:
        data = f.read()
    assert b"/forged" not in data and b"6.6.6.6" not in data
    lines = parse(log)
    targets = {ln["target"]: ln for ln in lines}
    first = targets['/a\\x22b\\x5Cc\\x80\\xFF%0d%0a?q=\\x22x\\x22']
    assert first["method"] == "G\\x22E\\x5CT" and first["version"] == "HTTP/1.1"
    assert targets['/y\\x22\\x20z\\x5C']["method"] == "G\\x22ET"
    long_target = next(t for t in targets if t.startswith("/zzz"))
    assert long_target == "/" + "z" * 2047 + "..."  # cut, so a line always fits one atomic pipe write
    assert all(len(ln) < 4096 for ln in data.split(b"\n"))


def test_a_client_gone_before_the_answer_is_logged_as_499(demo):
    uid = new_user(demo["db"], unique("alog"))
    tok = user_token(demo["db"], demo["app_id"], uid)
    log = log_path()
    srv = start(demo, log)
    try:
        host, port = srv.url.split("//")[1].split(":")
        s = socket.create_connection((host, int(port)), timeout=10)
        c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        c.initiate_connection()
        body = ('{"target_user_id":"%s"}' % demo["celebrity_user_id"]).encode()
        c.send_headers(1, [(":method", "POST"), (":path", f"/2/users/{uid}/following"), (":scheme", "http"),
                           (":authority", "x"), ("authorization", "Bearer " + tok),
                           ("content-type", "application/json"), ("content-length", str(len(body)))])
        c.send_data(1, body, end_stream=True)
        c.reset_stream(1)  # same packet: the stream is gone while the store is still writing
        s.sendall(c.data_to_send())
        time.sleep(0.5)
        s.close()
    finally:
        srv.stop()
    lines = parse(log)
    assert [(ln["method"], ln["target"], ln["status"], ln["bytes"]) for ln in lines] == \
        [("POST", f"/2/users/{uid}/following", "499", "0")], lines


def test_sighup_reopens_the_file_after_logrotate_renamed_it(demo):
    log = log_path()
    srv = start(demo, log)
    try:
        api = srv.url
        for i in range(5):
            requests.get(f"{api}/before/{i}")
        assert wait_for(lambda: len(parse(log)) == 5), "lines were not flushed within the 1 s period"
        os.rename(log, log + ".1")
        srv.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: os.path.exists(log)), "SIGHUP did not reopen the log"
        for i in range(7):
            requests.get(f"{api}/after/{i}")
        assert wait_for(lambda: len(parse(log)) == 7)
        assert srv.proc.poll() is None  # SIGHUP does not stop the server
    finally:
        srv.stop()
    assert sorted(ln["target"] for ln in parse(log + ".1")) == [f"/before/{i}" for i in range(5)]
    assert sorted(ln["target"] for ln in parse(log)) == [f"/after/{i}" for i in range(7)]


def test_sighup_without_an_access_log_is_ignored(demo):
    srv = Server(demo["db"], "--rate-limits", "off")
    try:
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(0.2)
        assert requests.get(f"{srv.url}/2/users/{demo['user_id']}", headers=bearer(demo["bearer_token"])).ok
        assert srv.proc.poll() is None
    finally:
        srv.stop()


def test_every_line_is_flushed_at_sigterm(demo):
    """Traffic runs until the signal, so the last lines are always younger than the 1 s flush timer."""
    log = log_path()
    srv = start(demo, log)
    answered, sent = [[] for _ in range(4)], [0] * 4
    stop = threading.Event()

    def client(c):
        sess = requests.Session()
        i = 0
        while not stop.is_set():
            sent[c] += 1
            try:
                r = sess.get(f"{srv.url}/term/{c}/{i}", timeout=10)
            except requests.RequestException:
                return  # the listener is closed
            assert r.status_code == 404
            answered[c].append(f"/term/{c}/{i}")
            i += 1

    ts = [threading.Thread(target=client, args=(c,)) for c in range(4)]
    try:
        for t in ts:
            t.start()
        time.sleep(1.5)
        srv.terminate()
        srv.proc.wait(timeout=30)
    finally:
        stop.set()
        for t in ts:
            t.join()
        srv.stop()
    logged = [ln["target"] for ln in parse(log)]
    assert len(logged) == len(set(logged)) and len(logged) <= sum(sent)
    missing = {p for a in answered for p in a} - set(logged)
    assert not missing, sorted(missing)[:10]


def test_concurrent_requests_give_exactly_one_well_formed_line_each(demo):
    log = log_path()
    srv = start(demo, log, "--threads", "2")
    pad = "p" * 600  # long lines: each thread passes the 64 KiB flush threshold several times
    nconn, per = 12, 120
    errors = []

    def client(c):
        try:
            sess = requests.Session()
            for i in range(per):
                if i % 3 == 0:
                    r = sess.get(f"{srv.url}/2/users/{demo['user_id']}?c={c}&i={i}&pad={pad}",
                                 headers=bearer(demo["bearer_token"]))
                else:
                    r = sess.get(f"{srv.url}/m/{c}/{i}/{pad}")
                assert r.status_code in (200, 400, 404), r.status_code
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    try:
        ts = [threading.Thread(target=client, args=(c,)) for c in range(nconn)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    finally:
        srv.stop()
    assert not errors, errors
    lines = parse(log)
    assert len(lines) == nconn * per
    keys = []
    for ln in lines:
        m = re.fullmatch(r"/m/(\d+)/(\d+)/p+", ln["target"]) or re.search(r"\?c=(\d+)&i=(\d+)&pad=p+$", ln["target"])
        assert m, ln
        keys.append((int(m.group(1)), int(m.group(2))))
    assert sorted(keys) == [(c, i) for c in range(nconn) for i in range(per)]
    assert {ln["loop"] for ln in lines} <= {"0", "1"}


def test_access_log_to_stderr(demo):
    srv = start(demo, "-")
    try:
        requests.get(f"{srv.url}/to/stderr")
        srv.terminate()
        srv.proc.wait(timeout=30)
        with open(srv.log.name) as f:
            err = f.read()
    finally:
        srv.stop()
    assert re.search(r'^\S+Z 127\.0\.0\.1 "GET /to/stderr HTTP/1\.1" 404 \d+ \d+ - [01]$', err, re.M), err


def test_unwritable_access_log_is_a_startup_error(demo):
    p = subprocess.run([BIN, "serve", "--db", demo["db"], "--listen", "127.0.0.1:0",
                        "--access-log", "/nonexistent-dir/access.log"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "cannot open access log /nonexistent-dir/access.log" in p.stderr
    p = subprocess.run([BIN, "serve", "--db", demo["db"], "--access-log", ""], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2
