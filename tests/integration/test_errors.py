"""Request validation and authentication errors, as X sends them."""
import requests

from conftest import bearer

INVALID = "https://api.twitter.com/2/problems/invalid-request"


def problem(r):
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    body = r.json()
    assert body["title"] == "Invalid Request" and body["type"] == INVALID
    assert body["detail"] == "One or more parameters to your request was invalid."
    assert list(body) == ["errors", "title", "detail", "type"]
    return body["errors"]


def test_missing_credentials_401(api):
    r = requests.get(f"{api}/2/users/1")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.content == (b'{\n  "title": "Unauthorized",\n  "type": "about:blank",\n  "status": 401,\n'
                         b'  "detail": "Unauthorized"\n}')
    assert len(r.content) == 99


def test_bad_bearer_401(api):
    assert requests.get(f"{api}/2/users/1", headers=bearer("nope")).status_code == 401
    assert requests.get(f"{api}/2/users/1", headers={"Authorization": "Basic abc"}).status_code == 401


def test_bad_id_pattern(api, demo):
    errs = problem(requests.get(f"{api}/2/users/abc/followers", headers=bearer(demo["bearer_token"])))
    assert errs == [{"parameters": {"id": ["abc"]},
                     "message": "The `id` query parameter value [abc] does not match ^[0-9]{1,19}$"}]


def test_id_too_long(api, demo):
    errs = problem(requests.get(f"{api}/2/users/12345678901234567890", headers=bearer(demo["bearer_token"])))
    assert "does not match ^[0-9]{1,19}$" in errs[0]["message"]


def test_bad_username_pattern(api, demo):
    errs = problem(requests.get(f"{api}/2/users/by/username/bad-name", headers=bearer(demo["bearer_token"])))
    assert errs[0]["message"] == "The `username` query parameter value [bad-name] does not match ^[A-Za-z0-9_]{1,15}$"


def test_unknown_query_parameter(api, demo):
    errs = problem(requests.get(f"{api}/2/users/{demo['user_id']}/followers?previous_token=x",
                                headers=bearer(demo["bearer_token"])))
    assert errs[0]["message"] == ("The query parameter [previous_token] is not one of "
                                  "[id,max_results,pagination_token,user.fields,expansions,tweet.fields]")
    assert errs[0]["parameters"] == {"previous_token": ["x"]}


def test_duplicate_parameter(api, demo):
    errs = problem(requests.get(f"{api}/2/users/{demo['user_id']}?user.fields=id&user.fields=name",
                                headers=bearer(demo["bearer_token"])))
    assert errs[0]["message"] == "Duplicate parameters are not allowed: the `user.fields` query parameter"
    errs = problem(requests.get(f"{api}/2/users/{demo['user_id']}?id=5", headers=bearer(demo["bearer_token"])))
    assert errs[0]["message"] == "Duplicate parameters are not allowed: the `id` query parameter"


def test_unknown_field(api, demo):
    errs = problem(requests.get(f"{api}/2/users/{demo['user_id']}?user.fields=created_at,wrong_field",
                                headers=bearer(demo["bearer_token"])))
    assert errs[0]["parameters"] == {"user.fields": ["wrong_field"]}
    assert errs[0]["message"].startswith("The `user.fields` query parameter value [wrong_field] is not one of "
                                         "[affiliation,confirmed_email,connection_status,created_at,")
    errs = problem(requests.get(f"{api}/2/users/{demo['user_id']}?tweet.fields=nope&expansions=bogus",
                                headers=bearer(demo["bearer_token"])))
    assert [list(e["parameters"])[0] for e in errs] == ["tweet.fields", "expansions"]


def test_max_results_range(api, demo):
    for bad in ["0", "1001", "abc", "-1", ""]:
        errs = problem(requests.get(f"{api}/2/users/{demo['user_id']}/followers?max_results={bad}",
                                    headers=bearer(demo["bearer_token"])))
        assert errs[0]["message"] == f"The `max_results` query parameter value [{bad}] is not between 1 and 1000"


def test_invalid_pagination_token(api, demo):
    for bad in ["meta.next_token", "0" * 28, "ZZZZZZZZZZZZZZZZ"]:
        errs = problem(requests.get(f"{api}/2/users/{demo['user_id']}/followers?pagination_token={bad}",
                                    headers=bearer(demo["bearer_token"])))
        assert errs[0]["message"] == f"The `pagination_token` query parameter value [{bad}] is not a valid token."


def test_token_from_another_list_rejected(api, demo):
    h = bearer(demo["bearer_token"])
    tok = requests.get(f"{api}/2/users/{demo['celebrity_user_id']}/followers?max_results=5", headers=h).json()[
        "meta"]["next_token"]
    problem(requests.get(f"{api}/2/users/{demo['celebrity_user_id']}/following?pagination_token={tok}", headers=h))
    problem(requests.get(f"{api}/2/users/{demo['user_id']}/followers?pagination_token={tok}", headers=h))
    # Flip one character: tamper-evident.
    t2 = tok[:-3] + ("A" if tok[-3] != "A" else "B") + tok[-2:]
    problem(requests.get(f"{api}/2/users/{demo['celebrity_user_id']}/followers?pagination_token={t2}", headers=h))


def test_unknown_path_404(api, demo):
    r = requests.get(f"{api}/2/nothing", headers=bearer(demo["bearer_token"]))
    assert r.status_code == 404
    assert r.json() == {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}
    assert requests.put(f"{api}/2/users/me", headers=bearer(demo["bearer_token"])).status_code == 404


def test_test_clock_absent_without_flag(api):
    assert requests.post(f"{api}/_test/clock", json={"advance_seconds": 1}).status_code == 404


def test_scopes_enforced(api, demo):
    from conftest import run_cli
    tok = run_cli("token", "user", "--app", demo["app_id"], "--user", demo["user_id"], "--scopes",
                  "tweet.read users.read", db=demo["db"]).strip()
    assert requests.get(f"{api}/2/users/me", headers=bearer(tok)).status_code == 200
    r = requests.get(f"{api}/2/users/{demo['user_id']}/following", headers=bearer(tok))
    assert r.status_code == 403
    assert r.json() == {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}
    assert len(r.content) == 93
    r = requests.post(f"{api}/2/users/{demo['user_id']}/following", json={"target_user_id": demo["public_user_id"]},
                      headers=bearer(tok))
    assert r.status_code == 403


def test_oversized_body_rejected(api, demo):
    r = requests.post(f"{api}/2/users/{demo['user_id']}/following", data="x" * 200000,
                      headers={**bearer(demo["user_access_token"]), "Content-Type": "application/json"})
    assert r.status_code == 413


def test_error_entries_are_capped(api, demo):
    """7,000 unknown parameters in a 14 KB query (issue 11, defect 6): 16 entries and one saying more were
    found, not a 798 KB body."""
    q = "&".join(["a"] * 7000)
    assert 13_000 < len(q) < 16_384
    r = requests.get(f"{api}/2/users/{demo['user_id']}?{q}", headers=bearer(demo["bearer_token"]))
    errs = problem(r)
    assert len(r.content) < 12_000, len(r.content)
    assert len(errs) == 17
    assert errs[0]["parameters"] == {"a": [""]}
    assert errs[-1] == {"parameters": {}, "message": "More problems were found than the 16 listed; "
                                                     "the rest of the request was not checked"}
    # 16 problems exactly: all listed, no cut entry
    q = "&".join(f"p{i}=1" for i in range(16))
    errs = problem(requests.get(f"{api}/2/users/{demo['user_id']}?{q}", headers=bearer(demo["bearer_token"])))
    assert len(errs) == 16 and all(e["parameters"] for e in errs)
    # many bad items in one list
    r = requests.get(f"{api}/2/users?ids=" + ",".join(["x"] * 1500), headers=bearer(demo["bearer_token"]))
    errs = problem(r)
    assert len(errs) == 17 and len(r.content) < 12_000
