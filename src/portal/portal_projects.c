/* Projects: the list (the portal's home), creating one, and a project's page
 * (edit, delete, its apps, creating an app in it). A developer sees and
 * changes only projects it owns: any other id answers 404, as if there were
 * no such project. */
#include "portal/portal_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "limits/policy.h"

#define APP_NAME_MAX 32

const fw_pt_endpoint fw_pt_endpoints[] = {
    {FW_EP_USER_BY_ID, "Look up users by id"},
    {FW_EP_USER_BY_USERNAME, "Look up users by username"},
    {FW_EP_ME, "Look up the authenticated user (/2/users/me)"},
    {FW_EP_FOLLOW, "Follow a user"},
    {FW_EP_UNFOLLOW, "Unfollow a user"},
    {FW_EP_FOLLOWERS, "List a user's followers"},
    {FW_EP_FOLLOWING, "List the accounts a user follows"},
    {FW_EP_FOLLOW_REQUESTS, "List follow requests"},
    {FW_EP_FOLLOW_REQUEST_ANSWER, "Accept or decline follow requests"},
};
const size_t fw_pt_nendpoints = sizeof fw_pt_endpoints / sizeof fw_pt_endpoints[0];

/* What each access level permits: the endpoint levels and limits this
 * server enforces (serve --limits included). */
static void levels_table(fw_pt_ctx *x)
{
    const fw_limits_config *c = fw_limits_config_of(fw_pt_limits(x));
    fw_buf *b = fw_pt_body(x);
    fw_buf_puts(b, "<table id=\"levels\">\n<caption class=\"hint\">What each access level permits on this server "
                   "(a &#10003; with the per-user 15-minute window)</caption>\n"
                   "<thead><tr><th scope=\"col\">Endpoint</th>");
    for (uint8_t l = FW_ACCESS_FREE; l <= FW_ACCESS_ENTERPRISE; l++)
        fw_buf_printf(b, "<th scope=\"col\">%s</th>", fw_pt_level_name(l));
    fw_buf_puts(b, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < fw_pt_nendpoints; i++) {
        const fw_ep_limits *e = &c->ep[fw_pt_endpoints[i].ep];
        fw_buf_printf(b, "<tr><th scope=\"row\">%s</th>", fw_pt_endpoints[i].what);
        for (uint8_t l = FW_ACCESS_FREE; l <= FW_ACCESS_ENTERPRISE; l++) {
            if (l < e->level) {
                fw_buf_puts(b, "<td>&mdash;</td>");
                continue;
            }
            fw_buf_printf(b, "<td>&#10003; %u / 15 min", e->user_window ? e->user_window : e->app_window);
            if (e->user_day)
                fw_buf_printf(b, ", %u / day", e->user_day);
            fw_buf_puts(b, "</td>");
        }
        fw_buf_puts(b, "</tr>\n");
    }
    fw_buf_puts(b, "</tbody>\n</table>\n");
}

static void env_select(fw_pt_ctx *x, uint8_t cur)
{
    fw_buf *b = fw_pt_body(x);
    fw_buf_puts(b, "<label for=\"environment\">Environment</label>\n<select id=\"environment\" name=\"environment\">");
    for (uint8_t e = 0; e <= FW_ENV_PRODUCTION; e++)
        fw_buf_printf(b, "<option value=\"%u\"%s>%s</option>", e, e == cur ? " selected" : "", fw_pt_env_name(e));
    fw_buf_puts(b, "</select>\n");
}

static void use_case_area(fw_pt_ctx *x, fw_str v)
{
    fw_buf *b = fw_pt_body(x);
    fw_buf_printf(b, "<label for=\"use_case\">Use case</label>\n<p class=\"hint\">What will you build? "
                     "(optional, at most %d characters)</p>\n<textarea id=\"use_case\" name=\"use_case\" "
                     "maxlength=\"%d\">",
                  FW_USE_CASE_MAX, FW_USE_CASE_MAX);
    fw_pt_esc(x, v);
    fw_buf_puts(b, "</textarea>\n");
}

static void level_select(fw_pt_ctx *x, uint8_t cur)
{
    fw_buf *b = fw_pt_body(x);
    fw_buf_puts(b, "<label for=\"access_level\">Access level</label>\n<select id=\"access_level\" "
                   "name=\"access_level\">");
    for (uint8_t l = FW_ACCESS_FREE; l <= FW_ACCESS_ENTERPRISE; l++)
        fw_buf_printf(b, "<option value=\"%u\"%s>%s</option>", l, l == cur ? " selected" : "", fw_pt_level_name(l));
    fw_buf_puts(b, "</select>\n");
}

/* Reads name, use case, environment and access level from the form; the
 * error or NULL. */
static const char *project_fields(fw_pt_ctx *x, fw_str *name, fw_str *use_case, uint8_t *env, uint8_t *level)
{
    fw_str lv = fw_pt_field(x, "access_level");
    if (lv.len != 1 || lv.p[0] < '1' || lv.p[0] > '4')
        return "Choose an access level.";
    *level = (uint8_t)(lv.p[0] - '0');
    *name = fw_pt_field(x, "name");
    *use_case = fw_pt_field(x, "use_case");
    fw_str e = fw_pt_field(x, "environment");
    if (!fw_pt_field_len(x, "name", 1, FW_PROJECT_NAME_MAX))
        return "Give the project a name of 1 to 64 characters.";
    if (!fw_pt_field_len(x, "use_case", 0, FW_USE_CASE_MAX))
        return "The use case may have at most 1000 characters.";
    if (e.len != 1 || e.p[0] < '0' || e.p[0] > '2')
        return "Choose an environment.";
    *env = (uint8_t)(e.p[0] - '0');
    return NULL;
}

/* ---- the list ---- */

typedef struct list_ctx {
    fw_pt_ctx *x;
    size_t n;
} list_ctx;

static int app_count_row(void *ctx, const fw_app *a)
{
    uint64_t *v = ctx;
    if (a->project_id == v[0])
        v[1]++;
    return 0;
}

static int project_row(void *ctx, const fw_project *p)
{
    list_ctx *lc = ctx;
    fw_pt_ctx *x = lc->x;
    fw_buf *b = fw_pt_body(x);
    uint64_t cnt[2] = {p->id, 0};
    if (fw_store_app_scan(fw_pt_store(x), app_count_row, cnt) != FW_OK)
        cnt[1] = 0;
    if (!lc->n++)
        fw_buf_puts(b, "<table id=\"projects\">\n<thead><tr><th scope=\"col\">Project</th><th scope=\"col\">"
                       "Environment</th><th scope=\"col\">Access level</th><th scope=\"col\">Apps</th></tr></thead>\n"
                       "<tbody>\n");
    fw_buf_printf(b, "<tr><td><a href=\"/portal/projects/%llu\">", (unsigned long long)p->id);
    fw_pt_esc(x, p->name);
    fw_buf_printf(b, "</a></td><td>%s</td><td>%s</td><td>%llu</td></tr>\n", fw_pt_env_name(p->environment),
                  fw_pt_level_name(p->access_level), (unsigned long long)cnt[1]);
    return 0;
}

void fw_pt_home(fw_pt_ctx *x)
{
    if (!fw_pt_require_dev(x))
        return;
    fw_pt_begin(x, 200, "Projects");
    fw_buf *b = fw_pt_body(x);
    list_ctx lc = {x, 0};
    if (fw_store_project_scan_owner(fw_pt_store(x), x->s.user_id, project_row, &lc) != FW_OK) {
        fw_pt_unavailable(x);
        return;
    }
    if (lc.n)
        fw_buf_puts(b, "</tbody>\n</table>\n");
    else
        fw_buf_puts(b, "<p class=\"empty\" id=\"no-projects\">You have no projects yet. A Project holds your Apps "
                       "and decides which endpoints they may call.</p>\n");
    fw_buf_puts(b, "<p><a class=\"button\" id=\"new-project\" href=\"/portal/projects/new\">Create a project</a></p>\n"
                   "<p class=\"hint\">Apps outside a Project (standalone apps) cannot call the X API v2: followd "
                   "answers them with X's client-forbidden error, so the portal creates Apps inside Projects.</p>\n");
    fw_pt_end(x);
}

/* ---- create ---- */

static void new_project_page(fw_pt_ctx *x, int status, const char *error)
{
    fw_pt_begin(x, status, "Create a project");
    fw_buf *b = fw_pt_body(x);
    fw_pt_error(x, error);
    fw_buf_puts(b, "<div class=\"card\">\n");
    fw_pt_form(x, "/portal/projects/new");
    fw_pt_input(x, "text", "name", "Project name", fw_pt_field(x, "name"), FW_PROJECT_NAME_MAX, "required");
    use_case_area(x, fw_pt_field(x, "use_case"));
    env_select(x, FW_ENV_DEVELOPMENT);
    level_select(x, FW_ACCESS_BASIC);
    levels_table(x);
    fw_buf_puts(b, "<button type=\"submit\" id=\"create\">Create project</button>\n</form>\n</div>\n");
    fw_pt_end(x);
}

void fw_pt_project_new(fw_pt_ctx *x)
{
    if (!fw_pt_require_dev(x))
        return;
    if (!x->post) {
        new_project_page(x, 200, NULL);
        return;
    }
    fw_str name, use_case;
    uint8_t env, level;
    const char *err = project_fields(x, &name, &use_case, &env, &level);
    if (err) {
        new_project_page(x, 400, err);
        return;
    }
    uint64_t id;
    if (fw_store_project_create_owned(fw_pt_store(x), x->s.user_id, name, use_case, env, level, fw_now_ms(),
                                      &id) != FW_OK) {
        fw_pt_unavailable(x);
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "/portal/projects/%llu", (unsigned long long)id);
    fw_pt_redirect(x, path);
}

/* ---- one project ---- */

static int app_list_row(void *ctx, const fw_app *a)
{
    list_ctx *lc = ctx;
    fw_pt_ctx *x = lc->x;
    if (a->project_id != x->id)
        return 0;
    fw_buf *b = fw_pt_body(x);
    if (!lc->n++)
        fw_buf_puts(b, "<ul id=\"apps\">\n");
    fw_buf_printf(b, "<li><a href=\"/portal/apps/%llu\">", (unsigned long long)a->id);
    fw_pt_esc(x, a->name);
    fw_buf_printf(b, "</a> &middot; <a href=\"/portal/apps/%llu/keys\">Keys and tokens</a></li>\n",
                  (unsigned long long)a->id);
    return 0;
}

static void project_page(fw_pt_ctx *x, const fw_project *p, int status, const char *error)
{
    fw_pt_begin(x, status, "Project");
    fw_buf *b = fw_pt_body(x);
    char action[64];
    snprintf(action, sizeof action, "/portal/projects/%llu", (unsigned long long)p->id);
    fw_buf_puts(b, "<p><strong id=\"project-name\">");
    fw_pt_esc(x, p->name);
    fw_buf_printf(b, "</strong> &middot; %s &middot; access level <strong id=\"project-level\">%s</strong></p>\n",
                  fw_pt_env_name(p->environment), fw_pt_level_name(p->access_level));
    fw_pt_error(x, error);
    fw_buf_puts(b, "<h2>Apps</h2>\n<div class=\"card\">\n");
    list_ctx lc = {x, 0};
    if (fw_store_app_scan(fw_pt_store(x), app_list_row, &lc) != FW_OK) {
        fw_pt_unavailable(x);
        return;
    }
    if (lc.n)
        fw_buf_puts(b, "</ul>\n");
    else
        fw_buf_puts(b, "<p class=\"empty\" id=\"no-apps\">No apps yet. An App holds the keys and tokens a client "
                       "uses.</p>\n");
    fw_pt_form(x, action);
    fw_pt_input(x, "text", "app_name", "New app name", FW_STR_NULL, APP_NAME_MAX, "required");
    fw_buf_puts(b, "<button type=\"submit\" name=\"action\" value=\"create_app\" id=\"create-app\">Create app</button>\n"
                   "</form>\n</div>\n<h2>Project settings</h2>\n<div class=\"card\">\n");
    fw_pt_form(x, action);
    fw_pt_input(x, "text", "name", "Project name", p->name, FW_PROJECT_NAME_MAX, "required");
    use_case_area(x, p->use_case);
    env_select(x, p->environment);
    level_select(x, p->access_level);
    levels_table(x);
    fw_buf_puts(b, "<button type=\"submit\" name=\"action\" value=\"update\" id=\"save-project\">Save</button>\n</form>\n"
                   "</div>\n<h2>Delete project</h2>\n<div class=\"card\">\n");
    fw_pt_form(x, action);
    fw_buf_puts(b, "<p>Deleting a project deletes it for good. A project with apps is deleted only with them:</p>\n"
                   "<label><input type=\"checkbox\" name=\"with_apps\" value=\"1\" id=\"with-apps\"> Also delete its "
                   "apps and their keys</label>\n<button type=\"submit\" class=\"danger\" name=\"action\" "
                   "value=\"delete\" id=\"delete-project\">Delete project</button>\n</form>\n</div>\n");
    fw_pt_end(x);
}

static void create_app(fw_pt_ctx *x, const fw_project *p)
{
    if (!fw_pt_field_len(x, "app_name", 1, APP_NAME_MAX)) {
        project_page(x, p, 400, "Give the app a name of 1 to 32 characters.");
        return;
    }
    fw_app_rec a;
    if (fw_store_app_create(fw_pt_store(x), fw_pt_field(x, "app_name"), p->id, FW_CLIENT_CONFIDENTIAL, FW_STR_NULL,
                            &a) != FW_OK) {
        fw_pt_unavailable(x);
        return;
    }
    /* the new app's keys, shown once */
    x->id = a.a.id;
    fw_app_rec_free(&a);
    fw_pt_keys_fresh(x);
}

void fw_pt_project(fw_pt_ctx *x)
{
    if (!fw_pt_require_dev(x))
        return;
    fw_project_rec p;
    int rc = fw_pt_own_project(x, x->id, &p);
    if (rc) {
        if (rc == FW_ENOTFOUND)
            fw_pt_not_found(x);
        else
            fw_pt_unavailable(x);
        return;
    }
    fw_str action = fw_pt_field(x, "action");
    if (!x->post) {
        project_page(x, &p.p, 200, NULL);
    } else if (fw_str_eq(action, "create_app")) {
        create_app(x, &p.p);
    } else if (fw_str_eq(action, "update")) {
        fw_str name, use_case;
        uint8_t env, level;
        const char *err = project_fields(x, &name, &use_case, &env, &level);
        if (err)
            project_page(x, &p.p, 400, err);
        else if (fw_store_project_update(fw_pt_store(x), p.p.id, name, use_case, env) != FW_OK ||
                 fw_store_project_set_level(fw_pt_store(x), p.p.id, level) != FW_OK)
            fw_pt_unavailable(x);
        else {
            char path[64];
            snprintf(path, sizeof path, "/portal/projects/%llu", (unsigned long long)p.p.id);
            fw_pt_redirect(x, path);
        }
    } else if (fw_str_eq(action, "delete")) {
        rc = fw_store_project_delete(fw_pt_store(x), p.p.id, fw_str_eq(fw_pt_field(x, "with_apps"), "1"));
        if (rc == FW_EBUSY)
            project_page(x, &p.p, 409, "This project still has apps: tick \"Also delete its apps\" to delete them too.");
        else if (rc)
            fw_pt_unavailable(x);
        else
            fw_pt_redirect(x, "/portal");
    } else {
        project_page(x, &p.p, 400, "Unknown action.");
    }
    fw_project_rec_free(&p);
}
