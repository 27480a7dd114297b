/* The sign-in and consent pages and the redirects back to the client: plain,
 * accessible HTML forms (labels, no script, no third-party asset), every
 * echoed value HTML-escaped, never cached and never framed. */
#include "oauth/oauth_internal.h"

#include <string.h>

#include "auth/scopes.h"
#include "core/html.h"
#include "core/urlenc.h"

static const char ct_html[] = "text/html; charset=utf-8";

void fw_oa_html_escape(fw_buf *b, fw_str s) { fw_html_escape(b, s); }

static void esc(fw_buf *b, const char *s)
{
    fw_oa_html_escape(b, fw_str_c(s));
}

static void page_begin(fw_req *req, int status, const char *title)
{
    static const char csp[] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";
    fw_html_begin(req, status, csp);
    fw_buf *b = &req->body_out;
    fw_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    esc(b, title);
    fw_buf_puts(b, " - followd</title>\n<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;"
                   "padding:0 1rem;line-height:1.5}label{display:block;margin-top:.75rem}input[type=text],"
                   "input[type=password]{width:100%;padding:.4rem;font-size:1rem}button{margin:1rem .5rem 0 0;"
                   "padding:.5rem 1rem;font-size:1rem}.error{color:#a00;font-weight:bold}.pin{font-size:2rem;"
                   "letter-spacing:.2rem}</style>\n</head>\n<body>\n<main>\n<h1>");
    esc(b, title);
    fw_buf_puts(b, "</h1>\n");
}

static void page_end(fw_oa_ctx *x)
{
    fw_buf_puts(&x->req->body_out, "</main>\n</body>\n</html>\n");
    fw_oa_finish(x);
}

static const struct {
    const char *name, *what;
} scope_text[] = {
    {"tweet.read", "Read posts you can see, including those of protected accounts you follow."},
    {"users.read", "Read profile information of any account you can see."},
    {"follows.read", "See who you follow and who follows you."},
    {"follows.write", "Follow and unfollow accounts for you."},
    {"offline.access", "Stay connected to your account until you revoke access."},
};

static void scope_list(fw_buf *b, uint32_t scopes)
{
    fw_buf names = FW_BUF_INIT;
    fw_scopes_format(scopes, &names);
    fw_buf_puts(b, "<ul>\n");
    fw_str all = {names.data ? names.data : "", names.len};
    size_t i = 0;
    while (i < all.len) {
        size_t j = i;
        while (j < all.len && all.p[j] != ' ')
            j++;
        fw_str name = {all.p + i, j - i};
        const char *what = NULL;
        for (size_t k = 0; k < sizeof scope_text / sizeof scope_text[0]; k++)
            if (fw_str_eq(name, scope_text[k].name))
                what = scope_text[k].what;
        fw_buf_puts(b, "<li><code>");
        fw_oa_html_escape(b, name);
        fw_buf_puts(b, "</code>");
        if (what) {
            fw_buf_puts(b, ": ");
            esc(b, what);
        }
        fw_buf_puts(b, "</li>\n");
        i = j + 1;
    }
    fw_buf_puts(b, "</ul>\n");
    fw_buf_free(&names);
}

static void hidden(fw_buf *b, const char *name, const char *value)
{
    fw_buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
    esc(b, value);
    fw_buf_puts(b, "\">\n");
}

void fw_oa_page_consent(fw_oa_ctx *x, const fw_oa_session *s, const char *id, const char *error, fw_str username)
{
    fw_req *req = x->req;
    page_begin(req, 200, "Authorize access to your account");
    fw_buf *b = &req->body_out;
    fw_buf_puts(b, "<p><strong>");
    esc(b, s->app_name);
    fw_buf_puts(b, "</strong> wants to access your followd account.</p>\n");
    if (s->flow == 1) {
        /* The level x_auth_access_type asked for (read: no writes). */
        fw_buf_puts(b, "<p>It will be able to:</p>\n<ul>\n<li>Read your profile, the accounts you follow and your "
                       "followers.</li>\n");
        if (s->authz.scopes & FW_SCOPE_FOLLOWS_WRITE)
            fw_buf_puts(b, "<li>Follow and unfollow accounts for you.</li>\n");
        fw_buf_puts(b, "</ul>\n");
    } else {
        fw_buf_puts(b, "<p>It asks for these permissions:</p>\n");
        scope_list(b, s->authz.scopes);
    }
    fw_buf_puts(b, "<p>It will not see your password.</p>\n");
    if (error) {
        fw_buf_puts(b, "<p class=\"error\" role=\"alert\" id=\"error\">");
        esc(b, error);
        fw_buf_puts(b, "</p>\n");
    }
    fw_buf_puts(b, "<form method=\"post\" action=\"");
    esc(b, s->action);
    fw_buf_puts(b, "\">\n");
    hidden(b, "session", id);
    hidden(b, "csrf", s->csrf);
    fw_buf_puts(b, "<label for=\"username\">Username</label>\n<input type=\"text\" id=\"username\" name=\"username\" "
                   "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"15\" value=\"");
    fw_oa_html_escape(b, username);
    fw_buf_puts(b, "\"");
    if (error)
        fw_buf_puts(b, " aria-describedby=\"error\"");
    fw_buf_puts(b, ">\n<label for=\"password\">Password</label>\n<input type=\"password\" id=\"password\" "
                   "name=\"password\" autocomplete=\"current-password\">\n"
                   "<button type=\"submit\" name=\"action\" value=\"allow\" id=\"allow\">Authorize app</button>"
                   "<button type=\"submit\" name=\"action\" value=\"deny\" id=\"deny\" formnovalidate>Cancel"
                   "</button>\n</form>\n");
    page_end(x);
}

void fw_oa_page_message(fw_oa_ctx *x, int status, const char *title, const char *message, fw_str detail)
{
    page_begin(x->req, status, title);
    fw_buf *b = &x->req->body_out;
    fw_buf_puts(b, "<p>");
    esc(b, message);
    fw_buf_puts(b, "</p>\n");
    if (detail.len) {
        fw_buf_puts(b, "<p class=\"pin\" id=\"pin\"><code>");
        fw_oa_html_escape(b, detail);
        fw_buf_puts(b, "</code></p>\n");
    }
    page_end(x);
}

void fw_oa_page_unavailable(fw_oa_ctx *x)
{
    fw_oa_page_message(x, 503, "Try again later", "followd could not reach its database.", FW_STR_NULL);
}

void fw_oa_redirect(fw_oa_ctx *x, fw_str base, const char *const *keys, const fw_str *vals, size_t n)
{
    fw_req *req = x->req;
    fw_buf url = FW_BUF_INIT;
    /* A fragment stays at the end; the parameters join the query. */
    const char *hash = base.len ? memchr(base.p, '#', base.len) : NULL;
    size_t head = hash ? (size_t)(hash - base.p) : base.len;
    fw_buf_append(&url, base.p, head);
    bool has_query = head && memchr(base.p, '?', head) != NULL;
    char sep = has_query ? (base.p[head - 1] == '?' || base.p[head - 1] == '&' ? 0 : '&') : '?';
    for (size_t i = 0; i < n; i++) {
        if (sep)
            fw_buf_putc(&url, sep);
        sep = '&';
        fw_buf_puts(&url, keys[i]);
        fw_buf_putc(&url, '=');
        fw_url_encode(vals[i], &url);
    }
    fw_buf_append(&url, base.p + head, base.len - head);
    req->status = 302;
    req->content_type_out = ct_html;
    fw_req_add_header(req, "location", url.data, url.len);
    fw_req_add_header(req, "cache-control", "no-store", 8);
    fw_req_add_header(req, "referrer-policy", "no-referrer", 11);
    fw_buf_reset(&req->body_out);
    fw_buf_puts(&req->body_out, "<!DOCTYPE html>\n<title>Redirecting</title>\n<p><a href=\"");
    fw_oa_html_escape(&req->body_out, (fw_str){url.data, url.len});
    fw_buf_puts(&req->body_out, "\">Continue</a></p>\n");
    fw_buf_free(&url);
    fw_oa_finish(x);
}
