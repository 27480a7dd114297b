/* An app's pages: its settings (name, user authentication settings,
 * delete) and its Keys and tokens. Secrets are shown once, in the answer
 * to the action that made them (never cached: every page is no-store), and
 * masked afterwards, as X's portal does. The callback URIs, type of app and
 * permission written here are the ones the OAuth endpoints read: an
 * unlisted callback is refused there, and a Read app's tokens cannot write
 * (the API answers X's oauth1-permissions / forbidden problems). */
#include "portal/portal_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/issue.h"
#include "auth/scopes.h"
#include "core/urlenc.h"

#define APP_NAME_MAX 32
#define MAX_CALLBACKS 10

static void app_path(char *out, size_t cap, uint64_t id, const char *tail)
{
    snprintf(out, cap, "/portal/apps/%llu%s", (unsigned long long)id, tail);
}

/* Loads the signed-in developer's app x->id; false when answered. */
bool fw_pt_load_app(fw_pt_ctx *x, fw_app_rec *a, fw_project_rec *p)
{
    if (!fw_pt_require_dev(x))
        return false;
    int rc = fw_pt_own_app(x, x->id, a, p);
    if (rc == FW_ENOTFOUND)
        fw_pt_not_found(x);
    else if (rc)
        fw_pt_unavailable(x);
    return rc == FW_OK;
}

void fw_pt_app_nav(fw_pt_ctx *x, const fw_app *a, const fw_project *p, int current)
{
    static const struct {
        const char *tail, *label, *id;
    } tabs[] = {{"", "Settings", "settings-link"}, {"/keys", "Keys and tokens", "keys-link"},
                {"/usage", "Usage", "usage-link"}};
    fw_buf *b = fw_pt_body(x);
    fw_buf_printf(b, "<nav aria-label=\"breadcrumb\"><p><a href=\"/portal/projects/%llu\">", (unsigned long long)p->id);
    fw_pt_esc(x, p->name);
    fw_buf_puts(b, "</a> &rsaquo; <strong id=\"app-name\">");
    fw_pt_esc(x, a->name);
    fw_buf_puts(b, "</strong>");
    for (int i = 0; i < 3; i++) {
        fw_buf_puts(b, " &middot; ");
        if (i == current)
            fw_buf_printf(b, "<span aria-current=\"page\">%s</span>", tabs[i].label);
        else
            fw_buf_printf(b, "<a href=\"/portal/apps/%llu%s\" id=\"%s\">%s</a>", (unsigned long long)a->id,
                          tabs[i].tail, tabs[i].id, tabs[i].label);
    }
    fw_buf_puts(b, "</p></nav>\n");
}

/* ---- settings ---- */

static void radio(fw_pt_ctx *x, const char *name, const char *value, const char *id, bool on, const char *label,
                  const char *hint)
{
    fw_buf *b = fw_pt_body(x);
    fw_buf_printf(b, "<label><input type=\"radio\" name=\"%s\" value=\"%s\" id=\"%s\"%s> %s</label>", name, value, id,
                  on ? " checked" : "", label);
    fw_buf_printf(b, "<p class=\"hint\">%s</p>\n", hint);
}

static void app_page(fw_pt_ctx *x, const fw_app *a, const fw_project *p, const fw_app_settings *st, int status,
                     const char *error, const char *ok)
{
    fw_pt_begin(x, status, "App settings");
    fw_buf *b = fw_pt_body(x);
    char action[64];
    app_path(action, sizeof action, a->id, "");
    fw_pt_app_nav(x, a, p, FW_PT_NAV_SETTINGS);
    fw_pt_error(x, error);
    if (ok)
        fw_buf_printf(b, "<p class=\"ok\" role=\"status\" id=\"saved\">%s</p>\n", ok);
    fw_buf_puts(b, "<h2>App name</h2>\n<div class=\"card\">\n");
    fw_pt_form(x, action);
    fw_pt_input(x, "text", "name", "Name", a->name, APP_NAME_MAX, "required");
    fw_buf_puts(b, "<button type=\"submit\" name=\"action\" value=\"rename\" id=\"rename\">Rename</button>\n</form>\n"
                   "</div>\n<h2>User authentication settings</h2>\n<div class=\"card\">\n");
    fw_pt_form(x, action);
    fw_buf_puts(b, "<fieldset><legend>App permissions</legend>\n");
    radio(x, "permission", "read", "perm-read", st->permission == FW_APP_PERM_READ, "Read",
          "Read users, followers and following.");
    radio(x, "permission", "write", "perm-write", st->permission == FW_APP_PERM_READ_WRITE, "Read and write",
          "Also follow, unfollow and answer follow requests.");
    fw_buf_puts(b, "</fieldset>\n<fieldset><legend>Type of app</legend>\n");
    radio(x, "client_type", "public", "type-public", a->client_type == FW_CLIENT_PUBLIC, "Native App",
          "A public client (mobile, desktop, single-page): no client secret.");
    radio(x, "client_type", "confidential", "type-confidential", a->client_type == FW_CLIENT_CONFIDENTIAL,
          "Web App, Automated App or Bot", "A confidential client: it keeps a client secret on a server.");
    fw_buf_puts(b, "</fieldset>\n<label for=\"callbacks\">Callback URIs / Redirect URLs</label>\n<p class=\"hint\">"
                   "One per line, at most 10. OAuth 1.0a and OAuth 2.0 send users back only to one of these "
                   "(byte for byte).</p>\n<textarea id=\"callbacks\" name=\"callbacks\" maxlength=\"11000\">");
    fw_pt_esc(x, a->redirect_uris);
    fw_buf_puts(b, "</textarea>\n");
    fw_pt_input(x, "url", "website", "Website URL", st->website_url, FW_WEBSITE_MAX, NULL);
    fw_buf_puts(b, "<button type=\"submit\" name=\"action\" value=\"settings\" id=\"save-settings\">Save</button>\n"
                   "</form>\n</div>\n<h2>Delete app</h2>\n<div class=\"card\">\n");
    fw_pt_form(x, action);
    fw_buf_puts(b, "<p>Deleting the app stops every key and token of it at once.</p>\n<button type=\"submit\" "
                   "class=\"danger\" name=\"action\" value=\"delete\" id=\"delete-app\">Delete app</button>\n"
                   "</form>\n</div>\n");
    fw_pt_end(x);
}

/* Normalises the callback list (trimmed lines, '\n'-joined, no blanks) into
 * out; the error or NULL. */
static const char *callbacks_parse(fw_str in, fw_buf *out)
{
    size_t i = 0, n = 0;
    while (i < in.len) {
        size_t j = i;
        while (j < in.len && in.p[j] != '\n')
            j++;
        fw_str line = {in.p + i, j - i};
        while (line.len && (line.p[line.len - 1] == '\r' || line.p[line.len - 1] == ' ' || line.p[line.len - 1] == '\t'))
            line.len--;
        while (line.len && (line.p[0] == ' ' || line.p[0] == '\t'))
            line.p++, line.len--;
        i = j + 1;
        if (!line.len)
            continue;
        if (!fw_url_callback_ok(line))
            return "A callback URI must be an absolute URI without spaces (at most 1024 characters; no javascript:, "
                   "data:, vbscript: or file:).";
        if (++n > MAX_CALLBACKS)
            return "At most 10 callback URIs.";
        if (out->len)
            fw_buf_putc(out, '\n');
        fw_buf_append(out, line.p, line.len);
    }
    return NULL;
}

static bool website_ok(fw_str w)
{
    if (!w.len)
        return true;
    return fw_url_callback_ok(w) && ((w.len > 7 && !strncasecmp(w.p, "http://", 7)) ||
                                     (w.len > 8 && !strncasecmp(w.p, "https://", 8)));
}

static void save_settings(fw_pt_ctx *x, const fw_app *a, const fw_project *p, const fw_app_settings *st)
{
    fw_str perm = fw_pt_field(x, "permission"), type = fw_pt_field(x, "client_type");
    fw_str website = fw_pt_field(x, "website");
    const char *err = NULL;
    fw_buf cbs = FW_BUF_INIT;
    if (!fw_str_eq(perm, "read") && !fw_str_eq(perm, "write"))
        err = "Choose the app permissions.";
    else if (!fw_str_eq(type, "public") && !fw_str_eq(type, "confidential"))
        err = "Choose the type of app.";
    else if (!fw_pt_field_len(x, "callbacks", 0, 11000))
        err = "Too many callback URIs.";
    else if ((err = callbacks_parse(fw_pt_field(x, "callbacks"), &cbs)))
        ;
    else if (!fw_pt_field_len(x, "website", 0, FW_WEBSITE_MAX) || !website_ok(website))
        err = "The website URL must be an http:// or https:// URL.";
    if (err) {
        app_page(x, a, p, st, 400, err, NULL);
    } else {
        fw_str list = {cbs.data ? cbs.data : "", cbs.len};
        uint8_t pm = fw_str_eq(perm, "read") ? FW_APP_PERM_READ : FW_APP_PERM_READ_WRITE;
        uint8_t ct = fw_str_eq(type, "public") ? FW_CLIENT_PUBLIC : FW_CLIENT_CONFIDENTIAL;
        if (fw_store_app_update(fw_pt_store(x), a->id, a->name, ct, list, pm, website) != FW_OK) {
            fw_pt_unavailable(x);
        } else {
            char path[64];
            app_path(path, sizeof path, a->id, "");
            fw_pt_redirect(x, path);
        }
    }
    fw_buf_free(&cbs);
}

void fw_pt_app(fw_pt_ctx *x)
{
    fw_app_rec a;
    fw_project_rec p;
    if (!fw_pt_load_app(x, &a, &p))
        return;
    fw_app_settings_rec st;
    if (fw_store_app_settings_get(fw_pt_store(x), a.a.id, &st) != FW_OK) {
        fw_pt_unavailable(x);
        goto out;
    }
    fw_str action = fw_pt_field(x, "action");
    if (!x->post) {
        app_page(x, &a.a, &p.p, &st.s, 200, NULL, NULL);
    } else if (fw_str_eq(action, "rename")) {
        if (!fw_pt_field_len(x, "name", 1, APP_NAME_MAX)) {
            app_page(x, &a.a, &p.p, &st.s, 400, "Give the app a name of 1 to 32 characters.", NULL);
        } else if (fw_store_app_update(fw_pt_store(x), a.a.id, fw_pt_field(x, "name"), a.a.client_type,
                                       a.a.redirect_uris, st.s.permission, st.s.website_url) != FW_OK) {
            fw_pt_unavailable(x);
        } else {
            char path[64];
            app_path(path, sizeof path, a.a.id, "");
            fw_pt_redirect(x, path);
        }
    } else if (fw_str_eq(action, "settings")) {
        save_settings(x, &a.a, &p.p, &st.s);
    } else if (fw_str_eq(action, "delete")) {
        char path[64];
        snprintf(path, sizeof path, "/portal/projects/%llu", (unsigned long long)p.p.id);
        /* its credentials stop with it: every lookup loads the app */
        if (fw_store_app_delete(fw_pt_store(x), a.a.id) != FW_OK)
            fw_pt_unavailable(x);
        else
            fw_pt_redirect(x, path);
    } else {
        app_page(x, &a.a, &p.p, &st.s, 400, "Unknown action.", NULL);
    }
    fw_app_settings_rec_free(&st);
out:
    fw_app_rec_free(&a);
    fw_project_rec_free(&p);
}

/* ---- keys and tokens ---- */

/* What an action made, shown once on the page it answers with. */
typedef struct fresh {
    bool consumer, bearer, token, client_secret;
    char bearer_tok[FW_TOKEN_MAX];
    char tok[FW_TOKEN_MAX], sec[FW_TOKEN_MAX];
    const char *note;
} fresh;

static void action_button(fw_pt_ctx *x, const char *action, const char *value, const char *id, const char *label,
                          bool danger)
{
    fw_pt_form(x, action);
    fw_buf_printf(fw_pt_body(x), "<button type=\"submit\" class=\"%s\" name=\"action\" value=\"%s\" id=\"%s\">%s"
                                 "</button>\n</form>\n",
                  danger ? "danger" : "secondary", value, id, label);
}

typedef struct tok_level {
    bool live;
    uint32_t scopes;
} tok_level;

static void on_token(void *ctx, const fw_auth_res *res)
{
    tok_level *t = ctx;
    t->live = res->rc == FW_OK && res->cred && !res->cred->revoked;
    t->scopes = t->live ? res->cred->scopes : 0;
}

static const char *perm_name(bool read) { return read ? "Read" : "Read and write"; }

/* The developer's own token and the level it was made with (which a later
 * change of the app's permission does not change, as on X), or an empty
 * state. */
static void token_level(fw_pt_ctx *x, const fw_app *a, const fw_app_settings *st)
{
    fw_buf *b = fw_pt_body(x);
    fw_buf_printf(b, "<h3>Access Token and Secret</h3>\n<p>For <strong>@");
    fw_pt_escc(x, x->s.username);
    fw_buf_puts(b, "</strong>");
    tok_level t = {0};
    if (st->dev_token.len) {
        fw_auth_q q = {.by = FW_AUTH_BY_OAUTH1, .token = st->dev_token, .consumer_key = a->consumer_key};
        fw_store_auth(fw_pt_store(x), NULL, &q, on_token, &t); /* no executor: answered before it returns */
    }
    if (!t.live) {
        fw_buf_printf(b, ": a new token gets the app's permission, <strong>%s</strong>.</p>\n",
                      perm_name(st->permission == FW_APP_PERM_READ));
        return;
    }
    bool tok_read = t.scopes == FW_SCOPES_OAUTH1_READ, app_read = st->permission == FW_APP_PERM_READ;
    fw_buf_printf(b, ", made with the permission <strong id=\"token-permission\">%s</strong>.</p>\n",
                  perm_name(tok_read));
    if (tok_read != app_read)
        fw_buf_printf(b, "<p class=\"hint\" id=\"token-stale\">The app's permission is now %s: %s</p>\n",
                      perm_name(app_read),
                      app_read ? "this token only reads." : "regenerate the token to write with it.");
}

static void keys_page(fw_pt_ctx *x, const fw_app *a, const fw_project *p, const fw_app_settings *st, const fresh *f)
{
    fw_pt_begin(x, 200, "Keys and tokens");
    fw_buf *b = fw_pt_body(x);
    char action[64];
    app_path(action, sizeof action, a->id, "/keys");
    fw_pt_app_nav(x, a, p, FW_PT_NAV_KEYS);
    if (f->note)
        fw_buf_printf(b, "<p class=\"ok\" role=\"status\" id=\"saved\">%s Copy it now: it will not be shown again."
                         "</p>\n",
                      f->note);
    fw_buf_puts(b, "<h2>Consumer Keys</h2>\n<div class=\"card\">\n");
    fw_pt_value(x, "api-key", "API Key", a->consumer_key);
    if (f->consumer)
        fw_pt_secret(x, "api-secret", "API Key Secret", a->consumer_secret);
    else
        fw_pt_masked(x, "API Key Secret", "Shown once when it was made: regenerate to see a new one.");
    action_button(x, action, "regen_consumer", "regen-consumer", "Regenerate API Key and Secret", false);
    fw_buf_puts(b, "<p class=\"hint\">Regenerating stops the old key and every OAuth 1.0a token signed with it.</p>\n"
                   "</div>\n<h2>Authentication Tokens</h2>\n<div class=\"card\">\n<h3>Bearer Token</h3>\n");
    if (f->bearer)
        fw_pt_secret(x, "bearer-token", "Bearer Token (app-only)", fw_str_c(f->bearer_tok));
    else
        fw_pt_masked(x, "Bearer Token (app-only)", "Regenerating stops the old token at once.");
    action_button(x, action, "regen_bearer", "regen-bearer", f->bearer ? "Regenerate" : "Generate new Bearer Token",
                  false);
    token_level(x, a, st);
    if (f->token) {
        fw_pt_secret(x, "access-token", "Access Token", fw_str_c(f->tok));
        fw_pt_secret(x, "access-secret", "Access Token Secret", fw_str_c(f->sec));
    } else if (st->dev_token.len) {
        fw_pt_value(x, "access-token", "Access Token", st->dev_token);
        fw_pt_masked(x, "Access Token Secret", NULL);
    } else {
        fw_buf_puts(b, "<p class=\"empty\" id=\"no-token\">No access token yet.</p>\n");
    }
    action_button(x, action, "gen_token", "gen-token",
                  st->dev_token.len || f->token ? "Regenerate Access Token and Secret" : "Generate Access Token and Secret",
                  false);
    if (st->dev_token.len || f->token)
        action_button(x, action, "revoke_token", "revoke-token", "Revoke Access Token", true);
    fw_buf_puts(b, "</div>\n<h2>OAuth 2.0 Client ID and Client Secret</h2>\n<div class=\"card\">\n");
    fw_pt_value(x, "client-id", "Client ID", a->client_id);
    if (a->client_type == FW_CLIENT_PUBLIC) {
        fw_buf_puts(b, "<p class=\"hint\">A Native App (public client) has no client secret.</p>\n");
    } else {
        if (f->client_secret)
            fw_pt_secret(x, "client-secret", "Client Secret", a->client_secret);
        else
            fw_pt_masked(x, "Client Secret", NULL);
        action_button(x, action, "regen_client_secret", "regen-client-secret", "Regenerate Client Secret", false);
    }
    fw_buf_puts(b, "</div>\n");
    fw_pt_end(x);
}

/* The page after creating an app: its API key, secret and bearer token. */
void fw_pt_keys_fresh(fw_pt_ctx *x)
{
    fw_app_rec a;
    fw_project_rec p;
    fw_app_settings_rec st;
    if (fw_pt_own_app(x, x->id, &a, &p) != FW_OK) {
        fw_pt_unavailable(x);
        return;
    }
    fresh f = {.consumer = true, .bearer = true, .note = "Your app is ready: here are its keys."};
    if (fw_store_app_settings_get(fw_pt_store(x), a.a.id, &st) != FW_OK ||
        fw_issue_app_bearer(fw_pt_store(x), a.a.id, a.a.bearer_gen, f.bearer_tok) != FW_OK) {
        fw_pt_unavailable(x);
    } else {
        keys_page(x, &a.a, &p.p, &st.s, &f);
        fw_app_settings_rec_free(&st);
    }
    fw_app_rec_free(&a);
    fw_project_rec_free(&p);
}

/* Runs a keys action; FW_OK or the store's error. a is reloaded after it. */
static int keys_action(fw_pt_ctx *x, fw_str action, fw_app_rec *a, const fw_app_settings *st, fresh *f)
{
    fw_store *s = fw_pt_store(x);
    fw_app_rec n;
    int rc;
    if (fw_str_eq(action, "regen_consumer") || fw_str_eq(action, "regen_client_secret")) {
        bool consumer = fw_str_eq(action, "regen_consumer");
        if (!consumer && a->a.client_type == FW_CLIENT_PUBLIC)
            return FW_EINVAL;
        if ((rc = fw_store_app_regenerate(s, a->a.id, consumer ? FW_REGEN_CONSUMER : FW_REGEN_CLIENT_SECRET, &n)))
            return rc;
        fw_app_rec_free(a);
        *a = n;
        f->consumer = consumer, f->client_secret = !consumer;
        f->note = consumer ? "New API Key and Secret made." : "New Client Secret made.";
        return FW_OK;
    }
    if (fw_str_eq(action, "regen_bearer")) {
        uint32_t gen = a->a.bearer_gen + 1;
        if ((rc = fw_store_app_set_bearer_gen(s, a->a.id, gen)) ||
            (rc = fw_issue_app_bearer(s, a->a.id, gen, f->bearer_tok)))
            return rc;
        f->bearer = true;
        f->note = "New Bearer Token made; the old one no longer works.";
        return FW_OK;
    }
    if (fw_str_eq(action, "gen_token") || fw_str_eq(action, "revoke_token")) {
        if (st->dev_token.len && (rc = fw_store_cred_revoke(s, NULL, st->dev_token, NULL)) && rc != FW_ENOTFOUND)
            return rc;
        if (fw_str_eq(action, "revoke_token"))
            return fw_store_app_set_dev_token(s, a->a.id, FW_STR_NULL);
        /* the token carries the app's permission as it is now (X: "created with Read" etc.) */
        uint32_t scopes = st->permission == FW_APP_PERM_READ ? FW_SCOPES_OAUTH1_READ : FW_SCOPES_OAUTH1_WRITE;
        if ((rc = fw_issue_oauth1(s, a->a.id, x->s.user_id, scopes, NULL, f->tok, f->sec)) ||
            (rc = fw_store_app_set_dev_token(s, a->a.id, fw_str_c(f->tok))))
            return rc;
        f->token = true;
        f->note = "New Access Token and Secret made.";
        return FW_OK;
    }
    return FW_EINVAL;
}

void fw_pt_keys(fw_pt_ctx *x)
{
    fw_app_rec a;
    fw_project_rec p;
    if (!fw_pt_load_app(x, &a, &p))
        return;
    fresh f = {0};
    fw_app_settings_rec st;
    int rc = fw_store_app_settings_get(fw_pt_store(x), a.a.id, &st);
    if (rc == FW_OK && x->post) {
        rc = keys_action(x, fw_pt_field(x, "action"), &a, &st.s, &f);
        fw_app_settings_rec_free(&st);
        /* the page shows what is stored now (the token just made or revoked) */
        if (rc == FW_OK)
            rc = fw_store_app_settings_get(fw_pt_store(x), a.a.id, &st);
        else if (rc == FW_EINVAL)
            rc = fw_store_app_settings_get(fw_pt_store(x), a.a.id, &st) ?: FW_EINVAL;
    }
    if (rc == FW_OK) {
        keys_page(x, &a.a, &p.p, &st.s, &f);
    } else if (rc == FW_EINVAL) {
        fw_pt_message(x, 400, "Bad request", "Unknown action.");
    } else {
        fw_pt_unavailable(x);
    }
    if (rc == FW_OK || rc == FW_EINVAL)
        fw_app_settings_rec_free(&st);
    fw_app_rec_free(&a);
    fw_project_rec_free(&p);
}
