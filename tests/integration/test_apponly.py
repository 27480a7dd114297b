"""App-only bearer tokens: POST /oauth2/token (client_credentials) and /oauth2/invalidate_token."""
import urllib.parse

import pytest
import requests

from test_oauth2_flow import make_app

FORM = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}


def basic(app):
    return (urllib.parse.quote(app["consumer_key"]), urllib.parse.quote(app["consumer_secret"]))


@pytest.fixture
def app(demo):
    return make_app(demo["db"])


def test_same_token_until_invalidated(api, app):
    r = requests.post(api + "/oauth2/token", data="grant_type=client_credentials", headers=FORM, auth=basic(app))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["token_type"] == "bearer" and set(body) == {"token_type", "access_token"}
    tok = body["access_token"]
    assert tok == app["bearer_token"]  # the one `app create` printed
    again = requests.post(api + "/oauth2/token?grant_type=client_credentials", auth=basic(app)).json()
    assert again["access_token"] == tok
    hdr = {"Authorization": "Bearer " + tok}
    assert requests.get(api + "/2/users/by/username/XDevelopers", headers=hdr).status_code == 200

    r = requests.post(api + "/oauth2/invalidate_token", data={"access_token": tok}, auth=basic(app))
    assert r.status_code == 200 and r.json() == {"access_token": tok}
    assert requests.get(api + "/2/users/by/username/XDevelopers", headers=hdr).status_code == 401
    # Invalidating it twice fails; a new token is issued and works.
    r = requests.post(api + "/oauth2/invalidate_token", data={"access_token": tok}, auth=basic(app))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == 89
    new = requests.post(api + "/oauth2/token", data="grant_type=client_credentials", headers=FORM,
                        auth=basic(app)).json()["access_token"]
    assert new != tok
    assert requests.get(api + "/2/users/by/username/XDevelopers",
                        headers={"Authorization": "Bearer " + new}).status_code == 200


ERR99 = {"errors": [{"code": 99, "label": "authenticity_token_error", "message": "Unable to verify your credentials"}]}


def test_rejections(api, app):
    def post(path, **kw):
        r = requests.post(api + path, **kw)
        assert r.status_code == 403, r.text
        assert r.json() == ERR99
    post("/oauth2/token", data="grant_type=client_credentials", headers=FORM, auth=(app["consumer_key"], "wrong"))
    post("/oauth2/token", data="grant_type=client_credentials", headers=FORM, auth=("nobody", "x"))
    post("/oauth2/token", data="grant_type=client_credentials", headers=FORM)
    post("/oauth2/token", data="grant_type=password", headers=FORM, auth=basic(app))
    post("/oauth2/token", data="", headers=FORM, auth=basic(app))
    post("/oauth2/token", data="grant_type=client_credentials", headers={"Authorization": "Basic !!!"})
    post("/oauth2/invalidate_token", data={"access_token": app["bearer_token"]}, auth=(app["consumer_key"], "x"))
    post("/oauth2/invalidate_token", data={}, auth=basic(app))
    # Another app's token cannot be invalidated with these credentials.
    other = requests.post(api + "/oauth2/invalidate_token", data={"access_token": "AAAA"}, auth=basic(app))
    assert other.status_code == 401 and other.json()["errors"][0]["code"] == 89


def test_invalidation_is_final_under_concurrency(api, app):
    """Token requests racing invalidations never bring an invalidated token back."""
    import concurrent.futures
    seen, dead = set(), set()

    def token():
        r = requests.post(api + "/oauth2/token", data="grant_type=client_credentials", headers=FORM,
                          auth=basic(app))
        return r.json().get("access_token") if r.status_code == 200 else None

    def invalidate(tok):
        r = requests.post(api + "/oauth2/invalidate_token", data={"access_token": tok}, auth=basic(app))
        return tok if r.status_code == 200 else None

    for _ in range(5):
        current = token()
        seen.add(current)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
            futs = [ex.submit(token) for _ in range(6)] + [ex.submit(invalidate, current)]
            results = [f.result() for f in futs]
        dead.update(t for t in results[-1:] if t)
        seen.update(t for t in results[:-1] if t)
    live = token()
    for tok in seen | dead:
        code = requests.get(api + "/2/users/by/username/XDevelopers",
                            headers={"Authorization": "Bearer " + tok}).status_code
        assert code == (200 if tok == live else 401), tok
    assert dead and live not in dead
