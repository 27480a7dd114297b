/* An app's usage: follows and unfollows against the daily caps, and each
 * endpoint's 15-minute window (the app's app-only window, and the signed-in
 * developer's own window through this app), the very counters the rate
 * limiter enforces (limits/policy.h fw_limits_usage: read, never taken),
 * with a bar chart in inline SVG. */
#include "portal/portal_internal.h"

#include "core/clock.h"
#include "limits/policy.h"

#define CHART_W 520
#define ROW_H 22
#define LABEL_W 230

static uint32_t used_of(const fw_rl_state *st) { return st->limit > st->remaining ? st->limit - st->remaining : 0; }

static void cell(fw_buf *b, const fw_rl_state *st)
{
    if (!st->limit)
        fw_buf_puts(b, "<td>&mdash;</td>");
    else
        fw_buf_printf(b, "<td>%u / %u</td>", used_of(st), st->limit);
}

static void day_line(fw_pt_ctx *x, const char *id, const char *what, const fw_rl_state *st)
{
    if (!st->limit)
        return;
    fw_buf_printf(fw_pt_body(x), "<li id=\"%s\"><strong>%u</strong> of %u %s</li>\n", id, used_of(st), st->limit,
                  what);
}

/* One bar: share of the window used, 0..100 %. */
static void bar(fw_buf *b, int y, const fw_rl_state *st, const char *fill)
{
    unsigned w = st->limit ? (unsigned)((uint64_t)used_of(st) * (CHART_W - LABEL_W - 10) / st->limit) : 0;
    fw_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"8\" fill=\"#e5e7eb\"/>", LABEL_W, y,
                  CHART_W - LABEL_W - 10);
    fw_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%u\" height=\"8\" fill=\"%s\"/>", LABEL_W, y, w, fill);
}

void fw_pt_usage(fw_pt_ctx *x)
{
    fw_app_rec a;
    fw_project_rec p;
    if (!fw_pt_load_app(x, &a, &p))
        return;
    int64_t now = fw_now_ms();
    fw_limit_usage u[FW_EP__COUNT];
    int rc = FW_OK;
    for (size_t i = 0; i < fw_pt_nendpoints && !rc; i++)
        rc = fw_limits_usage(fw_pt_limits(x), fw_pt_endpoints[i].ep, a.a.id, x->s.user_id, now,
                             &u[fw_pt_endpoints[i].ep]);
    if (rc) {
        fw_pt_unavailable(x);
        goto out;
    }
    fw_pt_begin(x, 200, "Usage");
    fw_buf *b = fw_pt_body(x);
    fw_pt_app_nav(x, &a.a, &p.p, FW_PT_NAV_USAGE);
    if (!u[FW_EP_FOLLOW].enabled) {
        fw_buf_puts(b, "<p class=\"empty\" id=\"limits-off\">This server runs with rate limits off (serve "
                       "--rate-limits off): nothing is counted.</p>\n");
        fw_pt_end(x);
        goto out;
    }
    fw_buf_puts(b, "<h2>Today</h2>\n<div class=\"card\">\n<ul id=\"daily\">\n");
    day_line(x, "follows-app", "follows by every user of this app in the current 24-hour period",
             &u[FW_EP_FOLLOW].app_day);
    day_line(x, "follows-user", "follows by your account (all apps)", &u[FW_EP_FOLLOW].user_day);
    day_line(x, "unfollows-app", "unfollows by every user of this app", &u[FW_EP_UNFOLLOW].app_day);
    fw_buf_puts(b, "</ul>\n</div>\n<h2>15-minute windows</h2>\n<div class=\"card\">\n<table id=\"windows\">\n"
                   "<thead><tr><th scope=\"col\">Endpoint</th><th scope=\"col\">App-only (bearer token)</th>"
                   "<th scope=\"col\">@");
    fw_pt_escc(x, x->s.username);
    fw_buf_puts(b, " through this app</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < fw_pt_nendpoints; i++) {
        const fw_limit_usage *e = &u[fw_pt_endpoints[i].ep];
        fw_buf_printf(b, "<tr><th scope=\"row\">%s</th>", fw_pt_endpoints[i].what);
        cell(b, &e->app_window);
        cell(b, &e->user_window);
        fw_buf_puts(b, "</tr>\n");
    }
    fw_buf_puts(b, "</tbody>\n</table>\n");
    /* The chart: per endpoint, the share of each window used. */
    int h = (int)fw_pt_nendpoints * ROW_H + 30;
    fw_buf_printf(b, "<svg id=\"chart\" role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 %d %d\" "
                     "width=\"100%%\" style=\"max-width:%dpx\" font-size=\"11\" font-family=\"system-ui,sans-serif\">"
                     "<title id=\"chart-title\">Share of each 15-minute window used</title>",
                  CHART_W, h, CHART_W);
    for (size_t i = 0; i < fw_pt_nendpoints; i++) {
        const fw_limit_usage *e = &u[fw_pt_endpoints[i].ep];
        int y = (int)i * ROW_H + 4;
        fw_buf_printf(b, "<text x=\"0\" y=\"%d\">%s</text>", y + 10, fw_pt_endpoints[i].what);
        bar(b, y, &e->app_window, "#1d4ed8");
        bar(b, y + 9, &e->user_window, "#047857");
    }
    int ly = (int)fw_pt_nendpoints * ROW_H + 16;
    fw_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"8\" fill=\"#1d4ed8\"/><text x=\"%d\" y=\"%d\">"
                     "app-only</text><rect x=\"%d\" y=\"%d\" width=\"10\" height=\"8\" fill=\"#047857\"/>"
                     "<text x=\"%d\" y=\"%d\">your account</text></svg>\n",
                  LABEL_W, ly, LABEL_W + 14, ly + 8, LABEL_W + 80, ly, LABEL_W + 94, ly + 8);
    fw_buf_puts(b, "<p class=\"hint\">Counted as the API counts them: every answered request takes one unit of its "
                   "window; follows and unfollows also take daily units, given back when they change nothing.</p>\n"
                   "</div>\n");
    fw_pt_end(x);
out:
    fw_app_rec_free(&a);
    fw_project_rec_free(&p);
}
