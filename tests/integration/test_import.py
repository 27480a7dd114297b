"""followd import / export (issue 13): a generated power-law graph loads into an empty database in one
transaction, lists come out in created_at order through the API, counters and entities are computed,
export | import round-trips byte for byte, and every bad line is reported as FILE:LINE with nothing
imported."""
import collections
import csv
import json
import os
import subprocess
import tempfile

import pytest
import requests

from conftest import BIN, PG, ROOT, Server, bearer, fresh_db, psql, run_cli

GEN = os.path.join(ROOT, "bench", "gen-graph.py")


def cli(*args):
    return subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def graph():
    d = tempfile.mkdtemp(prefix="followd-graph-")
    subprocess.run(["/usr/bin/python3", GEN, "--out", d, "--users", "3000", "--edges", "30000", "--seed", "7"],
                   check=True, capture_output=True, timeout=300)
    return d


def files(d):
    return ["--users", f"{d}/users.jsonl", "--tweets", f"{d}/tweets.jsonl", "--follows", f"{d}/follows.csv"]


@pytest.fixture(scope="module")
def imported(graph):
    db = fresh_db("followd-imp-")
    p = cli("import", "--db", db, *files(graph))
    assert p.returncode == 0, p.stderr
    assert "imported 3000 users" in p.stderr
    app = json.loads(run_cli("app", "create", "--name", "importer", "--project", "imp", db=db))
    s = Server(db, "--rate-limits", "off")
    yield {"db": db, "url": s.url, "bearer": app["bearer_token"], "dir": graph}
    s.stop()


def edges(d):
    with open(f"{d}/follows.csv") as f:
        return [(r[0], r[1], r[2]) for r in csv.reader(f)]


def walk(url, tok, path):
    """Every id of a list, following next_token pages of 1000."""
    ids, token = [], None
    while True:
        params = {"max_results": 1000}
        if token:
            params["pagination_token"] = token
        r = requests.get(url + path, params=params, headers=bearer(tok), timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        ids += [u["id"] for u in body.get("data", [])]
        token = body["meta"].get("next_token")
        if not token:
            return ids


def test_check_passes_after_import(imported):
    assert "consistent" in run_cli("check", db=imported["db"])
    if PG:  # the list indexes, dropped for the COPY, are back with their definitions
        got = psql("SELECT indexdef FROM pg_indexes WHERE tablename = 'fw_rel' ORDER BY indexname", url=imported["db"])
        assert got.split("\n")[:3] == [
            "CREATE INDEX fw_rel_by_dst ON public.fw_rel USING btree (dst, state, seq) INCLUDE (src)",
            "CREATE INDEX fw_rel_by_src ON public.fw_rel USING btree (src, state, seq) INCLUDE (dst)",
            "CREATE UNIQUE INDEX fw_rel_pkey ON public.fw_rel USING btree (src, dst)"], got


def test_lists_are_in_created_at_order_and_counters_match(imported):
    e = edges(imported["dir"])
    by_dst = collections.defaultdict(list)
    by_src = collections.defaultdict(list)
    for i, (s, d, t) in enumerate(e):
        by_dst[d].append((t, i, s))
        by_src[s].append((t, i, d))
    top = max(by_dst, key=lambda k: len(by_dst[k]))
    assert len(by_dst[top]) > 100  # power law: someone has many followers
    want = [s for _, _, s in sorted(by_dst[top], reverse=True)]
    assert walk(imported["url"], imported["bearer"], f"/2/users/{top}/followers") == want
    src = max(by_src, key=lambda k: len(by_src[k]))
    want = [d for _, _, d in sorted(by_src[src], reverse=True)]
    assert walk(imported["url"], imported["bearer"], f"/2/users/{src}/following") == want
    r = requests.get(imported["url"] + f"/2/users/{top}", params={"user.fields": "public_metrics"},
                     headers=bearer(imported["bearer"]), timeout=30).json()
    assert r["data"]["public_metrics"]["followers_count"] == len(by_dst[top])
    assert r["data"]["public_metrics"]["following_count"] == len(by_src.get(top, []))


def test_entities_and_pinned_tweets_are_imported(imported):
    users = [json.loads(l) for l in open(imported["dir"] + "/users.jsonl")]
    u = next(x for x in users if "description" in x and "pinned_tweet_id" in x and not x["protected"])
    r = requests.get(imported["url"] + f"/2/users/{u['id']}",
                     params={"user.fields": "entities,description,created_at", "expansions": "pinned_tweet_id"},
                     headers=bearer(imported["bearer"]), timeout=30).json()
    assert r["data"]["created_at"] == u["created_at"]
    assert r["data"]["description"] == u["description"]
    tags = [h["tag"] for h in r["data"]["entities"]["description"]["hashtags"]]
    assert tags and all(("#" + t) in u["description"] for t in tags)
    assert r["includes"]["tweets"][0]["id"] == u["pinned_tweet_id"]


def test_export_then_import_round_trips(imported, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    out = ["--users", "users.jsonl", "--tweets", "tweets.jsonl", "--follows", "follows.csv",
           "--requests", "requests.csv"]
    p = cli("export", "--db", imported["db"], *[str(a / x) if x.endswith(("l", "v")) else x for x in out])
    assert p.returncode == 0, p.stderr
    # Export writes what was imported: the same edges, oldest first.
    exported = [tuple(l.strip().split(",")) for l in open(a / "follows.csv")]
    e = edges(imported["dir"])
    assert sorted(exported) == sorted((s, d) for s, d, _ in e)
    order = {(s, d): (t, i) for i, (s, d, t) in enumerate(e)}
    assert [order[x] for x in exported] == sorted(order[x] for x in exported)
    db2 = fresh_db()
    p = cli("import", "--db", db2, "--users", a / "users.jsonl", "--tweets", a / "tweets.jsonl",
            "--follows", a / "follows.csv", "--requests", a / "requests.csv")
    assert p.returncode == 0, p.stderr
    assert "consistent" in run_cli("check", db=db2)
    p = cli("export", "--db", db2, *[str(b / x) if x.endswith(("l", "v")) else x for x in out])
    assert p.returncode == 0, p.stderr
    for name in ("users.jsonl", "tweets.jsonl", "follows.csv", "requests.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


USERS = ('{"id":"101","username":"alice","name":"Alice","created_at":"2020-01-01T00:00:00.000Z"}\n'
         '{"id":"102","username":"bob","name":"Bob","protected":true}\n'
         '{"id":"103","username":"carol","name":"Carol","description":"#hello @alice"}\n')


@pytest.mark.parametrize("users,follows,requests_csv,where,why", [
    # lines of the fast parser's shape but bad, and lines it leaves to jansson: jansson's verdict either way
    (USERS + '{"id":"104","id":"105","username":"dave","name":"D"}\n', "", "", "users.jsonl:4:", "not JSON"),
    (USERS + '{"id":"104","username":"dave","name":"\\ud800"}\n', "", "", "users.jsonl:4:", "not JSON"),
    (USERS + '{"id":"104","username":"dave","name":"D","public_metrics":{"listed_count":-1}}\n', "", "",
     "users.jsonl:4:", "public_metrics counts must be non-negative integers"),
    (USERS + '{"id":"104","username":"dave","name":"D","withheld":{"country_codes":["DEU"]}}\n', "", "",
     "users.jsonl:4:", "withheld must be"),
    (USERS + '{"id":"104","username":"dave","name":"D","lang":"en","url":3}\n', "", "", "users.jsonl:4:",
     "description, url, location and profile_image_url must be strings"),
    (USERS + '{"id":"104","username":"Alice","name":"A2"}\n', "", "", "users.jsonl:4:", "was given earlier"),
    (USERS.replace('"2020-01-01T00:00:00.000Z"', '"yesterday"'), "", "", "users.jsonl:1:", "created_at"),
    (USERS + "{not json\n", "", "", "users.jsonl:4:", "not JSON"),
    (USERS + '{"id":"105","username":"bad name","name":"X"}\n', "", "", "users.jsonl:4:", "username"),
    (USERS, "101,102\n101,999\n", "", "follows.csv:2:", "target_id is not among"),
    (USERS, "101,102\n103,101\n101,101\n", "", "follows.csv:3:", "itself"),
    (USERS, "source_id,target_id\n101,102\n103,101\n101,102\n", "", "follows.csv:4:", "same pair"),
    (USERS, "101,102,2020-13-01T00:00:00.000Z\n", "", "follows.csv:1:", "created_at"),
    (USERS, "101;102\n", "", "follows.csv:1:", "expected source_id,target_id"),
    (USERS, "", "101,103\n", "requests.csv:1:", "protected account"),
    (USERS, "101,102\n", "103,102\n101,102\n", "requests.csv:2:", "same pair"),
])
def test_bad_lines_are_reported_and_nothing_is_imported(tmp_path, users, follows, requests_csv, where, why):
    db = fresh_db()
    args = ["--users", write(tmp_path / "users.jsonl", users)]
    if follows:
        args += ["--follows", write(tmp_path / "follows.csv", follows)]
    if requests_csv:
        args += ["--requests", write(tmp_path / "requests.csv", requests_csv)]
    p = cli("import", "--db", db, *args)
    assert p.returncode == 1
    assert where in p.stderr and why in p.stderr, p.stderr
    assert "nothing was imported" in p.stderr
    # All or nothing: the database is still empty, so a good import succeeds now.
    p = cli("import", "--db", db, "--users", write(tmp_path / "ok.jsonl", USERS))
    assert p.returncode == 0, p.stderr
    assert run_cli("user", "list", db=db).count("\n") == 3


def test_users_read_by_either_parser_are_stored_alike(tmp_path):
    """The hand-written parser (escapes, withheld, public_metrics) and jansson (a line with a key import does not
    read, or a null) store the same fields."""
    same = ('"created_at":"2021-03-29T15:15:02.000Z",'
            '"name":"Ren\\u00e9e \\"R\\" \\ud83d\\ude00","description":"caf\\u00e9 #tag\\n@alice",'
            '"location":"Zurich","withheld":{"country_codes":["DE","FR"]},"public_metrics":{"listed_count":4}')
    lines = ('{"id":"201","username":"fast",' + same + '}\n'
             '{"id":"202","username":"slow",' + same + ',"lang":"en","pinned_tweet_id":null}\n')
    db = fresh_db()
    p = cli("import", "--db", db, "--users", write(tmp_path / "u.jsonl", lines))
    assert p.returncode == 0, p.stderr
    fast, slow = (json.loads(run_cli("user", "show", "@" + n, db=db)) for n in ("fast", "slow"))
    assert fast["name"] == "Ren\u00e9e \"R\" \U0001F600" and fast["description"] == "caf\u00e9 #tag\n@alice"
    assert fast["withheld"] == "DE,FR" and fast["listed_count"] == 4
    assert fast["entities"]["description"]["hashtags"][0]["tag"] == "tag"
    for k in ("id", "username"):
        del fast[k], slow[k]
    assert fast == slow


def test_requests_and_a_non_empty_database(tmp_path):
    db = fresh_db()
    p = cli("import", "--db", db, "--users", write(tmp_path / "u.jsonl", USERS),
            "--follows", write(tmp_path / "f.csv", "103,101\n"), "--requests", write(tmp_path / "r.csv", "101,102\n"))
    assert p.returncode == 0, p.stderr
    assert "consistent" in run_cli("check", db=db)
    show = json.loads(run_cli("user", "show", "@alice", db=db))
    assert show["followers_count"] == 1 and show["following_count"] == 0  # a pending request is not a follow
    p = cli("import", "--db", db, "--users", str(tmp_path / "u.jsonl"))
    assert p.returncode == 1 and "not empty" in p.stderr


@pytest.mark.skipif(not PG, reason="PostgreSQL backend only (FOLLOWD_STORE=postgresql)")
def test_export_from_postgresql_imports_into_lmdb(tmp_path):
    """The export scans of the PostgreSQL backend: a PostgreSQL database exported and imported into LMDB
    passes check with the same counts, and imported back into PostgreSQL exports the same bytes."""
    src = fresh_db()
    run_cli("demo", "--json", "--users", "300", db=src)
    names = ["users.jsonl", "tweets.jsonl", "follows.csv", "requests.csv"]
    args = sum([[f"--{n.split('.')[0]}", str(tmp_path / n)] for n in names], [])
    p = cli("export", "--db", src, *args)
    assert p.returncode == 0, p.stderr
    db = str(tmp_path / "lmdb")
    p = cli("import", "--db", db, *args)
    assert p.returncode == 0, p.stderr
    assert "consistent" in run_cli("check", db=db)
    follows = sum(1 for _ in open(tmp_path / "follows.csv"))
    assert follows > 0 and f"{follows} follows" in p.stderr
    back, again = fresh_db(), tmp_path / "again"
    again.mkdir()
    p = cli("import", "--db", back, *args)
    assert p.returncode == 0, p.stderr
    assert "consistent" in run_cli("check", db=back)
    p = cli("export", "--db", back, *sum([[f"--{n.split('.')[0]}", str(again / n)] for n in names], []))
    assert p.returncode == 0, p.stderr
    for n in names:
        assert (tmp_path / n).read_bytes() == (again / n).read_bytes(), n


def test_ids_made_after_an_import_are_above_the_imported_ones(tmp_path):
    """The id counter moves past every imported user and tweet id, so a user or tweet added later never takes one
    (ids near the top of the snowflake range here, far ahead of the clock)."""
    db = fresh_db()
    top = 9000000000000000000
    users = write(tmp_path / "u.jsonl", f'{{"id":"{top}","username":"future","name":"Future"}}\n'
                                        f'{{"id":"{top - 5}","username":"past","name":"Past"}}\n')
    tweets = write(tmp_path / "t.jsonl", f'{{"id":"{top + 7}","author_id":"{top - 5}","text":"hi"}}\n')
    p = cli("import", "--db", db, "--users", users, "--tweets", tweets)
    assert p.returncode == 0, p.stderr
    uid = int(run_cli("user", "add", "--username", "later", "--name", "Later", db=db).strip())
    assert uid > top + 7
    assert "consistent" in run_cli("check", db=db)


# ---- files parsed in chunks on worker threads (src/cli/linechunks.c) ----

def cli_chunked(chunk, *args):
    """followd with its files cut into chunks of about `chunk` bytes (FOLLOWD_IMPORT_CHUNK)."""
    env = dict(os.environ, FOLLOWD_IMPORT_CHUNK=str(chunk))
    return subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True, timeout=600, env=env)


def export_all(db, d):
    d.mkdir()
    names = ["users.jsonl", "tweets.jsonl", "follows.csv", "requests.csv"]
    p = cli("export", "--db", db, *sum([[f"--{n.split('.')[0]}", str(d / n)] for n in names], []))
    assert p.returncode == 0, p.stderr
    return {n: (d / n).read_bytes() for n in names}


def test_small_chunks_load_the_same_graph(imported, tmp_path):
    """Chunks of 4093 bytes cut most lines of the generated graph's files somewhere: every line is still read
    exactly once (the export equals the one of the import in one chunk)."""
    db = fresh_db()
    p = cli_chunked(4093, "import", "--db", db, *files(imported["dir"]))
    assert p.returncode == 0, p.stderr
    assert "imported 3000 users" in p.stderr
    assert export_all(db, tmp_path / "small") == export_all(imported["db"], tmp_path / "whole")


@pytest.mark.parametrize("chunk", [1, 9, 17, 1 << 20])
@pytest.mark.parametrize("users,follows,where,why", [
    # a bad line in a later chunk, with its own line number
    (USERS, "101,102\n103,101\n102,103\n101;102\n", "follows.csv:4:", "expected source_id,target_id"),
    (USERS, "101,102\n103,101\n\n102,101,2020-13-01T00:00:00.000Z\n", "follows.csv:4:",
     "created_at must look like 2020-01-01T00:00:00.000Z: 2020-13-01T00:00:00.000Z"),
    (USERS + "\n" + '{"id":"104","username":"dave","name":"Dave"}\n{"id":"105"\n', "", "users.jsonl:6:", "not JSON"),
    # an error the consumer finds (unknown user) comes before a later chunk's parse error
    (USERS, "101,102\n101,999\n101;102\n", "follows.csv:2:", "target_id is not among"),
    # a duplicate pair whose two lines are in different chunks
    (USERS, "101,102\n103,101\n102,103\n101,102\n", "follows.csv:4:", "same pair"),
    # CRLF line ends and a last line without its line end
    (USERS.replace("\n", "\r\n"), "101,102\r\n103,101\r\n101,101", "follows.csv:3:", "itself"),
    (USERS, "101,102\n103,101\n1x1,102", "follows.csv:3:", "expected source_id,target_id"),
    (USERS, "101,102\n103,101\n101,102,2020-01-01T00:00:00.000Z,x\n", "follows.csv:3:", "expected source_id"),
    (USERS, "101,102\n103,101\n12345678901234567890,102\n", "follows.csv:3:", "expected source_id"),
])
def test_chunk_boundaries_keep_lines_exact(tmp_path, chunk, users, follows, where, why):
    db = fresh_db()
    args = ["--users", write(tmp_path / "users.jsonl", users)]
    if follows:
        args += ["--follows", write(tmp_path / "follows.csv", follows)]
    p = cli_chunked(chunk, "import", "--db", db, *args)
    assert p.returncode == 1, p.stderr
    assert where in p.stderr and why in p.stderr, p.stderr
    assert "nothing was imported" in p.stderr
    p = cli("import", "--db", db, "--users", write(tmp_path / "ok.jsonl", USERS))
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("chunk", [1, 13, 1 << 20])
def test_crlf_and_no_final_newline_import(tmp_path, chunk):
    db = fresh_db()
    users = write(tmp_path / "users.jsonl", USERS.replace("\n", "\r\n").rstrip("\r\n"))
    follows = write(tmp_path / "follows.csv", "source_id,target_id\r\n101,102\r\n\r\n103,101\r\n102,103")
    p = cli_chunked(chunk, "import", "--db", db, "--users", users, "--follows", follows)
    assert p.returncode == 0, p.stderr
    assert "imported 3 users, 0 tweets, 3 follows" in p.stderr
    assert "consistent" in run_cli("check", db=db)
    carol = json.loads(run_cli("user", "show", "@carol", db=db))
    assert carol["following_count"] == 1 and carol["followers_count"] == 1


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise(graph):
    import pty
    import re
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, "import", "--db", fresh_db(), *files(graph)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    assert p.wait(timeout=600) == 0
    tty = tty.decode()
    # Redrawn in place: carriage return, a bar, the percentage, the line cleared after it.
    assert re.search(r"\rimport: follows \[#{20}\] 100% \d+/\d+ bytes.*\x1b\[K", tty), repr(tty[-800:])
    assert "imported 3000 users" in tty
    plain = cli("import", "--db", fresh_db(), *files(graph))
    assert plain.returncode == 0, plain.stderr
    lines = plain.stderr.splitlines()
    assert "\r" not in plain.stderr and "[" not in plain.stderr and "\x1b" not in plain.stderr
    # PostgreSQL COPYs the relationships as one table; LMDB's schema 2 writes them with the following lists
    for phase in ("users", "follows") + (("writing relationships",) if PG else ("writing following", "syncing")):
        assert any(l.startswith(f"import: {phase} 100% ") for l in lines), lines
    for l in lines[:-1]:
        assert re.fullmatch(r"import: [a-z ()]+ +\d+% \d+/\d+ \w+(, \d+/s)?(, ETA \d+:\d\d)?", l), l
    assert lines[-1].startswith("import: imported 3000 users")
