"""The HTTP layer with the real API: HTTP/2 (h2c and TLS+ALPN), limits, shutdown."""
import os
import subprocess
import tempfile
import threading
import time

import requests

from conftest import BIN, Server, bearer


def curl(*args):
    p = subprocess.run(["curl", "-s", "-S", "-o", "-", "-w", "\n%{http_version} %{http_code}"] + list(args),
                       capture_output=True, text=True, timeout=30)
    body, _, status = p.stdout.rpartition("\n")
    return body, status


def test_h2c_prior_knowledge(api, demo):
    body, status = curl("--http2-prior-knowledge", "-H", "Authorization: Bearer " + demo["bearer_token"],
                        f"{api}/2/users/{demo['user_id']}")
    assert status == "2 200"
    assert '"username":"demo"' in body


def test_h2c_upgrade(api, demo):
    body, status = curl("--http2", "-H", "Authorization: Bearer " + demo["bearer_token"],
                        f"{api}/2/users/by/username/demo")
    assert status.endswith(" 200") and '"username":"demo"' in body


def test_tls_with_alpn_h2(demo):
    d = tempfile.mkdtemp()
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    srv = Server(demo["db"], "--rate-limits", "off", "--tls-cert", cert, "--tls-key", key)
    try:
        url = srv.url.replace("http://", "https://")
        body, status = curl("-k", "--http2", "-H", "Authorization: Bearer " + demo["bearer_token"],
                            f"{url}/2/users/{demo['user_id']}")
        assert status == "2 200" and '"username":"demo"' in body
        body, status = curl("-k", "--http1.1", f"{url}/2/users/me")
        assert status == "1.1 401"
    finally:
        srv.stop()


def test_json_413_for_large_body(api, demo):
    r = requests.post(f"{api}/2/users/{demo['user_id']}/following", data="{" + " " * 70000 + "}",
                      headers={**bearer(demo["user_access_token"]), "Content-Type": "application/json"})
    assert r.status_code == 413


def test_bad_listen_address_fails_cleanly(demo):
    p = subprocess.run([BIN, "serve", "--db", demo["db"], "--listen", "999.1.1.1:80"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode != 0 and p.stderr.startswith("followd: ")


def test_graceful_shutdown_finishes_in_flight(demo):
    srv = Server(demo["db"], "--rate-limits", "off")
    results = []

    def hammer():
        s = requests.Session()
        for _ in range(200):
            try:
                results.append(s.get(f"{srv.url}/2/users/{demo['celebrity_user_id']}/followers?max_results=1000",
                                     headers=bearer(demo["bearer_token"])).status_code)
            except requests.ConnectionError:
                break

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    while len(results) < 8:
        time.sleep(0.01)
    srv.terminate()
    for t in threads:
        t.join()
    srv.stop()  # asserts exit status 0 and a clean sanitizer log
    assert results and all(code == 200 for code in results)
