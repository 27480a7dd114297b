"""Follow, unfollow, pending requests, and the followers/following lists."""
import requests

from conftest import bearer, new_user, run_cli, unique, user_token


def mkuser(demo, *flags):
    uid = new_user(demo["db"], unique("u"), *flags)
    return uid, user_token(demo["db"], demo["app_id"], uid)


def follow(api, tok, src, dst):
    return requests.post(f"{api}/2/users/{src}/following", json={"target_user_id": dst}, headers=bearer(tok))


def counts(api, demo, uid):
    r = requests.get(f"{api}/2/users/{uid}?user.fields=public_metrics", headers=bearer(demo["bearer_token"]))
    pm = r.json()["data"]["public_metrics"]
    return pm["followers_count"], pm["following_count"]


def ids(api, tok, uid, which, **params):
    out, token = [], None
    while True:
        p = dict(params)
        if token:
            p["pagination_token"] = token
        body = requests.get(f"{api}/2/users/{uid}/{which}", params=p, headers=bearer(tok)).json()
        out += [u["id"] for u in body.get("data", [])]
        token = body["meta"].get("next_token")
        if not token:
            return out


def test_follow_public_and_unfollow(api, demo):
    a, atok = mkuser(demo)
    b, _ = mkuser(demo)
    r = follow(api, atok, a, b)
    assert r.status_code == 200
    assert r.text == '{"data":{"following":true,"pending_follow":false}}'
    assert counts(api, demo, a) == (0, 1) and counts(api, demo, b) == (1, 0)
    assert ids(api, demo["bearer_token"], b, "followers") == [a]
    assert ids(api, demo["bearer_token"], a, "following") == [b]
    # Again: no action, same answer.
    assert follow(api, atok, a, b).json() == {"data": {"following": True, "pending_follow": False}}
    assert counts(api, demo, b) == (1, 0)
    r = requests.delete(f"{api}/2/users/{a}/following/{b}", headers=bearer(atok))
    assert r.text == '{"data":{"following":false}}'
    assert counts(api, demo, a) == (0, 0) and counts(api, demo, b) == (0, 0)
    # Idempotent.
    assert requests.delete(f"{api}/2/users/{a}/following/{b}", headers=bearer(atok)).json() == {
        "data": {"following": False}}
    assert requests.get(f"{api}/2/users/{b}/followers", headers=bearer(demo["bearer_token"])).json() == {
        "meta": {"result_count": 0}}


def test_follow_protected_is_pending_and_withdrawable(api, demo):
    a, atok = mkuser(demo)
    p, ptok = mkuser(demo, "--protected")
    assert follow(api, atok, a, p).json() == {"data": {"following": False, "pending_follow": True}}
    assert follow(api, atok, a, p).json() == {"data": {"following": False, "pending_follow": True}}
    assert counts(api, demo, p) == (0, 0)
    # Only the owner and accepted followers may see a protected user's lists.
    r = requests.get(f"{api}/2/users/{p}/followers", headers=bearer(atok))
    assert r.status_code == 200
    assert r.json() == {"errors": [{
        "detail": f"Sorry, you are not authorized to see the user with id: [{p}].", "parameter": "id",
        "resource_id": p, "resource_type": "user", "section": "data", "title": "Authorization Error",
        "type": "https://api.twitter.com/2/problems/not-authorized-for-resource", "value": p}]}
    assert requests.get(f"{api}/2/users/{p}/followers", headers=bearer(demo["bearer_token"])).json()["errors"]
    assert requests.get(f"{api}/2/users/{p}/followers", headers=bearer(ptok)).json() == {"meta": {"result_count": 0}}
    # Withdraw.
    assert requests.delete(f"{api}/2/users/{a}/following/{p}", headers=bearer(atok)).json() == {
        "data": {"following": False}}
    run_cli("check", db=demo["db"])


def test_follow_errors(api, demo):
    a, atok = mkuser(demo)
    b, _ = mkuser(demo)
    h = bearer(atok)
    # Path id must be the authenticated user.
    r = requests.post(f"{api}/2/users/{b}/following", json={"target_user_id": a}, headers=h)
    assert r.status_code == 403 and r.json()["title"] == "Forbidden"
    r = requests.delete(f"{api}/2/users/{b}/following/{a}", headers=h)
    assert r.status_code == 403
    # App-only cannot follow.
    r = requests.post(f"{api}/2/users/{a}/following", json={"target_user_id": b},
                      headers=bearer(demo["bearer_token"]))
    assert r.status_code == 403 and r.json()["type"].endswith("unsupported-authentication")
    # Wrong content type.
    r = requests.post(f"{api}/2/users/{a}/following", data="target_user_id=1", headers={
        **h, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    assert r.json()["errors"] == [{"parameters": {},
                                   "message": "Requests with bodies must have content-type of application/json."}]
    for body, needle in [("{", "not valid JSON"), ("[]", "must be a JSON object"), ("{}", "is missing"),
                         ('{"target_user_id":"12","x":1}', "is not one of [target_user_id]"),
                         ('{"target_user_id":12}', "does not match"), ('{"target_user_id":"ab"}', "does not match"),
                         ('{"target_user_id":"1","target_user_id":"2"}', "not valid JSON")]:
        r = requests.post(f"{api}/2/users/{a}/following", data=body, headers={**h, "Content-Type": "application/json"})
        assert r.status_code == 400, body
        assert needle in r.json()["errors"][0]["message"], (body, r.text)
    # Media types are parsed, not prefix-matched: parameters are allowed, anything else is not JSON.
    for ct in ("application/json garbage", "application/jsonx", "application/json; charset", "application/json, text/x"):
        r = requests.post(f"{api}/2/users/{a}/following", data='{"target_user_id":"%s"}' % b,
                          headers={**h, "Content-Type": ct})
        assert r.status_code == 400, ct
        assert r.json()["errors"][0]["message"] == "Requests with bodies must have content-type of application/json."
    r = requests.post(f"{api}/2/users/{a}/following", data='{"target_user_id":"999999998"}',
                      headers={**h, "Content-Type": 'Application/JSON ; charset="utf-8"'})
    assert r.status_code == 200, r.text
    # Self-follow.
    r = follow(api, atok, a, a)
    assert r.status_code == 400 and r.json()["errors"][0]["message"] == "You cannot follow yourself."
    # Unknown and suspended targets: 200 with errors, nothing changes.
    r = follow(api, atok, a, "999999999")
    assert r.status_code == 200
    assert r.json()["errors"][0]["parameter"] == "target_user_id"
    assert r.json()["errors"][0]["detail"] == "Could not find user with target_user_id: [999999999]."
    run_cli("user", "set", b, "--suspended", db=demo["db"])
    r = follow(api, atok, a, b)
    assert r.json()["errors"][0]["detail"] == f"User has been suspended: [{b}]."
    assert counts(api, demo, a) == (0, 0)


def test_pagination_walk_forward_and_back(api, demo):
    celeb = demo["celebrity_user_id"]
    h = bearer(demo["bearer_token"])
    p1 = requests.get(f"{api}/2/users/{celeb}/followers?max_results=50", headers=h).json()
    assert p1["meta"]["result_count"] == 50 and "previous_token" not in p1["meta"]
    assert list(p1["meta"]) == ["result_count", "next_token"]
    p2 = requests.get(f"{api}/2/users/{celeb}/followers?max_results=50&pagination_token=" + p1["meta"]["next_token"],
                      headers=h).json()
    assert list(p2["meta"]) == ["result_count", "next_token", "previous_token"]
    assert not set(u["id"] for u in p1["data"]) & set(u["id"] for u in p2["data"])
    back = requests.get(f"{api}/2/users/{celeb}/followers?max_results=50&pagination_token=" +
                        p2["meta"]["previous_token"], headers=h).json()
    assert back["data"] == p1["data"]
    assert "previous_token" not in back["meta"]


def test_page_walk_stable_under_concurrent_follows(api, demo):
    target, _ = mkuser(demo)
    followers = []
    for _ in range(7):
        uid, tok = mkuser(demo)
        assert follow(api, tok, uid, target).status_code == 200
        followers.append(uid)
    h = bearer(demo["bearer_token"])
    seen = []
    body = requests.get(f"{api}/2/users/{target}/followers?max_results=3", headers=h).json()
    seen += [u["id"] for u in body["data"]]
    # New followers arrive mid-walk: they land at the front and never shift the walk.
    for _ in range(2):
        uid, tok = mkuser(demo)
        follow(api, tok, uid, target)
    while "next_token" in body["meta"]:
        body = requests.get(f"{api}/2/users/{target}/followers?max_results=3&pagination_token=" +
                            body["meta"]["next_token"], headers=h).json()
        seen += [u["id"] for u in body.get("data", [])]
    assert seen == list(reversed(followers))


def test_expansions_deduplicated(api, demo):
    r = requests.get(f"{api}/2/users/{demo['user_id']}/following",
                     params={"max_results": 1000, "expansions": "pinned_tweet_id,most_recent_tweet_id",
                             "tweet.fields": "created_at"},
                     headers=bearer(demo["user_access_token"]))
    body = r.json()
    tweets = body["includes"]["tweets"]
    tids = [t["id"] for t in tweets]
    assert len(tids) == len(set(tids))
    referenced = {u.get("pinned_tweet_id") for u in body["data"]} | {u.get("most_recent_tweet_id") for u in body["data"]}
    assert set(tids) == referenced - {None}
    assert len(body["data"]) >= 50


def test_connection_status(api, demo):
    a, atok = mkuser(demo)
    b, btok = mkuser(demo)
    p, _ = mkuser(demo, "--protected")
    follow(api, atok, a, b)
    follow(api, btok, b, a)
    follow(api, atok, a, p)
    r = requests.get(f"{api}/2/users/{a}/following?user.fields=connection_status", headers=bearer(atok)).json()
    assert r["meta"]["result_count"] == 1
    assert r["data"][0]["connection_status"] == ["followed_by", "following"]
    r = requests.get(f"{api}/2/users/{p}?user.fields=connection_status", headers=bearer(atok)).json()
    assert r["data"]["connection_status"] == ["follow_request_sent"]
