/* Sign-in sessions for the consent pages of both flows.
 *
 * CSRF: each browser gets a random `fw_browser` cookie (HttpOnly,
 * SameSite=Lax); each page load creates a session in the pending table that
 * records that cookie and a fresh random form token. A POST is accepted only
 * when the session exists, the cookie it carries equals the recorded one and
 * the hidden form token equals the recorded one (both compared in constant
 * time). Several tabs work at once because sessions are per page load.
 * Sessions have their own share of the pending table and a cap per app
 * (oauth_core.c): a flood of page loads evicts only that app's oldest
 * sessions, whose forms then answer 400 like any expired page.
 * A session is taken out of the table before its password is checked, so
 * two POSTs of one form (a double click, or a script) cannot both sign in,
 * and every wrong password is counted; a wrong one puts it back.
 * Passwords: scrypt (auth/password.h), run on the work queue so the event
 * loop keeps serving while it runs; unknown users cost the same time as
 * wrong passwords; FW_OA_MAX_ATTEMPTS failures end the session. */
#include "oauth/oauth_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "auth/pending.h"
#include "core/clock.h"
#include "core/html.h"
#include "core/secret.h"

#define COOKIE "fw_browser"

static bool valid_id(fw_str s)
{
    if (s.len != 43)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

void fw_oa_session_open(fw_oa_ctx *x, fw_oa_session *s, fw_oa_step next)
{
    fw_req *req = x->req;
    fw_str have = fw_cookie_value(req->cookie, COOKIE);
    char id[44];
    if (valid_id(have)) {
        memcpy(s->browser, have.p, 43);
        s->browser[43] = 0;
    } else {
        if (fw_oa_random_id(s->browser) != 0)
            goto fail;
        char hdr[128];
        size_t n = (size_t)snprintf(hdr, sizeof hdr, COOKIE "=%s; Path=/; HttpOnly; SameSite=Lax%s", s->browser,
                                    req->tls ? "; Secure" : "");
        fw_req_add_header(req, "set-cookie", hdr, n);
    }
    if (fw_oa_random_id(s->csrf) != 0 || fw_oa_random_id(id) != 0)
        goto fail;
    s->attempts = 0;
    fw_oa_pend(x, FW_EPH_PUT, FW_OA_PK_SESSION, s->app_id, (fw_str){id, 43}, s, sizeof *s, FW_OA_SESSION_TTL_MS,
               next);
    return;
fail:
    x->pend.rc = FW_EIO;
    next(x);
}

static void expired_page(fw_oa_ctx *x)
{
    fw_oa_page_message(x, 400, "This page is no longer valid",
                       "This authorization request has expired or was already used. Go back to the application "
                       "and start again.",
                       FW_STR_NULL);
}

/* Checks the loaded session (x->pend) against the form: its flow and the
 * CSRF pair; on failure answers x and returns false. */
static bool session_loaded(fw_oa_ctx *x, uint8_t flow, fw_oa_session *s)
{
    fw_str csrf = fw_oauth_param(&x->prm, "csrf");
    if (x->pend.rc == FW_EIO) {
        fw_oa_page_unavailable(x);
        return false;
    }
    if (x->pend.rc != FW_OK || x->pend.len != sizeof *s) {
        expired_page(x);
        return false;
    }
    memcpy(s, x->pend.val, sizeof *s);
    if (s->flow != flow) {
        expired_page(x);
        return false;
    }
    fw_str cookie = fw_cookie_value(x->req->cookie, COOKIE);
    bool cookie_ok = cookie.p && fw_ct_equal(cookie.p, cookie.len, s->browser, strlen(s->browser));
    bool form_ok = csrf.p && fw_ct_equal(csrf.p, csrf.len, s->csrf, strlen(s->csrf));
    if (!cookie_ok || !form_ok) {
        fw_oa_page_message(x, 403, "Request could not be verified",
                           "This form was not sent from the page followd showed you (cookies must be enabled). "
                           "Go back to the application and start again.",
                           FW_STR_NULL);
        return false;
    }
    return true;
}

/* On the work queue: scrypt and the two store reads before it. */
static void check_work(fw_oa_ctx *x)
{
    fw_oa_consent *c = x->flow;
    c->check = fw_password_sign_in(fw_oa_store(x), c->username, c->password, &c->user_id, c->screen_name);
}

/* Puts the session back for the next try (a fresh lifetime: at most
 * FW_OA_MAX_ATTEMPTS of them); then next(x), x->pend.rc saying whether the
 * table took it. */
static void session_put_back(fw_oa_ctx *x, fw_oa_consent *c, fw_oa_step next)
{
    fw_oa_pend(x, FW_EPH_PUT, FW_OA_PK_SESSION, c->s.app_id, c->id, &c->s, sizeof c->s, FW_OA_SESSION_TTL_MS, next);
}

static void unavailable_page(fw_oa_ctx *x) { fw_oa_page_unavailable(x); }

/* The queue is full: nothing was checked, so no attempt is counted. */
static void check_busy(fw_oa_ctx *x) { session_put_back(x, x->flow, unavailable_page); }

static void put_back_done(fw_oa_ctx *x)
{
    fw_oa_consent *c = x->flow;
    int rc = c->check;
    if (x->pend.rc != FW_OK || rc < 0) {
        fw_oa_page_unavailable(x);
        return;
    }
    char sid[44];
    fw_oa_copy(sid, sizeof sid, c->id);
    fw_str username = c->username;
    if (username.len > 15)
        username.len = 15;
    fw_oa_page_consent(x, &c->s, sid,
                       rc == 2 ? "This account is suspended." : "The username and password did not match.",
                       username);
}

/* Back on the loop with the password check's result. */
static void check_done(fw_oa_ctx *x)
{
    fw_oa_consent *c = x->flow;
    int rc = c->check;
    if (rc == 0) {
        c->outcome = FW_OA_ALLOWED;
        c->next(x);
        return;
    }
    if (rc > 0 && ++c->s.attempts >= FW_OA_MAX_ATTEMPTS) {
        fw_oa_page_message(x, 429, "Too many attempts",
                           "Too many failed sign-in attempts. Go back to the application and start again.",
                           FW_STR_NULL);
        return;
    }
    session_put_back(x, c, put_back_done);
}

static void consent_taken(fw_oa_ctx *x)
{
    fw_oa_consent *c = x->flow;
    if (x->pend.rc == FW_EIO) {
        fw_oa_page_unavailable(x);
        return;
    }
    if (x->pend.rc != FW_OK || x->pend.len != sizeof c->s) {
        expired_page(x);
        return;
    }
    memcpy(&c->s, x->pend.val, sizeof c->s);
    if (!fw_str_eq(fw_oauth_param(&x->prm, "action"), "allow")) {
        c->outcome = FW_OA_DENIED;
        c->next(x);
        return;
    }
    c->username = fw_oauth_param(&x->prm, "username");
    c->password = fw_oauth_param(&x->prm, "password");
    if (c->username.len && c->username.p[0] == '@')
        c->username.p++, c->username.len--;
    fw_oa_offload(x, check_work, check_done, check_busy);
}

static void consent_loaded(fw_oa_ctx *x)
{
    fw_oa_consent *c = x->flow;
    if (!session_loaded(x, c->flow, &c->s))
        return;
    fw_str action = fw_oauth_param(&x->prm, "action");
    if (!fw_str_eq(action, "allow") && !fw_str_eq(action, "deny")) {
        fw_oa_page_message(x, 400, "Bad request", "Choose whether to authorize the application.", FW_STR_NULL);
        return;
    }
    /* Whoever takes the session first decides; a concurrent POST of the same
     * form (to any node) finds it gone. The taken copy replaces the one read
     * above, which may have missed an attempt counted meanwhile. */
    fw_oa_pend(x, FW_EPH_TAKE, FW_OA_PK_SESSION, 0, c->id, NULL, 0, 0, consent_taken);
}

void fw_oa_consent_post(fw_oa_ctx *x, uint8_t flow, fw_oa_step next)
{
    fw_oa_consent *c = calloc(1, sizeof *c);
    if (!c) {
        fw_oa_page_unavailable(x);
        return;
    }
    x->flow = c;
    c->next = next;
    c->flow = flow;
    c->id = fw_oauth_param(&x->prm, "session");
    if (x->prm_rc != FW_OK || !valid_id(c->id)) {
        expired_page(x);
        return;
    }
    fw_oa_pend(x, FW_EPH_GET, FW_OA_PK_SESSION, 0, c->id, NULL, 0, 0, consent_loaded);
}
