/* One pending-table operation for an OAuth request, in this process's table
 * or in the store every node shares; see oauth_internal.h (fw_oa_pend). */
#include "oauth/oauth_internal.h"

#include <string.h>

#include "core/clock.h"
#include "store/store.h"

static void landed(void *ctx, const fw_ephem_res *res)
{
    fw_oa_ctx *x = ctx;
    fw_oa_pend_state *p = &x->pend;
    p->rc = res->rc;
    if (res->rc == FW_OK && res->val) {
        if (res->len > sizeof p->val) {
            p->rc = FW_ENOTFOUND; /* no record of ours is that long */
            p->len = 0;
        } else {
            memcpy(p->val, res->val, res->len);
            p->len = res->len;
        }
    }
    p->next(x);
}

static int local(fw_oa_ctx *x, uint8_t op, uint8_t kind, uint64_t owner, int64_t ttl_ms)
{
    fw_oa_pend_state *p = &x->pend;
    fw_pending *t = fw_oa_pending(x);
    fw_str key = {p->key, p->keylen};
    int64_t now = fw_now_ms();
    switch (op) {
    case FW_EPH_PUT: return fw_pending_put(t, kind, owner, key, p->val, p->len, ttl_ms, now);
    case FW_EPH_ADD: return fw_pending_add(t, kind, owner, key, p->val, p->len, ttl_ms, now);
    case FW_EPH_GET: return fw_pending_get(t, kind, key, p->val, sizeof p->val, &p->len, now);
    case FW_EPH_TAKE: return fw_pending_take(t, kind, key, p->val, sizeof p->val, &p->len, now);
    default: return FW_EINVAL;
    }
}

void fw_oa_pend(fw_oa_ctx *x, uint8_t op, uint8_t kind, uint64_t owner, fw_str key, const void *val, size_t len,
                int64_t ttl_ms, fw_oa_step next)
{
    fw_oa_pend_state *p = &x->pend;
    bool ins = op == FW_EPH_PUT || op == FW_EPH_ADD;
    p->next = next;
    p->len = 0;
    if (!key.p || !key.len || key.len > FW_PENDING_MAX_KEY || (ins && len > sizeof p->val)) {
        p->rc = FW_EINVAL;
        next(x);
        return;
    }
    if (ins) {
        memmove(p->val, val, len);
        p->len = len;
    }
    memmove(p->key, key.p, key.len);
    p->key[key.len] = 0;
    p->keylen = key.len;
    fw_store *st = fw_oa_store(x);
    if (!fw_store_shares_state(st)) {
        p->rc = local(x, op, kind, owner, ttl_ms);
        next(x);
        return;
    }
    fw_pending_limit lim = fw_oa_pending_limit(x, kind);
    fw_ephem_q q = {.op = op,
                    .kind = kind,
                    .owner = owner,
                    .key = {p->key, p->keylen},
                    .val = p->val,
                    .len = ins ? p->len : 0,
                    .ttl_ms = ttl_ms,
                    .now_ms = fw_now_ms(),
                    .max = (uint32_t)lim.max,
                    .per_owner = (uint32_t)lim.per_owner,
                    .evict = lim.evict};
    fw_store_ephem(st, x->req->exec, &q, landed, x);
}
