/* GET /2/users/:id, /2/users/by/username/:username and /2/users/me. */
#include "api/internal.h"

static void on_users(void *ctx, const fw_users_res *r)
{
    fw_call *c = ctx;
    if (r->rc != FW_OK || r->n != 1) {
        fw_problem_unavailable(c->req);
        fw_call_finish(c);
        return;
    }
    const fw_user *u = r->users[0];
    bool by_name = c->rt->arg == FW_LOOKUP_USERNAME;
    const char *param = by_name ? "username" : "id";
    char idbuf[24];
    fw_str value = c->seg1;
    if (c->rt->arg == FW_LOOKUP_ME)
        value = (fw_str){idbuf, fw_u64_to_dec(c->who.user_id, idbuf)};
    fw_jw w;
    fw_call_json(c, &w);
    fw_jw_obj_begin(&w);
    if (!u || (u->flags & FW_USER_SUSPENDED)) {
        fw_jw_key(&w, "errors");
        fw_jw_arr_begin(&w);
        if (!u)
            fw_problem_item_not_found(&w, param, value, param);
        else
            fw_problem_item_suspended(&w, param, value);
        fw_jw_arr_end(&w);
    } else {
        fw_withheld wh = FW_WITHHELD_INIT;
        fw_withheld_add(&wh, u, r->rels, c->who.user_id);
        fw_withheld_seal(&wh);
        fw_jw_key(&w, "data");
        fw_render_user(&w, u, r->rels, &c->ro);
        fw_withheld_includes(&w, &wh, r->tweets, r->ntweets, &c->ro);
        if (fw_withheld_count(&wh, r->tweets, r->ntweets)) {
            fw_jw_key(&w, "errors");
            fw_jw_arr_begin(&w);
            fw_withheld_errors(&w, &wh, r->tweets, r->ntweets, &c->ro);
            fw_jw_arr_end(&w);
        }
        fw_withheld_free(&wh);
    }
    fw_jw_obj_end(&w);
    fw_call_cache_store(c, r->version);
    fw_call_finish(c);
}

void fw_h_user_lookup(fw_call *c)
{
    fw_users_q q = {0};
    q.opts = fw_call_read_opts(c);
    q.n = 1;
    if (c->rt->arg == FW_LOOKUP_USERNAME)
        q.usernames = &c->seg1;
    else
        q.ids = &c->id1;
    fw_store_users(c->api->store, c->req->exec, &q, on_users, c);
}

/* GET /2/users?ids= and /2/users/by?usernames=: found users in request order
 * under "data" (then "includes"), one "errors" entry per missing or suspended
 * one. */
static void on_users_many(void *ctx, const fw_users_res *r)
{
    fw_call *c = ctx;
    if (r->rc != FW_OK) {
        fw_problem_unavailable(c->req);
        fw_call_finish(c);
        return;
    }
    bool by_name = c->rt->arg == FW_LOOKUP_USERNAME;
    const char *param = by_name ? "usernames" : "ids";
    size_t found = 0, missing = 0;
    fw_withheld wh = FW_WITHHELD_INIT;
    for (size_t i = 0; i < r->n; i++) {
        if (r->users[i] && !(r->users[i]->flags & FW_USER_SUSPENDED)) {
            found++;
            fw_withheld_add(&wh, r->users[i], r->rels ? &r->rels[i] : NULL, c->who.user_id);
        } else {
            missing++;
        }
    }
    fw_withheld_seal(&wh);
    size_t withheld = found ? fw_withheld_count(&wh, r->tweets, r->ntweets) : 0;
    fw_jw w;
    fw_call_json(c, &w);
    fw_jw_obj_begin(&w);
    if (found) {
        fw_jw_key(&w, "data");
        fw_jw_arr_begin(&w);
        for (size_t i = 0; i < r->n; i++)
            if (r->users[i] && !(r->users[i]->flags & FW_USER_SUSPENDED))
                fw_render_user(&w, r->users[i], r->rels ? &r->rels[i] : NULL, &c->ro);
        fw_jw_arr_end(&w);
        fw_withheld_includes(&w, &wh, r->tweets, r->ntweets, &c->ro);
    }
    if (missing || withheld) {
        fw_jw_key(&w, "errors");
        fw_jw_arr_begin(&w);
        for (size_t i = 0; i < r->n; i++) {
            if (r->users[i] && !(r->users[i]->flags & FW_USER_SUSPENDED))
                continue;
            char idbuf[24];
            fw_str value = by_name ? c->params.names[i] : (fw_str){idbuf, fw_u64_to_dec(c->params.ids[i], idbuf)};
            if (!r->users[i])
                fw_problem_item_not_found(&w, param, value, param);
            else
                fw_problem_item_suspended(&w, param, value);
        }
        if (withheld)
            fw_withheld_errors(&w, &wh, r->tweets, r->ntweets, &c->ro);
        fw_jw_arr_end(&w);
    }
    fw_withheld_free(&wh);
    fw_jw_obj_end(&w);
    fw_call_cache_store(c, r->version);
    fw_call_finish(c);
}

void fw_h_users_lookup(fw_call *c)
{
    fw_users_q q = {0};
    q.opts = fw_call_read_opts(c);
    q.n = c->params.nlist;
    if (c->rt->arg == FW_LOOKUP_USERNAME)
        q.usernames = c->params.names;
    else
        q.ids = c->params.ids;
    fw_store_users(c->api->store, c->req->exec, &q, on_users_many, c);
}
