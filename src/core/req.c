/* Response headers of an fw_req (see req.h). */
#include "core/req.h"

const char fw_ct_json[] = "application/json; charset=utf-8";
const char fw_ct_problem[] = "application/problem+json";

void fw_problem_unavailable(fw_req *req)
{
    req->status = 503;
    req->content_type_out = fw_ct_problem;
    fw_buf_reset(&req->body_out);
    fw_buf_puts(&req->body_out, "{\n  \"title\": \"Service Unavailable\",\n  \"detail\": \"Service Unavailable\",\n"
                                "  \"type\": \"about:blank\",\n  \"status\": 503\n}");
}

void fw_req_add_header(fw_req *req, const char *name, const char *value, size_t len)
{
    if (req->nhdrs >= FW_RESP_MAX_HEADERS)
        return;
    fw_resp_hdr *h = &req->hdrs[req->nhdrs++];
    h->name = name;
    h->off = req->hdr_vals.len;
    h->len = len;
    fw_buf_append(&req->hdr_vals, value, len);
}

void fw_req_add_header_u64(fw_req *req, const char *name, uint64_t v)
{
    char tmp[24];
    size_t n = fw_u64_to_dec(v, tmp);
    fw_req_add_header(req, name, tmp, n);
}
