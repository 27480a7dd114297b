"""The admin command line."""
import json
import os
import subprocess
import tempfile

from conftest import BIN, fresh_db, run_cli


def test_help_on_every_command():
    for cmd in ["serve", "user", "tweet", "app", "token", "demo", "check", "tls", "hosts"]:
        p = subprocess.run([BIN, cmd, "--help"], capture_output=True, text=True)
        assert p.returncode == 0 and "usage: followd " + cmd in p.stdout


def test_errors_are_one_line_and_nonzero():
    d = fresh_db()
    p = run_cli("user", "show", "12345", db=d, check=False)
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and p.stderr.startswith("followd: ")
    p = run_cli("user", "add", "--username", "bad name!", "--name", "x", db=d, check=False)
    assert p.returncode != 0 and p.stderr.startswith("followd: ")
    p = subprocess.run([BIN, "nonsense"], capture_output=True, text=True)
    assert p.returncode == 2


def test_user_add_show_set():
    d = fresh_db()
    uid = run_cli("user", "add", "--username", "Alice", "--name", "Alice A", "--description", "Hi #there",
                  "--location", "Berlin", db=d).strip()
    assert uid.isdigit()
    dup = run_cli("user", "add", "--username", "alice", "--name", "other", db=d, check=False)
    assert dup.returncode == 1 and "taken" in dup.stderr
    run_cli("user", "set", uid, "--protected", "--name", "Alice B", db=d)
    shown = json.loads(run_cli("user", "show", "@alice", db=d))
    assert shown["name"] == "Alice B" and shown["protected"] is True and shown["location"] == "Berlin"
    # Invalid UTF-8 is refused with a clear message and never stored.
    bad = subprocess.run([BIN.encode(), b"user", b"set", uid.encode(), b"--db", d.encode(), b"--description",
                          b"caf\xc3 \xff"], capture_output=True)
    assert bad.returncode == 2 and b"valid UTF-8" in bad.stderr
    assert json.loads(run_cli("user", "show", uid, db=d))["description"] == "Hi #there"


def test_user_add_with_chosen_id():
    d = tempfile.mkdtemp()
    assert run_cli("user", "add", "--id", "2244994945", "--username", "XDevelopers", "--name", "Developers",
                   db=d).strip() == "2244994945"
    assert json.loads(run_cli("user", "show", "@xdevelopers", db=d))["id"] == "2244994945"
    # An id that is taken (under another username) is refused and names the id.
    p = run_cli("user", "add", "--id", "2244994945", "--username", "other", "--name", "Other", db=d, check=False)
    assert p.returncode == 1 and "user id 2244994945 already exists" in p.stderr
    assert run_cli("user", "show", "@other", db=d, check=False).returncode == 1
    # Ids that are no X user id: zero, signed, non-numeric, over 2^63-1, too long.
    for bad in ["0", "-5", "12a", "9223372036854775808", "99999999999999999999", ""]:
        p = run_cli("user", "add", "--id", bad, "--username", "other", "--name", "Other", db=d, check=False)
        assert p.returncode == 2 and "--id takes a user id" in p.stderr, bad
    assert run_cli("user", "add", "--id", "9223372036854775807", "--username", "maxid", "--name", "Max",
                   db=d).strip() == "9223372036854775807"
    # A user's id never changes: set refuses --id.
    p = run_cli("user", "set", "@maxid", "--id", "5", db=d, check=False)
    assert p.returncode == 2 and "only for user add" in p.stderr
    # Without --id, ids are still assigned (and never collide with a chosen one).
    uid = run_cli("user", "add", "--username", "fresh", "--name", "Fresh", db=d).strip()
    assert uid.isdigit() and uid not in ("2244994945", "9223372036854775807")
    assert "--id N" in run_cli("user", "--help")


def test_demo_json_keys_and_reuse():
    d = fresh_db()
    a = json.loads(run_cli("demo", "--json", "--users", "300", db=d))
    for k in ["bearer_token", "consumer_key", "consumer_secret", "client_id", "client_secret", "user_id", "username",
              "user_access_token", "access_token", "access_token_secret", "public_user_id", "protected_user_id",
              "celebrity_user_id", "protected_user_access_token"]:
        assert isinstance(a[k], str) and a[k], k
    b = json.loads(run_cli("demo", "--json", db=d))
    assert a == b
    assert "ok" in run_cli("check", db=d)


def test_numbers_and_redirect_uris_are_checked():
    d = fresh_db()
    uid = run_cli("user", "add", "--username", "carol", "--name", "Carol", db=d).strip()
    app = json.loads(run_cli("app", "create", "--name", "a", "--redirect-uri", "myapp://cb", db=d))
    # An expiry so far away that seconds -> milliseconds overflowed (UBSan abort) is refused.
    p = run_cli("token", "user", "--app", app["app_id"], "--user", uid, "--expires-in", "99999999999999999",
                db=d, check=False)
    assert p.returncode == 2 and "--expires-in takes a number" in p.stderr, p.stderr
    assert run_cli("token", "user", "--app", app["app_id"], "--user", uid, "--expires-in", "3600", db=d).strip()
    # Redirect URIs end up in Location headers and links: no control characters, spaces or script schemes.
    for bad in ["http://x/cb\r\nSet-Cookie: a=b", "javascript:alert(1)", "JavaScript:alert(1)", "/relative",
                "http://x/a b", "data:text/html,hi", "http://x/" + "a" * 1100]:
        p = run_cli("app", "create", "--name", "b", "--redirect-uri", bad, db=d, check=False)
        assert p.returncode == 2 and "--redirect-uri" in p.stderr, (bad, p.stderr)
    # serve: a typo is an error, not "0 threads" or an unlimited body.
    for opt, val in [("--threads", "two"), ("--max-body", "-1"), ("--timeout", "10s"), ("--threads", "999")]:
        p = subprocess.run([BIN, "serve", "--db", d, opt, val], capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and opt in p.stderr, (opt, val, p.stderr)


def test_token_revoke(api, demo):
    import requests
    uid = run_cli("user", "add", "--username", "rev" + str(os.getpid() % 10000), "--name", "R", db=demo["db"]).strip()
    tok = run_cli("token", "user", "--app", demo["app_id"], "--user", uid, db=demo["db"]).strip()
    pair = json.loads(run_cli("token", "oauth1", "--app", demo["app_id"], "--user", uid, db=demo["db"]))
    h = {"Authorization": "Bearer " + tok}
    assert requests.get(f"{api}/2/users/me", headers=h).status_code == 200
    assert run_cli("token", "revoke", tok, db=demo["db"]).strip() == "revoked"
    assert requests.get(f"{api}/2/users/me", headers=h).status_code == 401
    assert run_cli("token", "revoke", tok, db=demo["db"]).strip() == "already revoked"
    from requests_oauthlib import OAuth1
    auth = OAuth1(demo["consumer_key"], demo["consumer_secret"], pair["access_token"], pair["access_token_secret"])
    assert requests.get(f"{api}/2/users/me", auth=auth).status_code == 200
    assert run_cli("token", "revoke", pair["access_token"], db=demo["db"]).strip() == "revoked"
    assert requests.get(f"{api}/2/users/me", auth=auth).status_code == 401
    p = run_cli("token", "revoke", "no-such-token", db=demo["db"], check=False)
    assert p.returncode == 1 and "no such token" in p.stderr
