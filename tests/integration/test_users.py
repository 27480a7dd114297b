"""GET /2/users/:id, /2/users/by/username/:username, /2/users/me."""
import requests

from conftest import bearer, json_of, new_user, run_cli, unique


def test_user_by_id_default_fields(api, demo):
    r = requests.get(f"{api}/2/users/{demo['user_id']}", headers=bearer(demo["bearer_token"]))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.json() == {"data": {"id": demo["user_id"], "name": "Demo User", "username": "demo"}}
    # Field order: id, name, username (byte-exact like X's recorded bodies).
    assert r.text.startswith('{"data":{"id":"%s","name":"Demo User","username":"demo"}' % demo["user_id"])


def test_user_by_username_case_insensitive(api, demo):
    r = requests.get(f"{api}/2/users/by/username/DeMo", headers=bearer(demo["bearer_token"]))
    assert r.status_code == 200
    assert r.json()["data"]["id"] == demo["user_id"]


def test_me_with_user_token(api, demo):
    r = requests.get(f"{api}/2/users/me", headers=bearer(demo["user_access_token"]))
    assert r.status_code == 200
    assert r.json()["data"]["username"] == "demo"


def test_me_with_app_only_is_unsupported(api, demo):
    r = requests.get(f"{api}/2/users/me", headers=bearer(demo["bearer_token"]))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"
    assert list(body) == ["title", "detail", "type", "status"]
    assert len(r.content) == 316  # X's exact byte count


def test_all_user_fields(api, demo):
    fields = ("created_at,description,entities,id,location,most_recent_tweet_id,name,pinned_tweet_id,"
              "profile_image_url,protected,public_metrics,url,username,verified,verified_type,withheld")
    r = requests.get(f"{api}/2/users/{demo['celebrity_user_id']}", params={"user.fields": fields},
                     headers=bearer(demo["bearer_token"]))
    d = r.json()["data"]
    assert d["username"] == "XDevelopers"
    assert d["verified"] is True and d["verified_type"] == "business"
    assert d["protected"] is False
    assert d["created_at"].endswith("Z") and len(d["created_at"]) == 24
    pm = d["public_metrics"]
    assert list(pm) == ["followers_count", "following_count", "tweet_count", "listed_count", "like_count"]
    assert pm["followers_count"] > 10000
    assert "pinned_tweet_id" in d and "most_recent_tweet_id" in d
    assert d["entities"]["description"]["hashtags"][0]["tag"]


def test_pinned_tweet_expansion(api, demo):
    r = requests.get(f"{api}/2/users/{demo['celebrity_user_id']}",
                     params={"expansions": "pinned_tweet_id", "tweet.fields": "created_at,author_id,public_metrics"},
                     headers=bearer(demo["bearer_token"]))
    body = r.json()
    pinned = body["data"]["pinned_tweet_id"]
    tweets = body["includes"]["tweets"]
    assert [t["id"] for t in tweets] == [pinned]
    t = tweets[0]
    assert t["author_id"] == demo["celebrity_user_id"]
    assert t["edit_history_tweet_ids"] == [pinned]
    assert set(t["public_metrics"]) >= {"retweet_count", "reply_count", "like_count", "quote_count"}


def test_unknown_user_is_200_with_errors(api, demo):
    r = requests.get(f"{api}/2/users/11111111111", headers=bearer(demo["bearer_token"]))
    assert r.status_code == 200
    assert r.json() == {"errors": [{
        "value": "11111111111", "detail": "Could not find user with id: [11111111111].",
        "title": "Not Found Error", "resource_type": "user", "parameter": "id", "resource_id": "11111111111",
        "type": "https://api.twitter.com/2/problems/resource-not-found"}]}


def test_unknown_username(api, demo):
    r = requests.get(f"{api}/2/users/by/username/nobody_here_x", headers=bearer(demo["bearer_token"]))
    e = r.json()["errors"][0]
    assert e["parameter"] == "username" and e["detail"] == "Could not find user with username: [nobody_here_x]."


def test_suspended_user_lookup_and_restore(api, demo):
    uid = new_user(demo["db"], unique("susp"))
    run_cli("user", "set", uid, "--suspended", db=demo["db"])
    r = requests.get(f"{api}/2/users/{uid}", headers=bearer(demo["bearer_token"]))
    e = r.json()["errors"][0]
    assert e["detail"] == f"User has been suspended: [{uid}]." and e["title"] == "Forbidden"
    run_cli("user", "set", uid, "--unsuspended", db=demo["db"])
    r = requests.get(f"{api}/2/users/{uid}", headers=bearer(demo["bearer_token"]))
    assert r.json()["data"]["id"] == uid


def test_admin_change_visible_at_once(api, demo):
    uid = new_user(demo["db"], unique("live"))
    run_cli("user", "set", uid, "--description", "Now with #news and @demo https://example.com", db=demo["db"])
    r = requests.get(f"{api}/2/users/{uid}", params={"user.fields": "description,entities"},
                     headers=bearer(demo["bearer_token"]))
    d = r.json()["data"]
    assert d["description"] == "Now with #news and @demo https://example.com"
    ent = d["entities"]["description"]
    assert ent["hashtags"][0] == {"start": 9, "end": 14, "tag": "news"}
    assert ent["mentions"][0]["username"] == "demo"
    assert ent["urls"][0]["expanded_url"] == "https://example.com"


def test_astral_characters_escaped_like_x(api, demo):
    uid = new_user(demo["db"], unique("emoji"))
    run_cli("user", "set", uid, "--description", "rocket \U0001F680 café", db=demo["db"])
    r = requests.get(f"{api}/2/users/{uid}?user.fields=description", headers=bearer(demo["bearer_token"]))
    assert "\\uD83D\\uDE80" in r.text and "café" in r.text
    assert r.json()["data"]["description"] == "rocket \U0001F680 café"


def test_cached_reads_follow_every_write(api, demo):
    """Repeated reads may be served from the response cache, but never after a write (from any process)."""
    uid = new_user(demo["db"], unique("cache"))
    url = f"{api}/2/users/{uid}?user.fields=description"
    h = bearer(demo["bearer_token"])
    first = requests.get(url, headers=h).text
    assert requests.get(url, headers=h).text == first
    run_cli("user", "set", uid, "--name", "Renamed Now", db=demo["db"])
    assert requests.get(url, headers=h).json()["data"]["name"] == "Renamed Now"


def test_multi_user_lookup_by_ids_and_usernames(api, demo):
    h = bearer(demo["bearer_token"])
    gone = new_user(demo["db"], unique("gone"))
    run_cli("user", "set", gone, "--suspended", db=demo["db"])
    ids = [demo["user_id"], "999999999", demo["celebrity_user_id"], gone]
    body = requests.get(f"{api}/2/users", params={"ids": ",".join(ids), "expansions": "pinned_tweet_id"},
                        headers=h).json()
    assert [u["id"] for u in body["data"]] == [demo["user_id"], demo["celebrity_user_id"]]
    assert body["includes"]["tweets"]
    assert [(e["parameter"], e["value"]) for e in body["errors"]] == [("ids", "999999999"), ("ids", gone)]
    assert body["errors"][0]["detail"] == "Could not find user with ids: [999999999]."
    body = requests.get(f"{api}/2/users/by", params={"usernames": "DEMO,xdevelopers,nobody_at_all"}, headers=h).json()
    assert [u["username"] for u in body["data"]] == ["demo", "XDevelopers"]
    assert body["errors"][0]["detail"] == "Could not find user with usernames: [nobody_at_all]."


def test_multi_user_lookup_validation(api, demo):
    h = bearer(demo["bearer_token"])
    r = requests.get(f"{api}/2/users", headers=h)
    assert r.status_code == 400
    assert r.json()["errors"] == [{"parameters": {"ids": []}, "message": "The `ids` query parameter can not be empty"}]
    r = requests.get(f"{api}/2/users?ids=1,x2", headers=h)
    assert r.json()["errors"][0]["message"] == "The `ids` query parameter value [x2] does not match ^[0-9]{1,19}$"
    r = requests.get(f"{api}/2/users", params={"ids": ",".join(str(i + 1) for i in range(101))}, headers=h)
    assert r.json()["errors"][0]["message"] == (
        "The number of values in the `ids` query parameter list [101] is not between 1 and 100")
    r = requests.get(f"{api}/2/users/by?usernames=ok,bad-one", headers=h)
    assert "does not match ^[A-Za-z0-9_]{1,15}$" in r.json()["errors"][0]["message"]


def test_tweepy_get_users(api, demo):
    import tweepy
    from test_tweepy import redirect
    client = redirect(tweepy.Client(bearer_token=demo["bearer_token"]), api)
    r = client.get_users(ids=[demo["user_id"], demo["celebrity_user_id"]], user_fields=["public_metrics"])
    assert [u.username for u in r.data] == ["demo", "XDevelopers"]
    r = client.get_users(usernames=["demo", "nobody_at_all"])
    assert [u.username for u in r.data] == ["demo"] and r.errors[0]["title"] == "Not Found Error"
