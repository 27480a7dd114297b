/* Lease arithmetic; see lease.h. */
#include "limits/lease.h"

bool fw_lease_usable(const fw_lease *l, int64_t now_ms)
{
    return l->units > 0 && now_ms < l->use_until_ms && now_ms < l->window_end_ms;
}

void fw_lease_spend(fw_lease *l, int64_t now_ms)
{
    l->units--;
    l->spent++;
    l->last_use_ms = now_ms;
}

bool fw_lease_refund(fw_lease *l, int64_t window_end_ms)
{
    if (!l->window_end_ms || l->window_end_ms != window_end_ms)
        return false;
    l->units++;
    l->spent--;
    return true;
}

uint32_t fw_lease_remaining(const fw_lease *l)
{
    uint64_t r = (uint64_t)l->rest + l->units;
    return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

uint32_t fw_lease_want(const fw_lease *l, uint32_t limit)
{
    if (!l->window_end_ms)
        return limit / 4 ? limit / 4 : 1;
    uint64_t free_units = (uint64_t)l->rest + l->units;
    uint64_t nodes = l->nodes ? l->nodes : 1;
    uint64_t k = free_units / (4 * nodes);
    return k ? (uint32_t)(k > limit ? limit : k) : 1;
}

bool fw_lease_due(const fw_lease *l, int64_t now_ms, int64_t idle_ms)
{
    if (!l->units && !l->spent)
        return false;
    return now_ms >= l->use_until_ms || now_ms >= l->window_end_ms || now_ms - l->last_use_ms >= idle_ms;
}

void fw_lease_begin(fw_lease *l, int32_t *spent)
{
    *spent = l->spent;
    l->units = 0;
}

void fw_lease_granted(fw_lease *l, const fw_lease_res *r, int32_t spent, int64_t now_ms, int64_t use_ms)
{
    l->spent -= spent;
    bool same = r->window_end_ms && r->window_end_ms == l->window_end_ms;
    l->window_end_ms = r->window_end_ms;
    l->units = r->window_end_ms ? r->granted + (same ? l->units : 0) : 0;
    if (!r->window_end_ms)
        l->spent = 0; /* the window is over: nothing left to report */
    l->rest = r->rest;
    l->others = r->others;
    l->nodes = r->nodes ? r->nodes : 1;
    l->use_until_ms = now_ms + use_ms;
    l->last_use_ms = now_ms;
}
