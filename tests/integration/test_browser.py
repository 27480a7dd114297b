"""The OAuth 2.0 PKCE flow end to end in headless Chromium: tweepy's OAuth2UserHandler builds the
authorization URL, a real browser signs in and approves, the redirect lands on a tiny local callback
server, tweepy exchanges the code, and the token calls /2/users/me. Skipped (never passed) when
Chromium or Selenium is missing."""
import http.server
import os
import shutil
import tempfile
import threading

import pytest
import tweepy

from test_oauth2_flow import SCOPES, Handler, make_app, user_with_password

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")


class Callback(http.server.BaseHTTPRequestHandler):
    """Records the callback URL the browser was sent to."""
    seen = []

    def do_GET(self):
        Callback.seen.append(self.path)
        body = b"<!DOCTYPE html><title>callback</title><p id=done>done</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def browser():
    if not CHROMIUM or not DRIVER:
        pytest.skip("chromium / chromedriver not installed (scripts/deps.sh installs them)")
    profile = tempfile.mkdtemp(prefix="followd-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    service = webdriver.ChromeService(executable_path=DRIVER) if hasattr(webdriver, "ChromeService") else \
        webdriver.chrome.service.Service(executable_path=DRIVER)
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def callback_server():
    srv = http.server.HTTPServer(("127.0.0.1", 0), Callback)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    Callback.seen.clear()
    yield f"http://127.0.0.1:{srv.server_address[1]}/callback"
    srv.shutdown()
    srv.server_close()


def test_pkce_flow_in_chromium(api, demo, browser, callback_server):
    app = make_app(demo["db"], redirect=callback_server)
    uid, username, password = user_with_password(demo["db"])
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    h = Handler(api, client_id=app["client_id"], redirect_uri=callback_server, scope=SCOPES.split(),
                client_secret=app["client_secret"])
    browser.get(h.get_authorization_url())
    assert "Authorize access" in browser.title
    # Wrong password first: the same page again, with an error.
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys("not the password")
    browser.find_element(By.ID, "allow").click()
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "error")))
    assert browser.current_url.startswith(api)
    browser.find_element(By.ID, "password").send_keys(password)  # username is kept
    browser.find_element(By.ID, "allow").click()
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "done")))
    landed = browser.current_url
    assert landed.startswith(callback_server + "?state=") and "&code=" in landed
    assert any(p.startswith("/callback?state=") for p in Callback.seen)

    tok = h.fetch_token(landed)
    assert tok["token_type"] == "bearer" and tok["expires_in"] == 7200
    from test_tweepy import redirect
    client = redirect(tweepy.Client(bearer_token=tok["access_token"]), api)
    me = client.get_me(user_auth=False)
    assert me.data.id == int(uid) and me.data.username == username
