"""Unmodified X clients, as an app would run them: real X URLs, no session patch, no base URL
option. Only the environment (HTTPS_PROXY, REQUESTS_CA_BUNDLE, a hosts override) sends them to
followd. Run by test_proxy.py / test_intercept.py as `python3 unmodified_clients.py CREDS_JSON`;
prints one JSON object with what each client saw (an exception becomes {"error": ...}).

CREDS_JSON holds bearer_token, consumer_key, consumer_secret, access_token, access_token_secret
(of a user that follows nobody yet), celebrity_user_id and, optionally, plain_http (also try
http://api.twitter.com through the same route)."""
import json
import os
import sys

import requests
import tweepy


def run(name, fn, out):
    try:
        out[name] = fn()
    except Exception as e:  # reported, the test asserts on it
        out[name] = {"error": f"{type(e).__name__}: {e}"}


def main():
    c = json.loads(sys.argv[1])
    out = {}
    bearer = {"Authorization": "Bearer " + c["bearer_token"]}

    def plain_requests():
        r = requests.get("https://api.twitter.com/2/users/by/username/XDevelopers", headers=bearer, timeout=30)
        return {"status": r.status_code, "body": r.json()}
    run("requests", plain_requests, out)

    if c.get("plain_http"):
        def plain_http():
            r = requests.get("http://api.x.com/2/users/by/username/XDevelopers", headers=bearer, timeout=30)
            return {"status": r.status_code, "body": r.json()}
        run("requests_http", plain_http, out)

    def tweepy_bearer():
        client = tweepy.Client(bearer_token=c["bearer_token"])
        u = client.get_user(username="XDevelopers", user_fields=["public_metrics"])
        return {"id": u.data.id, "username": u.data.username,
                "followers": u.data.public_metrics["followers_count"]}
    run("tweepy_bearer", tweepy_bearer, out)

    def tweepy_oauth1():
        client = tweepy.Client(consumer_key=c["consumer_key"], consumer_secret=c["consumer_secret"],
                               access_token=c["access_token"], access_token_secret=c["access_token_secret"])
        me = client.get_me(user_auth=True)
        target = int(c["celebrity_user_id"])
        followed = client.follow_user(target, user_auth=True).data
        following = client.get_users_following(me.data.id, user_auth=True).data or []
        unfollowed = client.unfollow_user(target, user_auth=True).data
        return {"me": me.data.username, "followed": followed, "following": [u.id for u in following],
                "unfollowed": unfollowed}
    run("tweepy_oauth1", tweepy_oauth1, out)
    print(json.dumps(out))


if __name__ == "__main__":
    main()


NEWMAN_COLLECTION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node", "followd.postman_collection.json")


def newman_argv(newman, creds, me, ca, report):
    """newman running node/followd.postman_collection.json (X's URLs, bearer and OAuth 1.0a) with
    the local CA passed as newman documents it; the JSON report goes to `report`."""
    argv = [newman, "run", NEWMAN_COLLECTION, "--ssl-extra-ca-certs", ca, "--reporters", "json",
            "--reporter-json-export", report]
    env = {"bearer": creds["bearer_token"], "target": creds["celebrity_user_id"], "me": me}
    for k in ("consumer_key", "consumer_secret", "access_token", "access_token_secret"):
        env[k] = creds[k]
    for k, v in env.items():
        argv += ["--env-var", f"{k}={v}"]
    return argv
