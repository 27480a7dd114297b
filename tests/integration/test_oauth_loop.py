"""Sign-ins must not stall the event loop: scrypt (~0.1 s per check) and the credential writes of the
OAuth endpoints run on the work queue (core/workq.h), so other requests on the same loop are answered
meanwhile. One loop thread; a sign-in POST and then an API read sent on one HTTP/2 connection, in that
order: the server reads the POST first, so if it ran scrypt on the loop the read could only be answered
after the sign-in. Off the loop, the read is answered while the sign-in is still in flight.

This asserts an order, not a latency, so a loaded machine cannot fail it (the read needs well under a
millisecond of loop time, the sign-in a whole scrypt run on a worker). The latency itself is measured by
bench/oauth_loop.py (docs/benchmarks.md)."""
import re
import urllib.parse

import requests

from conftest import Server
from test_http_robustness import H2Client
from test_oauth2_flow import authorize_url, form_fields, make_app, pkce_pair, user_with_password

SIGNINS = 4


def test_reads_are_answered_while_a_signin_is_in_flight(demo):
    app = make_app(demo["db"])
    user = user_with_password(demo["db"])
    srv = Server(demo["db"], "--threads", "1", "--rate-limits", "off")
    srv.port = int(srv.url.rsplit(":", 1)[1])  # for H2Client
    try:
        read = f"/2/users/{demo['user_id']}"
        for _ in range(SIGNINS):
            browser = requests.Session()
            _, challenge = pkce_pair()
            page = browser.get(authorize_url(srv.url, app["client_id"], challenge))
            assert page.status_code == 200, page.text
            action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
            body = urllib.parse.urlencode(dict(form_fields(page.text), username=user[1], password=user[2],
                                               action="allow")).encode()
            headers = [("content-type", "application/x-www-form-urlencoded")]
            cookies = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
            if cookies:
                headers.append(("cookie", cookies))

            c = H2Client(srv, demo)
            signin = c.post(action, headers, body, flush=False)
            reader = c.get(read, flush=False)
            c.flush()  # one write, the POST's frames first
            c.pump(lambda: {signin, reader} <= c.ended, limit=60.0)
            assert c.status[reader] == b"200", c.bodies.get(reader)
            assert c.status[signin] == b"302", c.bodies.get(signin)
            assert b"code=" in c.headers[signin][b"location"]
            assert c.order.index(reader) < c.order.index(signin), "the read waited for the sign-in"
            c.sock.close()
    finally:
        srv.stop()
