"""The real tweepy client (Debian python3-tweepy), redirected to followd."""
import requests
import tweepy

from conftest import new_user, unique, user_token


def redirect(client, base):
    """Rewrites https://api.twitter.com to followd before the request is signed and sent."""
    session = client.session
    orig = session.request

    def request(method, url, *args, **kwargs):
        if url.startswith("https://api.twitter.com"):
            url = base + url[len("https://api.twitter.com"):]
        return orig(method, url, *args, **kwargs)

    session.request = request
    return client


def test_paginator_walks_celebrity_followers(api, demo):
    client = redirect(tweepy.Client(bearer_token=demo["bearer_token"]), api)
    celeb = demo["celebrity_user_id"]
    expected = requests.get(f"{api}/2/users/{celeb}?user.fields=public_metrics",
                            headers={"Authorization": "Bearer " + demo["bearer_token"]}).json()[
        "data"]["public_metrics"]["followers_count"]
    assert expected > 10000
    seen = []
    for page in tweepy.Paginator(client.get_users_followers, celeb, max_results=1000,
                                 user_fields=["created_at", "public_metrics"]):
        assert page.errors == []
        seen += [u.id for u in page.data]
    assert len(seen) == expected
    assert len(set(seen)) == expected


def test_get_user_and_me(api, demo):
    client = redirect(tweepy.Client(bearer_token=demo["user_access_token"]), api)
    me = client.get_me(user_auth=False, user_fields=["public_metrics"])
    assert me.data.username == "demo"
    u = client.get_user(username="XDevelopers", expansions=["pinned_tweet_id"], tweet_fields=["created_at"])
    assert u.data.id == int(demo["celebrity_user_id"])
    assert u.includes["tweets"][0].id == u.data.pinned_tweet_id


def test_follow_unfollow_oauth2_user(api, demo):
    uid = new_user(demo["db"], unique("tw"))
    tok = user_token(demo["db"], demo["app_id"], uid)
    client = redirect(tweepy.Client(bearer_token=tok), api)
    # tweepy calls GET /2/users/me first with an OAuth 2.0 user token.
    r = client.follow_user(demo["public_user_id"], user_auth=False)
    assert r.data == {"following": True, "pending_follow": False}
    r = client.follow_user(demo["protected_user_id"], user_auth=False)
    assert r.data == {"following": False, "pending_follow": True}
    r = client.unfollow_user(demo["public_user_id"], user_auth=False)
    assert r.data == {"following": False}


def test_errors_surface_as_tweepy_exceptions(api, demo):
    client = redirect(tweepy.Client(bearer_token="not-a-token"), api)
    try:
        client.get_user(id=demo["user_id"])
        raise AssertionError("expected Unauthorized")
    except tweepy.Unauthorized:
        pass
    client = redirect(tweepy.Client(bearer_token=demo["bearer_token"]), api)
    try:
        client.get_users_followers(demo["user_id"], max_results=5000)
        raise AssertionError("expected BadRequest")
    except tweepy.BadRequest as e:
        assert "not between 1 and 1000" in str(e)
    r = client.get_user(id=999999999)
    assert r.data is None and r.errors[0]["title"] == "Not Found Error"


def oauth1_client(api, demo, token=None, secret=None):
    return redirect(tweepy.Client(consumer_key=demo["consumer_key"], consumer_secret=demo["consumer_secret"],
                                  access_token=token or demo["access_token"],
                                  access_token_secret=secret or demo["access_token_secret"]), api)


def test_oauth1_me_lookup_and_follow(api, demo):
    from conftest import run_cli
    import json
    uid = new_user(demo["db"], unique("oa1"))
    pair = json.loads(run_cli("token", "oauth1", "--app", demo["app_id"], "--user", uid, db=demo["db"]))
    assert pair["access_token"].startswith(uid + "-")
    client = oauth1_client(api, demo, pair["access_token"], pair["access_token_secret"])
    assert client.get_me().data.id == int(uid)
    # tweepy derives the source id from the token's numeric prefix.
    assert client.follow_user(demo["celebrity_user_id"]).data == {"following": True, "pending_follow": False}
    page = client.get_users_following(uid, user_fields=["public_metrics"], user_auth=True)
    assert [u.id for u in page.data] == [int(demo["celebrity_user_id"])]
    assert client.unfollow_user(demo["celebrity_user_id"]).data == {"following": False}


def test_oauth1_rejections(api, demo):
    bad = oauth1_client(api, demo, secret="wrong-secret")
    try:
        bad.get_me()
        raise AssertionError("expected Unauthorized")
    except tweepy.Unauthorized:
        pass
    wrong_key = redirect(tweepy.Client(consumer_key="nope", consumer_secret=demo["consumer_secret"],
                                       access_token=demo["access_token"],
                                       access_token_secret=demo["access_token_secret"]), api)
    try:
        wrong_key.get_me()
        raise AssertionError("expected Unauthorized")
    except tweepy.Unauthorized:
        pass


def test_oauth1_replayed_nonce_and_stale_timestamp(api, demo):
    from requests_oauthlib import OAuth1
    auth = OAuth1(demo["consumer_key"], demo["consumer_secret"], demo["access_token"], demo["access_token_secret"])
    prepared = requests.Request("GET", f"{api}/2/users/me", auth=auth).prepare()
    s = requests.Session()
    assert s.send(prepared).status_code == 200
    assert s.send(prepared).status_code == 401  # same nonce again
    old = OAuth1(demo["consumer_key"], demo["consumer_secret"], demo["access_token"], demo["access_token_secret"],
                 timestamp="1600000000", nonce="123456789012345678901")
    assert requests.get(f"{api}/2/users/me", auth=old).status_code == 401


def test_oauth1_signed_for_upstream_url(api, demo):
    """A proxy rewrote https://api.twitter.com to followd after the client signed."""
    from requests_oauthlib import OAuth1
    auth = OAuth1(demo["consumer_key"], demo["consumer_secret"], demo["access_token"], demo["access_token_secret"])
    prepared = requests.Request("GET", "https://api.twitter.com/2/users/me", auth=auth).prepare()
    prepared.url = f"{api}/2/users/me"
    r = requests.Session().send(prepared)
    assert r.status_code == 200 and r.json()["data"]["username"] == "demo"
