"""A protected account's posts (pinned / most recent, through the expansions) reach only the account itself
and its accepted followers (issue 11, defect 1). Everyone else gets the user object, its pinned_tweet_id,
no post in includes, and X's not-authorized-for-resource entry for each post left out."""
import pytest
import requests

from conftest import bearer, new_user, run_cli, unique, user_token

EXP = {"expansions": "pinned_tweet_id,most_recent_tweet_id", "tweet.fields": "author_id"}


def withheld(tid, parameter):
    return {"detail": f"Sorry, you are not authorized to see the Tweet with {parameter}: [{tid}].",
            "parameter": parameter, "resource_id": tid, "resource_type": "tweet", "section": "includes",
            "title": "Authorization Error",
            "type": "https://api.twitter.com/2/problems/not-authorized-for-resource", "value": tid}


@pytest.fixture(scope="module")
def world(server, demo):
    """P protected with a pinned and a newer post; F its accepted follower; N a stranger; Q a public user
    followed by P (so Q's followers list contains P); PUB a public user with a pinned post."""
    api, db, app = server.url, demo["db"], demo["app_id"]
    w = {}
    for name, flags in (("p", ("--protected",)), ("f", ()), ("n", ()), ("q", ()), ("pub", ())):
        uid = new_user(db, unique(name), *flags)
        w[name], w[name + "tok"] = uid, user_token(db, app, uid)
    w["pinned"] = run_cli("tweet", "add", "--author", w["p"], "--text", "pinned and private", "--pin", db=db).strip()
    w["recent"] = run_cli("tweet", "add", "--author", w["p"], "--text", "newest and private", db=db).strip()
    w["pubpin"] = run_cli("tweet", "add", "--author", w["pub"], "--text", "public", "--pin", db=db).strip()
    r = requests.post(f"{api}/2/users/{w['f']}/following", json={"target_user_id": w["p"]}, headers=bearer(w["ftok"]))
    assert r.json()["data"]["pending_follow"] is True
    r = requests.post(f"{api}/2/users/{w['p']}/follow_requests/{w['f']}/accept", headers=bearer(w["ptok"]))
    assert r.status_code == 200, r.text
    for src, tok, dst in ((w["p"], w["ptok"], w["q"]), (w["pub"], w["pubtok"], w["q"])):
        r = requests.post(f"{api}/2/users/{src}/following", json={"target_user_id": dst}, headers=bearer(tok))
        assert r.json()["data"]["following"] is True
    w["app"] = demo["bearer_token"]
    return w


def viewers(w):
    """(label, token, may_see) for owner, follower, non-follower and app-only."""
    return (("owner", w["ptok"], True), ("follower", w["ftok"], True), ("stranger", w["ntok"], False),
            ("app-only", w["app"], False))


def included(body):
    return sorted(t["id"] for t in body.get("includes", {}).get("tweets", []))


def test_lookup_by_id_username_and_ids(api, world):
    w = world
    username = requests.get(f"{api}/2/users/{w['p']}", headers=bearer(w["app"])).json()["data"]["username"]
    urls = (f"{api}/2/users/{w['p']}", f"{api}/2/users/by/username/{username}")
    for label, tok, may_see in viewers(w):
        for url in urls:
            body = requests.get(url, params=EXP, headers=bearer(tok)).json()
            # The user object and its post ids stay visible, as on X.
            assert body["data"]["id"] == w["p"], (label, body)
            assert body["data"]["pinned_tweet_id"] == w["pinned"], (label, body)
            assert body["data"]["most_recent_tweet_id"] == w["recent"], (label, body)
            if may_see:
                assert included(body) == sorted([w["pinned"], w["recent"]]), (label, url, body)
                assert "errors" not in body, (label, body)
            else:
                assert "includes" not in body, (label, url, body)
                assert body["errors"] == [withheld(w["pinned"], "pinned_tweet_id"),
                                          withheld(w["recent"], "most_recent_tweet_id")], (label, body)
        # ?ids= mixing the protected user with a public one: the public post stays.
        body = requests.get(f"{api}/2/users", params=dict(EXP, ids=f"{w['pub']},{w['p']}"),
                            headers=bearer(tok)).json()
        assert [u["id"] for u in body["data"]] == [w["pub"], w["p"]]
        if may_see:
            assert included(body) == sorted([w["pubpin"], w["pinned"], w["recent"]]), (label, body)
            assert "errors" not in body
        else:
            assert included(body) == [w["pubpin"]], (label, body)
            assert body["errors"] == [withheld(w["pinned"], "pinned_tweet_id"),
                                      withheld(w["recent"], "most_recent_tweet_id")], (label, body)


def test_only_the_requested_expansion_is_named(api, world):
    w = world
    body = requests.get(f"{api}/2/users/{w['p']}", params={"expansions": "most_recent_tweet_id"},
                        headers=bearer(w["ntok"])).json()
    assert "includes" not in body
    assert body["errors"] == [withheld(w["recent"], "most_recent_tweet_id")]
    body = requests.get(f"{api}/2/users/{w['p']}", params={"expansions": "pinned_tweet_id"},
                        headers=bearer(w["app"])).json()
    assert body["errors"] == [withheld(w["pinned"], "pinned_tweet_id")]
    # Without the expansions nothing is hydrated and nothing is reported.
    body = requests.get(f"{api}/2/users/{w['p']}", headers=bearer(w["app"])).json()
    assert set(body) == {"data"}


def test_followers_list_containing_the_protected_user(api, world):
    w = world
    for label, tok, may_see in viewers(w):
        body = requests.get(f"{api}/2/users/{w['q']}/followers", params=EXP, headers=bearer(tok)).json()
        assert sorted(u["id"] for u in body["data"]) == sorted([w["p"], w["pub"]]), (label, body)
        assert body["meta"]["result_count"] == 2
        if may_see:
            assert included(body) == sorted([w["pubpin"], w["pinned"], w["recent"]]), (label, body)
            assert "errors" not in body, (label, body)
        else:
            assert included(body) == [w["pubpin"]], (label, body)
            assert body["errors"] == [withheld(w["pinned"], "pinned_tweet_id"),
                                      withheld(w["recent"], "most_recent_tweet_id")], (label, body)


def test_protected_users_own_lists(api, world):
    """The protected user's following list is visible to the owner and follower only; for them the
    posts of the listed (public) user are included, and the list of the protected user's followers
    shows F to those allowed."""
    w = world
    for label, tok, may_see in viewers(w):
        body = requests.get(f"{api}/2/users/{w['p']}/following", params=EXP, headers=bearer(tok)).json()
        if may_see:
            assert [u["id"] for u in body["data"]] == [w["q"]], (label, body)
            assert "errors" not in body
        else:
            assert body["errors"][0]["resource_type"] == "user", (label, body)
            assert "data" not in body and "includes" not in body


def test_losing_the_follow_hides_the_posts_again(api, world, demo):
    w = world
    # A second follower who is then removed (unfollows): the cached answer must not survive.
    g = new_user(demo["db"], unique("g"))
    gtok = user_token(demo["db"], demo["app_id"], g)
    requests.post(f"{api}/2/users/{g}/following", json={"target_user_id": w["p"]}, headers=bearer(gtok))
    assert requests.post(f"{api}/2/users/{w['p']}/follow_requests/{g}/accept",
                         headers=bearer(w["ptok"])).status_code == 200
    body = requests.get(f"{api}/2/users/{w['p']}", params=EXP, headers=bearer(gtok)).json()
    assert included(body) == sorted([w["pinned"], w["recent"]])
    requests.delete(f"{api}/2/users/{g}/following/{w['p']}", headers=bearer(gtok))
    body = requests.get(f"{api}/2/users/{w['p']}", params=EXP, headers=bearer(gtok)).json()
    assert "includes" not in body and len(body["errors"]) == 2
    # A pending (not accepted) request does not reveal anything either.
    requests.post(f"{api}/2/users/{g}/following", json={"target_user_id": w["p"]}, headers=bearer(gtok))
    body = requests.get(f"{api}/2/users/{w['p']}", params=EXP, headers=bearer(gtok)).json()
    assert "includes" not in body and len(body["errors"]) == 2
