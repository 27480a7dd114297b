/* X's error bodies; see problem.h. Key orders follow recorded responses
 * (docs/api.md cites each one). */
#include "api/problem.h"

#include <stdio.h>
#include <string.h>

#define PT(x) "https://api.twitter.com/2/problems/" x

static void set_body(fw_req *req, int status, const char *ct, const char *body)
{
    req->status = status;
    req->content_type_out = ct;
    fw_buf_reset(&req->body_out);
    fw_buf_puts(&req->body_out, body);
}

void fw_problem_unauthorized(fw_req *req)
{
    set_body(req, 401, fw_ct_problem,
             "{\n  \"title\": \"Unauthorized\",\n  \"type\": \"about:blank\",\n  \"status\": 401,\n"
             "  \"detail\": \"Unauthorized\"\n}");
}

void fw_problem_forbidden(fw_req *req)
{
    set_body(req, 403, fw_ct_problem,
             "{\n  \"title\": \"Forbidden\",\n  \"type\": \"about:blank\",\n  \"status\": 403,\n"
             "  \"detail\": \"Forbidden\"\n}");
}

void fw_problem_unsupported_auth(fw_req *req)
{
    set_body(req, 403, fw_ct_problem,
             "{\n  \"title\": \"Unsupported Authentication\",\n  \"detail\": \"Authenticating with OAuth 2.0 "
             "Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User "
             "Context, OAuth 2.0 User Context].\",\n  \"type\": \"" PT("unsupported-authentication") "\",\n"
             "  \"status\": 403\n}");
}

void fw_problem_user_suspended(fw_req *req)
{
    set_body(req, 403, fw_ct_problem,
             "{\n  \"detail\": \"The user used for authentication is suspended\",\n  \"title\": \"Forbidden\",\n"
             "  \"status\": 403,\n  \"type\": \"" PT("user-suspended") "\"\n}");
}

/* PLhery/node-twitter-api-v2#493 (2023): a read-only OAuth 1.0a token on a v2
 * write endpoint; key order as recorded, layout like the other auth-layer
 * problems (pretty-printed, INF). */
void fw_problem_oauth1_permissions(fw_req *req)
{
    set_body(req, 403, fw_ct_problem,
             "{\n  \"title\": \"Forbidden\",\n  \"status\": 403,\n  \"detail\": \"Your client app is not configured with the "
             "appropriate oauth1 app permissions for this endpoint.\",\n  \"type\": \"" PT("oauth1-permissions") "\"\n}");
}

void fw_problem_too_many(fw_req *req)
{
    set_body(req, 429, fw_ct_problem,
             "{\n  \"title\": \"Too Many Requests\",\n  \"detail\": \"Too Many Requests\",\n"
             "  \"type\": \"about:blank\",\n  \"status\": 429\n}");
}

void fw_problem_client_forbidden(fw_req *req, uint64_t app_id, const char *required_enrollment, int standalone)
{
    req->status = 403;
    req->content_type_out = fw_ct_problem;
    fw_buf_reset(&req->body_out);
    fw_jw w;
    fw_jw_init(&w, &req->body_out, false);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "client_id");
    fw_jw_id(&w, app_id);
    fw_jw_key(&w, "detail");
    fw_jw_str(&w, standalone
                      ? "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
                        "from a Twitter developer App that is attached to a Project. You can create a project via "
                        "the developer portal."
                      : "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
                        "from a Twitter developer App that is attached to a Project with the appropriate level of "
                        "API access.");
    fw_jw_key(&w, "registration_url");
    fw_jw_str(&w, "https://developer.twitter.com/en/docs/projects/overview");
    fw_jw_key(&w, "title");
    fw_jw_str(&w, "Client Forbidden");
    fw_jw_key(&w, "required_enrollment");
    fw_jw_str(&w, required_enrollment);
    fw_jw_key(&w, "reason");
    fw_jw_str(&w, "client-not-enrolled");
    fw_jw_key(&w, "type");
    fw_jw_str(&w, PT("client-forbidden"));
    fw_jw_obj_end(&w);
}

void fw_problem_not_found_route(fw_req *req)
{
    set_body(req, 404, fw_ct_json, "{\"errors\":[{\"message\":\"Sorry, that page does not exist\",\"code\":34}]}");
}

void fw_problem_invalid_request(fw_req *req, const fw_buf *items)
{
    req->status = 400;
    req->content_type_out = fw_ct_json;
    fw_buf *b = &req->body_out;
    fw_buf_reset(b);
    fw_buf_puts(b, "{\"errors\":[");
    fw_buf_append(b, items->data, items->len);
    fw_buf_puts(b, "],\"title\":\"Invalid Request\",\"detail\":\"One or more parameters to your request was "
                   "invalid.\",\"type\":\"" PT("invalid-request") "\"}");
}

static void detail_with(fw_jw *w, const char *prefix, fw_str value, const char *suffix)
{
    fw_buf d = FW_BUF_INIT;
    fw_buf_printf(&d, "%s%.*s%s", prefix, (int)value.len, value.p, suffix);
    fw_jw_key(w, "detail");
    fw_jw_strn(w, d.data, d.len);
    fw_buf_free(&d);
}

void fw_problem_item_missing(fw_jw *w, const char *parameter, fw_str value, const char *detail_prefix,
                             const char *resource_type)
{
    fw_jw_obj_begin(w);
    fw_jw_key(w, "value");
    fw_jw_strn(w, value.p, value.len);
    detail_with(w, detail_prefix, value, "].");
    fw_jw_key(w, "title");
    fw_jw_str(w, "Not Found Error");
    fw_jw_key(w, "resource_type");
    fw_jw_str(w, resource_type);
    fw_jw_key(w, "parameter");
    fw_jw_str(w, parameter);
    fw_jw_key(w, "resource_id");
    fw_jw_strn(w, value.p, value.len);
    fw_jw_key(w, "type");
    fw_jw_str(w, PT("resource-not-found"));
    fw_jw_obj_end(w);
}

void fw_problem_item_not_found(fw_jw *w, const char *parameter, fw_str value, const char *noun)
{
    char pre[96];
    snprintf(pre, sizeof pre, "Could not find user with %s: [", noun);
    fw_problem_item_missing(w, parameter, value, pre, "user");
}

void fw_problem_item_suspended(fw_jw *w, const char *parameter, fw_str value)
{
    fw_jw_obj_begin(w);
    fw_jw_key(w, "parameter");
    fw_jw_str(w, parameter);
    fw_jw_key(w, "resource_id");
    fw_jw_strn(w, value.p, value.len);
    fw_jw_key(w, "value");
    fw_jw_strn(w, value.p, value.len);
    detail_with(w, "User has been suspended: [", value, "].");
    fw_jw_key(w, "title");
    fw_jw_str(w, "Forbidden");
    fw_jw_key(w, "resource_type");
    fw_jw_str(w, "user");
    fw_jw_key(w, "type");
    fw_jw_str(w, PT("resource-not-found"));
    fw_jw_obj_end(w);
}

/* X's not-authorized-for-resource item; detail names the resource as X does
 * ("the user with id", "the Tweet with pinned_tweet_id"). */
static void not_authorized(fw_jw *w, const char *parameter, fw_str value, const char *noun,
                           const char *resource_type, const char *section)
{
    char pre[128];
    snprintf(pre, sizeof pre, "Sorry, you are not authorized to see the %s with %s: [", noun, parameter);
    fw_jw_obj_begin(w);
    detail_with(w, pre, value, "].");
    fw_jw_key(w, "parameter");
    fw_jw_str(w, parameter);
    fw_jw_key(w, "resource_id");
    fw_jw_strn(w, value.p, value.len);
    fw_jw_key(w, "resource_type");
    fw_jw_str(w, resource_type);
    fw_jw_key(w, "section");
    fw_jw_str(w, section);
    fw_jw_key(w, "title");
    fw_jw_str(w, "Authorization Error");
    fw_jw_key(w, "type");
    fw_jw_str(w, PT("not-authorized-for-resource"));
    fw_jw_key(w, "value");
    fw_jw_strn(w, value.p, value.len);
    fw_jw_obj_end(w);
}

void fw_problem_item_not_authorized(fw_jw *w, const char *parameter, fw_str value)
{
    not_authorized(w, parameter, value, "user", "user", "data");
}

void fw_problem_item_post_not_authorized(fw_jw *w, const char *parameter, fw_str value)
{
    not_authorized(w, parameter, value, "Tweet", "tweet", "includes");
}
