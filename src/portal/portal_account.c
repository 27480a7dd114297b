/* Developer accounts: sign up, sign in, sign out.
 *
 * A developer account is a followd user: signing up with a new username
 * creates the @account (with the password as its sign-in password, the one
 * the OAuth consent pages use too); signing up with an existing one claims
 * it, which takes that account's password. Approval: serve
 * --portal-approval auto approves at once, manual waits for
 * `followd developer approve NAME`. Failed sign-ins are counted per
 * username: FW_PT_MAX_FAILS in FW_PT_FAIL_WINDOW_MS lock it for the rest of
 * the window (429), whatever the browser. */
#include "portal/portal_internal.h"

#include <string.h>

#include "auth/password.h"
#include "core/clock.h"

#define PASSWORD_MIN 8

static bool username_ok(fw_str u)
{
    if (u.len < 1 || u.len > 15)
        return false;
    for (size_t i = 0; i < u.len; i++) {
        char c = u.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static fw_str field_username(fw_pt_ctx *x)
{
    fw_str u = fw_pt_field(x, "username");
    if (u.len && u.p[0] == '@')
        u.p++, u.len--;
    return u;
}

/* The sign-in or sign-up form (an anonymous session carries its token). */
static void account_page(fw_pt_ctx *x, bool signup, int status, const char *error, fw_str username)
{
    if (!x->has_session && fw_pt_session_start(x, 0, FW_STR_NULL) != 0) {
        fw_pt_unavailable(x);
        return;
    }
    fw_pt_begin(x, status, signup ? "Sign up for a developer account" : "Sign in to the developer portal");
    fw_buf *b = fw_pt_body(x);
    if (signup)
        fw_buf_puts(b, "<p>A developer account is a followd account: choose a new @username, or enter an existing "
                       "one with its password to use it. Its own access token acts as this account.</p>\n");
    fw_pt_error(x, error);
    fw_buf_puts(b, "<div class=\"card\">\n");
    fw_pt_form(x, signup ? "/portal/signup" : "/portal/signin");
    fw_pt_input(x, "text", "username", "Username", username, 16,
                "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required");
    fw_buf_puts(b, "<p class=\"hint\">Letters, digits and _; at most 15.</p>\n");
    fw_pt_input(x, "password", "password", "Password", FW_STR_NULL, FW_PASSWORD_MAX,
                signup ? "autocomplete=\"new-password\" minlength=\"8\" required"
                       : "autocomplete=\"current-password\" required");
    if (signup)
        fw_buf_puts(b, "<p class=\"hint\">At least 8 characters.</p>\n");
    fw_buf_printf(b, "<button type=\"submit\" id=\"submit\">%s</button>\n</form>\n</div>\n",
                  signup ? "Sign up" : "Sign in");
    fw_buf_printf(b, "<p>%s</p>\n", signup ? "Already have one? <a href=\"/portal/signin\">Sign in</a>."
                                           : "New here? <a href=\"/portal/signup\">Sign up for a developer account</a>.");
    fw_pt_end(x);
}

/* Signed in as user: a new session id (fixation), then to the projects. */
static void signed_in(fw_pt_ctx *x, uint64_t uid, const char *name)
{
    if (fw_pt_session_start(x, uid, fw_str_c(name)) != 0) {
        fw_pt_unavailable(x);
        return;
    }
    fw_pt_redirect(x, "/portal");
}

static const char *signup_claim(fw_pt_ctx *x, fw_str username, fw_str password, uint64_t *uid, char name[16])
{
    fw_store *st = fw_pt_store(x);
    fw_user_rec u = {0};
    int rc = fw_store_user_get_by_name(st, username, &u);
    if (rc == FW_ENOTFOUND) {
        uint8_t rec[FW_PASSWORD_HASH_LEN];
        fw_user nu = {.username = username, .name = username, .created_at_ms = fw_now_ms()};
        if (fw_password_hash(password.p, password.len, rec) != FW_OK)
            return "";
        rc = fw_store_user_create(st, &nu, uid);
        if (rc == FW_EEXISTS)
            return "That username was taken a moment ago. Choose another.";
        if (rc || fw_store_user_set_password(st, *uid, rec, sizeof rec) != FW_OK)
            return "";
        memcpy(name, username.p, username.len);
        name[username.len] = 0;
        return NULL;
    }
    fw_user_rec_free(&u);
    if (rc)
        return "";
    /* an existing @account: only with its password */
    rc = fw_password_sign_in(st, username, password, uid, name);
    if (rc < 0)
        return "";
    if (rc == 2)
        return "This account is suspended.";
    if (rc == 1) {
        (void)fw_pt_fails(x, username, true);
        return "That @account already exists. To use it as your developer account, enter its password (an "
               "administrator sets one with followd user passwd).";
    }
    return NULL;
}

void fw_pt_signup(fw_pt_ctx *x)
{
    if (x->has_session && x->s.user_id) {
        fw_pt_redirect(x, "/portal");
        return;
    }
    if (!x->post) {
        account_page(x, true, 200, NULL, FW_STR_NULL);
        return;
    }
    fw_str username = field_username(x), password = fw_pt_field(x, "password");
    if (!username_ok(username)) {
        account_page(x, true, 400, "Choose a username of 1 to 15 letters, digits or _.", FW_STR_NULL);
        return;
    }
    if (password.len < PASSWORD_MIN || password.len > FW_PASSWORD_MAX) {
        account_page(x, true, 400, "Choose a password of at least 8 characters.", username);
        return;
    }
    if (fw_pt_fails(x, username, false) >= FW_PT_MAX_FAILS) {
        account_page(x, true, 429, "Too many failed attempts for this username. Try again in 15 minutes.", username);
        return;
    }
    uint64_t uid = 0;
    char name[16];
    const char *err = signup_claim(x, username, password, &uid, name);
    if (err && !*err) {
        fw_pt_unavailable(x);
        return;
    }
    if (err) {
        account_page(x, true, 400, err, username);
        return;
    }
    uint8_t status = fw_pt_approval(x) == FW_PORTAL_AUTO ? FW_DEV_APPROVED : FW_DEV_PENDING;
    int rc = fw_store_dev_create(fw_pt_store(x), uid, status, fw_now_ms());
    if (rc == FW_EEXISTS) {
        account_page(x, true, 400, "This account already has a developer account: sign in instead.", username);
        return;
    }
    if (rc) {
        fw_pt_unavailable(x);
        return;
    }
    fw_pt_fails_clear(x, username);
    signed_in(x, uid, name);
}

void fw_pt_signin(fw_pt_ctx *x)
{
    if (x->has_session && x->s.user_id && !x->post) {
        fw_pt_redirect(x, "/portal");
        return;
    }
    if (!x->post) {
        account_page(x, false, 200, NULL, FW_STR_NULL);
        return;
    }
    fw_str username = field_username(x), password = fw_pt_field(x, "password");
    if (username.len > 15)
        username.len = 15;
    if (fw_pt_fails(x, username, false) >= FW_PT_MAX_FAILS) {
        account_page(x, false, 429, "Too many failed sign-ins for this username. Try again in 15 minutes.",
                     username);
        return;
    }
    uint64_t uid = 0;
    char name[16];
    int rc = fw_password_sign_in(fw_pt_store(x), username, password, &uid, name);
    if (rc < 0) {
        fw_pt_unavailable(x);
        return;
    }
    fw_dev d;
    if (rc == 0 && fw_store_dev_get(fw_pt_store(x), uid, &d) != FW_OK)
        rc = 3;
    if (rc) {
        if (rc == 1)
            (void)fw_pt_fails(x, username, true);
        account_page(x, false, 400,
                     rc == 2   ? "This account is suspended."
                     : rc == 3 ? "This account has no developer account yet: sign up first."
                               : "The username and password did not match.",
                     username_ok(username) ? username : FW_STR_NULL);
        return;
    }
    fw_pt_fails_clear(x, username);
    signed_in(x, uid, name);
}

void fw_pt_signout(fw_pt_ctx *x)
{
    fw_pt_session_end(x);
    fw_pt_redirect(x, "/portal/signin");
}
