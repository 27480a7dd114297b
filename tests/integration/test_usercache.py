"""The user cache (serve --user-cache, src/store/lmdb_cards.c): default-fields follower pages read their users from
memory on LMDB, and still show every profile change at once, whether the admin CLI (another process) made it or
another server did. The response cache is off here, so every page below goes to the store. On PostgreSQL the option
does nothing and the same pages must be just as right."""
import subprocess

import requests

from conftest import BIN, Server, bearer, new_user, run_cli, unique, user_token


def followers(url, tok, uid, fields=None):
    params = {"max_results": 100}
    if fields:
        params["user.fields"] = fields
    r = requests.get(f"{url}/2/users/{uid}/followers", params=params, headers=bearer(tok), timeout=10)
    assert r.status_code == 200, r.text
    return r.json().get("data", [])


def test_profile_changes_show_on_default_field_pages(demo):
    db, app = demo["db"], demo["app_id"]
    nodes = [Server(db, "--rate-limits", "off", "--response-cache", "off") for _ in range(2)]
    try:
        owner = new_user(db, unique("uco"))
        otok = user_token(db, app, owner)
        shown = []  # the model, newest follower first: [id, name, username]
        for _ in range(5):
            name = unique("ucf")
            uid = new_user(db, name)
            r = requests.post(f"{nodes[0].url}/2/users/{uid}/following", json={"target_user_id": owner},
                              headers=bearer(user_token(db, app, uid)), timeout=10)
            assert r.status_code == 200, r.text
            shown.insert(0, [uid, name.title(), name])

        def check():
            want = [{"id": i, "name": n, "username": u} for i, n, u in shown]
            for url in (n.url for n in nodes):
                for _ in range(3):  # both event-loop threads, from the table and then from memory
                    assert followers(url, otok, owner) == want
                got = followers(url, otok, owner, "connection_status")
                assert [{k: v for k, v in u.items() if k != "connection_status"} for u in got] == want

        check()
        run_cli("user", "set", shown[0][0], "--name", "Renamed Once", db=db)
        shown[0][1] = "Renamed Once"
        check()
        run_cli("user", "set", shown[1][0], "--username", unique("ucr"), db=db)
        shown[1][2] = run_cli("user", "show", shown[1][0], db=db).split('"username": "')[1].split('"')[0]
        check()
        run_cli("user", "set", shown[2][0], "--name", 'He said "hi" \\ \u00e9', db=db)  # escaped in JSON
        shown[2][1] = 'He said "hi" \\ \u00e9'
        check()
        run_cli("user", "set", shown[3][0], "--suspended", db=db)
        del shown[3]
        check()
        run_cli("user", "delete", shown[3][0], db=db)
        del shown[3]
        check()
        name = unique("ucn")  # a follow through the other server
        uid = new_user(db, name)
        r = requests.post(f"{nodes[1].url}/2/users/{uid}/following", json={"target_user_id": owner},
                          headers=bearer(user_token(db, app, uid)), timeout=10)
        assert r.status_code == 200, r.text
        shown.insert(0, [uid, name.title(), name])
        check()
        run_cli("user", "set", shown[1][0], "--unsuspended", "--name", "Back Again", db=db)  # not suspended: a no-op
        shown[1][1] = "Back Again"
        check()
    finally:
        for n in nodes:
            n.stop()


def test_user_cache_option(demo):
    db = demo["db"]
    srv = Server(db, "--user-cache", "off", "--rate-limits", "off")
    srv.stop()
    srv = Server(db, "--user-cache", "2", "--rate-limits", "off")
    srv.stop()
    for bad in ["0", "1048577", "lots", ""]:
        p = subprocess.run([BIN, "serve", "--db", db, "--user-cache", bad], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 2 and "user-cache" in p.stderr, (bad, p.stderr)
