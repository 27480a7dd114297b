/* See html.h. */
#include "core/html.h"

#include <string.h>

void fw_html_escape(fw_buf *b, fw_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        switch (c) {
        case '&': fw_buf_puts(b, "&amp;"); break;
        case '<': fw_buf_puts(b, "&lt;"); break;
        case '>': fw_buf_puts(b, "&gt;"); break;
        case '"': fw_buf_puts(b, "&quot;"); break;
        case '\'': fw_buf_puts(b, "&#39;"); break;
        case 0: break;
        default: fw_buf_putc(b, c);
        }
    }
}

void fw_html_escape_c(fw_buf *b, const char *s) { fw_html_escape(b, fw_str_c(s)); }

void fw_html_begin(fw_req *req, int status, const char *csp)
{
    req->status = status;
    req->content_type_out = "text/html; charset=utf-8";
    fw_req_add_header(req, "cache-control", "no-store", 8);
    fw_req_add_header(req, "pragma", "no-cache", 8);
    fw_req_add_header(req, "x-frame-options", "DENY", 4);
    fw_req_add_header(req, "x-content-type-options", "nosniff", 7);
    fw_req_add_header(req, "referrer-policy", "no-referrer", 11);
    fw_req_add_header(req, "content-security-policy", csp, strlen(csp));
    fw_buf_reset(&req->body_out);
}

fw_str fw_cookie_value(fw_str h, const char *name)
{
    size_t nl = strlen(name), i = 0;
    while (i < h.len) {
        while (i < h.len && (h.p[i] == ' ' || h.p[i] == ';'))
            i++;
        size_t s = i;
        while (i < h.len && h.p[i] != ';')
            i++;
        fw_str item = {h.p + s, i - s};
        if (item.len > nl && item.p[nl] == '=' && memcmp(item.p, name, nl) == 0)
            return (fw_str){item.p + nl + 1, item.len - nl - 1};
    }
    return FW_STR_NULL;
}
