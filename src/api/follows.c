/* The follow graph endpoints: followers / following / follow-request lists,
 * follow, unfollow, and answering follow requests. */
#include "api/internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lists ------------------------------------------------------------ */

/* A protected user's lists are visible to the user and its accepted followers. */
static bool list_visible(const fw_call *c, const fw_list_res *r)
{
    if (!(r->owner->flags & FW_USER_PROTECTED))
        return true;
    if (c->who.user_id == 0)
        return false;
    return c->who.user_id == r->owner->id || r->owner_rels.out == FW_REL_FOLLOWING;
}

static void put_token(fw_call *c, fw_jw *w, const char *key, uint8_t dir, uint64_t seq)
{
    char tok[FW_PAGETOK_LEN + 1];
    fw_pagetok t = {dir, seq};
    fw_pagetok_encode(c->api->secret, c->id1, c->rt->arg, &t, tok);
    fw_jw_key(w, key);
    fw_jw_strn(w, tok, FW_PAGETOK_LEN);
}

static void on_list(void *ctx, const fw_list_res *r)
{
    fw_call *c = ctx;
    if (r->rc != FW_OK && r->rc != FW_ENOTFOUND) {
        fw_problem_unavailable(c->req);
        fw_call_finish(c);
        return;
    }
    fw_jw w;
    fw_call_json(c, &w);
    fw_jw_obj_begin(&w);
    if (r->rc == FW_ENOTFOUND || (r->owner->flags & FW_USER_SUSPENDED) || !list_visible(c, r)) {
        fw_jw_key(&w, "errors");
        fw_jw_arr_begin(&w);
        if (r->rc == FW_ENOTFOUND)
            fw_problem_item_not_found(&w, "id", c->seg1, "id");
        else if (r->owner->flags & FW_USER_SUSPENDED)
            fw_problem_item_suspended(&w, "id", c->seg1);
        else
            fw_problem_item_not_authorized(&w, "id", c->seg1);
        fw_jw_arr_end(&w);
        fw_jw_obj_end(&w);
        fw_call_cache_store(c, r->version);
        fw_call_finish(c);
        return;
    }
    fw_withheld wh = FW_WITHHELD_INIT;
    if (r->n) {
        fw_jw_key(&w, "data");
        fw_jw_arr_begin(&w);
        for (size_t i = 0; i < r->n; i++) {
            const fw_rels *rels = r->rels ? &r->rels[i] : NULL;
            fw_render_user(&w, &r->users[i], rels, &c->ro);
            fw_withheld_add(&wh, &r->users[i], rels, c->who.user_id);
        }
        fw_jw_arr_end(&w);
        fw_withheld_seal(&wh);
        fw_withheld_includes(&w, &wh, r->tweets, r->ntweets, &c->ro);
        if (fw_withheld_count(&wh, r->tweets, r->ntweets)) {
            fw_jw_key(&w, "errors");
            fw_jw_arr_begin(&w);
            fw_withheld_errors(&w, &wh, r->tweets, r->ntweets, &c->ro);
            fw_jw_arr_end(&w);
        }
    }
    fw_withheld_free(&wh);
    fw_jw_key(&w, "meta");
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "result_count");
    fw_jw_int(&w, (int64_t)r->n);
    if (r->n && r->more_older)
        put_token(c, &w, "next_token", FW_PAGE_AFTER, r->seqs[r->n - 1]);
    if (r->n && r->more_newer)
        put_token(c, &w, "previous_token", FW_PAGE_BEFORE, r->seqs[0]);
    fw_jw_obj_end(&w);
    fw_jw_obj_end(&w);
    fw_call_cache_store(c, r->version);
    fw_call_finish(c);
}

void fw_h_list(fw_call *c)
{
    fw_list_q q = {0};
    q.opts = fw_call_read_opts(c);
    q.owner_id = c->id1;
    q.kind = c->rt->arg;
    q.limit = c->params.max_results ? c->params.max_results : 100;
    q.dir = FW_PAGE_FIRST;
    if (c->params.has_token) {
        fw_pagetok t;
        fw_str tok = {c->params.token, c->params.token_len};
        if (fw_pagetok_decode(c->api->secret, c->id1, q.kind, tok, &t) != 0) {
            fw_buf errs = FW_BUF_INIT;
            fw_buf msg = FW_BUF_INIT;
            fw_buf_printf(&msg, "The `pagination_token` query parameter value [%.*s] is not a valid token.",
                          (int)tok.len, tok.p);
            fw_params_add_error(&c->params, &errs, "pagination_token", tok, msg.data);
            fw_problem_invalid_request(c->req, &errs);
            fw_buf_free(&msg);
            fw_buf_free(&errs);
            fw_call_finish(c);
            return;
        }
        q.dir = t.dir;
        q.cursor = t.seq;
    }
    fw_store_list(c->api->store, c->req->exec, &q, on_list, c);
}

/* ---- writes ----------------------------------------------------------- */

static void answer_invalid(fw_call *c, const char *name, fw_str value, const char *message)
{
    fw_buf errs = FW_BUF_INIT;
    c->params.nerrors = 0;
    fw_params_add_error(&c->params, &errs, name, value, message);
    fw_problem_invalid_request(c->req, &errs);
    fw_buf_free(&errs);
    fw_call_finish(c);
}

/* Writes {"errors":[...]} for a target that does not exist or is suspended. */
static void answer_target_problem(fw_call *c, int rc, const char *param, uint64_t id)
{
    char idbuf[24];
    fw_str v = {idbuf, fw_u64_to_dec(id, idbuf)};
    fw_jw w;
    fw_call_json(c, &w);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "errors");
    fw_jw_arr_begin(&w);
    if (rc == FW_ESUSPENDED)
        fw_problem_item_suspended(&w, param, v);
    else
        fw_problem_item_not_found(&w, param, v, param);
    fw_jw_arr_end(&w);
    fw_jw_obj_end(&w);
    fw_call_finish(c);
}

/* Common store-failure handling for writes; returns true if it answered. */
static bool write_failed(fw_call *c, const fw_write_res *r, const char *target_param)
{
    switch (r->rc) {
    case FW_OK:
        return false;
    case FW_ETARGET:
    case FW_ESUSPENDED:
        answer_target_problem(c, r->rc, target_param, c->id2);
        return true;
    case FW_ENOTFOUND: /* the authenticated user vanished (deleted meanwhile) */
        fw_problem_unauthorized(c->req);
        fw_call_finish(c);
        return true;
    default:
        fw_problem_unavailable(c->req);
        fw_call_finish(c);
        return true;
    }
}

/* {"data":{"following":..[,"pending_follow":..]}} from the relationship after the write. */
static void answer_rel(void *ctx, const fw_write_res *r, bool with_pending)
{
    fw_call *c = ctx;
    c->changed = r->rc == FW_OK && r->changed;
    if (write_failed(c, r, "target_user_id"))
        return;
    fw_jw w;
    fw_call_json(c, &w);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "data");
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "following");
    fw_jw_bool(&w, r->rel == FW_REL_FOLLOWING);
    if (with_pending) {
        fw_jw_key(&w, "pending_follow");
        fw_jw_bool(&w, r->rel == FW_REL_PENDING);
    }
    fw_jw_obj_end(&w);
    fw_jw_obj_end(&w);
    fw_call_finish(c);
}

static void on_follow(void *ctx, const fw_write_res *r) { answer_rel(ctx, r, true); }
static void on_unfollow(void *ctx, const fw_write_res *r) { answer_rel(ctx, r, false); }

/* Parses {"target_user_id": "<id>"} strictly; answers 400 and returns false on any problem. */
static bool parse_follow_body(fw_call *c)
{
    fw_req *req = c->req;
    if (!fw_media_type_is(req->content_type, "application/json")) {
        answer_invalid(c, NULL, FW_STR_NULL, "Requests with bodies must have content-type of application/json.");
        return false;
    }
    json_error_t jerr;
    json_t *root = json_loadb(req->body.p ? req->body.p : "", req->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        answer_invalid(c, NULL, FW_STR_NULL, "Request body is not valid JSON.");
        return false;
    }
    bool ok = false;
    if (!json_is_object(root)) {
        answer_invalid(c, NULL, FW_STR_NULL, "Request body must be a JSON object.");
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "target_user_id") != 0) {
            char msg[320];
            snprintf(msg, sizeof msg, "The body parameter [%.200s] is not one of [target_user_id]", key);
            answer_invalid(c, key, FW_STR_NULL, msg);
            goto out;
        }
    }
    json_t *t = json_object_get(root, "target_user_id");
    if (!t) {
        answer_invalid(c, "target_user_id", FW_STR_NULL, "The `target_user_id` body parameter is missing.");
        goto out;
    }
    fw_str v = FW_STR_NULL;
    char *dumped = NULL;
    if (json_is_string(t))
        v = (fw_str){json_string_value(t), json_string_length(t)};
    else if ((dumped = json_dumps(t, JSON_ENCODE_ANY | JSON_COMPACT)))
        v = fw_str_c(dumped);
    if (!json_is_string(t) || fw_str_to_id(v, &c->id2) != 0) {
        char msg[320];
        snprintf(msg, sizeof msg, "The `target_user_id` body parameter value [%.*s] does not match ^[0-9]{1,19}$",
                 (int)(v.len > 200 ? 200 : v.len), v.p ? v.p : "");
        answer_invalid(c, "target_user_id", v, msg);
        free(dumped);
        goto out;
    }
    free(dumped);
    ok = true;
out:
    json_decref(root);
    return ok;
}

void fw_h_follow(fw_call *c)
{
    if (!parse_follow_body(c))
        return;
    if (c->id2 == c->id1) {
        char idbuf[24];
        answer_invalid(c, "target_user_id", (fw_str){idbuf, fw_u64_to_dec(c->id2, idbuf)},
                       "You cannot follow yourself.");
        return;
    }
    fw_store_write(c->api->store, c->req->exec, FW_W_FOLLOW, c->id1, c->id2, on_follow, c);
}

void fw_h_unfollow(fw_call *c)
{
    if (c->id2 == c->id1) {
        answer_invalid(c, "target_user_id", c->seg2, "You cannot unfollow yourself.");
        return;
    }
    fw_store_write(c->api->store, c->req->exec, FW_W_UNFOLLOW, c->id1, c->id2, on_unfollow, c);
}

static void on_answer(void *ctx, const fw_write_res *r)
{
    fw_call *c = ctx;
    if (write_failed(c, r, "requester_id"))
        return;
    bool accept = c->rt->arg == FW_W_ACCEPT;
    fw_jw w;
    fw_call_json(c, &w);
    fw_jw_obj_begin(&w);
    if (!r->changed) {
        /* No pending request from this user: never made, withdrawn or already
         * answered. Reported like a missing resource so clients can tell. */
        fw_jw_key(&w, "errors");
        fw_jw_arr_begin(&w);
        fw_problem_item_missing(&w, "requester_id", c->seg2, "Could not find a pending follow request from user: [",
                                "follow_request");
        fw_jw_arr_end(&w);
    } else {
        fw_jw_key(&w, "data");
        fw_jw_obj_begin(&w);
        fw_jw_key(&w, accept ? "accepted" : "declined");
        fw_jw_bool(&w, true);
        fw_jw_obj_end(&w);
    }
    fw_jw_obj_end(&w);
    fw_call_finish(c);
}

void fw_h_request_answer(fw_call *c)
{
    uint8_t kind = c->rt->arg;
    if (c->id2 == c->id1) { /* a client error, decided before the store is asked */
        answer_invalid(c, "requester_id", c->seg2,
                       kind == FW_W_ACCEPT ? "You cannot accept a follow request from yourself."
                                           : "You cannot decline a follow request from yourself.");
        return;
    }
    fw_store_write(c->api->store, c->req->exec, kind, c->id1, c->id2, on_answer, c);
}
