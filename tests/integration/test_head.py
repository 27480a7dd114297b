"""HEAD gets the headers a GET would get and never a byte of body, on HTTP/1.1 and HTTP/2 (issue 11, defect 3)."""
import socket

import pytest

h2 = pytest.importorskip("h2.connection")  # python3-h2 (scripts/deps.sh)
import h2.config  # noqa: E402
import h2.events  # noqa: E402


def addr(api):
    host, port = api.split("//")[1].split(":")
    return host, int(port)


def read_response(f):
    """Reads one HTTP/1.1 response head from a file object; returns (status line, {header: value})."""
    status = f.readline().decode().strip()
    hdrs = {}
    while True:
        line = f.readline().decode().strip()
        if not line:
            return status, hdrs
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()


def h2_exchange(s, c):
    """Sends what the h2 connection c has queued on socket s and reads one stream's answer to its end;
    returns (status, body bytes, whether the stream ended) and closes s."""
    s.sendall(c.data_to_send())
    status, body, ended = None, b"", False
    while not ended:
        d = s.recv(65536)
        if not d:
            break
        for e in c.receive_data(d):
            if isinstance(e, h2.events.ResponseReceived):
                status = dict(e.headers)[b":status"]
            elif isinstance(e, h2.events.DataReceived):
                body += e.data
                c.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            elif isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
                ended = True
        s.sendall(c.data_to_send())
    s.close()
    return status, body, ended


def test_head_has_no_body_and_keeps_http1_in_step(api, demo):
    path = f"/2/users/{demo['user_id']}"
    auth = f"Authorization: Bearer {demo['bearer_token']}\r\n"
    s = socket.create_connection(addr(api), timeout=10)
    # Pipelined: HEAD of a 200, HEAD of a 404 problem, then a GET. Each response must start exactly where the
    # previous one's headers end.
    s.sendall((f"HEAD {path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n"
               f"HEAD /2/nope HTTP/1.1\r\nHost: x\r\n{auth}\r\n"
               f"GET {path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n").encode())
    f = s.makefile("rb")
    st1, h1 = read_response(f)
    assert st1 == "HTTP/1.1 200 OK" and int(h1["content-length"]) > 0
    st2, h2h = read_response(f)
    assert st2.startswith("HTTP/1.1 404"), st2
    st3, h3 = read_response(f)
    assert st3 == "HTTP/1.1 200 OK", st3
    body = f.read(int(h3["content-length"]))
    assert int(h3["content-length"]) == int(h1["content-length"])  # HEAD announced the GET's length
    assert b'"username":"demo"' in body
    s.close()


def test_head_over_http2_sends_no_data(api, demo):
    s = socket.create_connection(addr(api), timeout=10)
    cfg = h2.config.H2Configuration(client_side=True)
    c = h2.connection.H2Connection(cfg)
    c.initiate_connection()
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, [(":method", "HEAD"), (":path", f"/2/users/{demo['user_id']}"), (":scheme", "http"),
                         (":authority", "x"), ("authorization", f"Bearer {demo['bearer_token']}")], end_stream=True)
    status, body, ended = h2_exchange(s, c)
    assert status == b"200" and ended and body == b""


def test_target_without_leading_slash_is_refused(api, demo):
    """An HTTP/2 :path or HTTP/1.1 target without its leading '/' is malformed: 400, never routed (issue 11, defect 7)."""
    s = socket.create_connection(addr(api), timeout=10)
    s.sendall(f"GET 2/users/{demo['user_id']} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {demo['bearer_token']}"
              "\r\nConnection: close\r\n\r\n".encode())
    status, _ = read_response(s.makefile("rb"))
    s.close()
    assert status.startswith("HTTP/1.1 400"), status
    cfg = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False,
                                    normalize_outbound_headers=False)
    s = socket.create_connection(addr(api), timeout=10)
    c = h2.connection.H2Connection(cfg)
    c.initiate_connection()
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, [(b":method", b"GET"), (b":path", f"2/users/{demo['user_id']}".encode()),
                         (b":scheme", b"http"), (b":authority", b"x"),
                         (b"authorization", f"Bearer {demo['bearer_token']}".encode())], end_stream=True)
    status, body, _ = h2_exchange(s, c)
    assert status == b"400" and b'"username"' not in body
