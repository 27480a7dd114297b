"""The seed's first steps in headless Chromium, in the developer portal (issue 14): sign up (approved
at once), create a Project and an App, set the callback and permissions, open Keys and tokens and read
the keys off the page; then tweepy uses exactly those keys to look up @XDevelopers and follow a user,
and after "Regenerate" the old bearer token is refused. Every page is photographed and each picture
checked not to be blank. FOLLOWD_SCREENSHOTS=DIR keeps the pictures (docs/portal/ holds three).
Skipped (never passed) when Chromium or Selenium is missing."""
import io
import os

import pytest
import tweepy

from conftest import unique
from test_browser import browser  # noqa: F401 (fixture)
from test_portal import PASSWORD, portal, portal_db  # noqa: F401 (fixtures)
from test_tweepy import redirect

pytest.importorskip("selenium.webdriver")
Image = pytest.importorskip("PIL.Image")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

class Camera:
    """Screenshots of each page, each checked to show more than one colour and some text-sized detail."""

    def __init__(self, driver):
        self.driver = driver
        self.keep = os.environ.get("FOLLOWD_SCREENSHOTS")
        self.shots = []

    def snap(self, name):
        png = self.driver.get_screenshot_as_png()
        img = Image.open(io.BytesIO(png)).convert("RGB")
        colours = img.getcolors(maxcolors=1 << 20)
        assert colours is None or len(colours) > 16, f"{name}: the page looks blank ({len(colours)} colours)"
        # not one flat colour with a stray pixel: the most common colour covers less than 99 % of the page
        if colours:
            top = max(c for c, _ in colours)
            assert top < 0.99 * img.width * img.height, f"{name}: the page looks blank"
        self.shots.append(name)
        if self.keep:
            os.makedirs(self.keep, exist_ok=True)
            with open(os.path.join(self.keep, name + ".png"), "wb") as f:
                f.write(png)


def new_page(driver):
    """True once the document marked by submit() has been replaced and the new one has loaded."""
    return driver.execute_script("return !window.__fwOld && document.readyState === 'complete'")


def submit(driver, element_id, title):
    """Clicks a submit button and waits for the next page (its title). The old page is marked with a
    window property, which the next document lacks (more robust than polling a stale element)."""
    driver.execute_script("window.__fwOld = true")
    driver.find_element(By.ID, element_id).click()
    WebDriverWait(driver, 30, ignored_exceptions=[WebDriverException]).until(new_page)
    WebDriverWait(driver, 30).until(EC.title_contains(title))


def text_of(driver, element_id):
    return driver.find_element(By.ID, element_id).text.strip()


def test_seed_journey_in_chromium(portal, portal_db, browser):  # noqa: F811 (fixtures)
    browser.set_window_size(1100, 1000)
    cam = Camera(browser)
    name = unique("seed")
    # Sign up for a developer account (approval: auto)
    browser.get(portal + "/portal")
    assert browser.current_url.endswith("/portal/signin")
    cam.snap("signin")
    link = browser.find_element(By.LINK_TEXT, "Sign up for a developer account")
    link.click()
    WebDriverWait(browser, 30).until(EC.title_contains("Sign up"))
    browser.find_element(By.ID, "username").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    cam.snap("signup")
    submit(browser, "submit", "Projects")
    assert browser.current_url.endswith("/portal")
    assert browser.find_element(By.ID, "no-projects").is_displayed()
    cam.snap("projects-empty")
    # Create a Project ...
    browser.find_element(By.ID, "new-project").click()
    WebDriverWait(browser, 30).until(EC.title_contains("Create a project"))
    browser.find_element(By.ID, "name").send_keys("Follow bot")
    browser.find_element(By.ID, "use_case").send_keys("Look up accounts and follow them.")
    Select(browser.find_element(By.ID, "environment")).select_by_visible_text("Production")
    Select(browser.find_element(By.ID, "access_level")).select_by_visible_text("Basic")
    assert browser.find_element(By.ID, "levels").is_displayed()
    cam.snap("project-new")
    submit(browser, "create", "Project")
    assert text_of(browser, "project-name") == "Follow bot"
    assert text_of(browser, "project-level") == "Basic"
    # ... and an associated developer App: its keys are shown once
    browser.find_element(By.ID, "app_name").send_keys("Seed app")
    submit(browser, "create-app", "Keys and tokens")
    api_key = text_of(browser, "api-key")
    api_secret = text_of(browser, "api-secret")
    bearer = text_of(browser, "bearer-token")
    client_id = text_of(browser, "client-id")
    assert len(api_key) == 25 and len(api_secret) == 50 and bearer.startswith("AAAA") and client_id
    # the copy buttons appear once the page's script ran
    assert browser.find_element(By.ID, "api-secret-copy").is_displayed()
    cam.snap("keys-new")
    # User authentication settings: permissions, type of app, callback, website
    browser.find_element(By.LINK_TEXT, "Settings").click()
    WebDriverWait(browser, 30).until(EC.title_contains("App settings"))
    browser.find_element(By.ID, "perm-write").click()
    browser.find_element(By.ID, "type-confidential").click()
    callbacks = browser.find_element(By.ID, "callbacks")
    callbacks.clear()
    callbacks.send_keys("http://127.0.0.1:9/callback\nhttps://seed.example/oauth/callback")
    browser.find_element(By.ID, "website").send_keys("https://seed.example/")
    submit(browser, "save-settings", "App settings")
    assert browser.find_element(By.ID, "perm-write").is_selected()
    assert "https://seed.example/oauth/callback" in browser.find_element(By.ID, "callbacks").get_attribute("value")
    cam.snap("settings")
    # Keys and tokens: secrets are masked now; generate the developer's own access token
    browser.find_element(By.ID, "keys-link").click()
    WebDriverWait(browser, 30).until(EC.title_contains("Keys and tokens"))
    assert api_secret not in browser.page_source and bearer not in browser.page_source
    submit(browser, "gen-token", "Keys and tokens")
    access_token = text_of(browser, "access-token")
    access_secret = text_of(browser, "access-secret")
    assert text_of(browser, "token-permission") == "Read and write"
    browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(By.ID, "token-permission"))
    cam.snap("keys-token")

    # A real client uses exactly those keys
    app_client = redirect(tweepy.Client(bearer_token=bearer), portal)
    xdev = app_client.get_user(username="XDevelopers").data
    assert xdev.username == "XDevelopers"
    user_client = redirect(tweepy.Client(consumer_key=api_key, consumer_secret=api_secret,
                                         access_token=access_token, access_token_secret=access_secret), portal)
    me = user_client.get_me().data
    assert me.username == name
    r = user_client.follow_user(xdev.id)
    assert r.data == {"following": True, "pending_follow": False}
    r = user_client.follow_user(int(portal_db["public_user_id"]))
    assert r.data["following"] is True

    # The usage page shows what the limiter counted: two follows today, one lookup by the app
    browser.find_element(By.ID, "usage-link").click()
    WebDriverWait(browser, 30).until(EC.title_contains("Usage"))
    assert text_of(browser, "follows-user").startswith("2 of 400")
    assert browser.find_element(By.ID, "chart").is_displayed()
    cam.snap("usage")
    browser.find_element(By.ID, "keys-link").click()
    WebDriverWait(browser, 30).until(EC.title_contains("Keys and tokens"))

    # Regenerate the bearer token: the old one is refused at once, the new one works
    submit(browser, "regen-bearer", "Keys and tokens")
    new_bearer = text_of(browser, "bearer-token")
    assert new_bearer != bearer
    cam.snap("keys-regenerated")
    with pytest.raises(tweepy.Unauthorized):
        app_client.get_user(username="XDevelopers")
    fresh = redirect(tweepy.Client(bearer_token=new_bearer), portal)
    assert fresh.get_user(username="XDevelopers").data.id == xdev.id
    assert len(cam.shots) == 9
