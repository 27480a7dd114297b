/* Hardened HTML pages, shared by the OAuth sign-in and consent pages
 * (oauth/) and the developer portal (portal/): escaping, the response
 * headers every page carries, and cookie parsing. */
#ifndef FW_CORE_HTML_H
#define FW_CORE_HTML_H

#include "core/buf.h"
#include "core/req.h"
#include "core/str.h"

/* Appends s with & < > " ' escaped (safe in text and quoted attributes);
 * NUL bytes are dropped. */
void fw_html_escape(fw_buf *b, fw_str s);
void fw_html_escape_c(fw_buf *b, const char *s);
/* Sets status and text/html, resets the body and adds the headers of every
 * page: never cached (no-store), never framed (DENY), nosniff, no referrer,
 * and the Content-Security-Policy csp (a static string). */
void fw_html_begin(fw_req *req, int status, const char *csp);
/* The value of cookie name in a Cookie header, or .p == NULL. */
fw_str fw_cookie_value(fw_str header, const char *name);

#endif
