/* Request objects: a per-thread free list, so the steady state allocates
 * nothing here (buffers keep their capacity). */
#include "http/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FREE_LIST_MAX 1024        /* idle fw_req objects kept per thread */
#define KEEP_BUF_MAX (256 * 1024) /* larger response buffers are released on recycle */


http_req *fw_http_req_get(struct thread *t)
{
    http_req *hr = t->free_list;
    if (hr) {
        t->free_list = hr->next_free;
        t->nfree--;
    } else {
        hr = calloc(1, sizeof *hr);
        if (!hr) {
            fputs("followd: out of memory\n", stderr);
            abort();
        }
        hr->thr = t;
    }
    t->live++;
    hr->next_free = NULL;
    return hr;
}

static void hr_free_bufs(http_req *hr)
{
    fw_buf_free(&hr->in);
    fw_buf_free(&hr->r.body_out);
    fw_buf_free(&hr->r.hdr_vals);
}

void fw_http_req_put(http_req *hr)
{
    struct thread *t = hr->thr;
    t->live--;
    if (t->nfree >= FREE_LIST_MAX) {
        hr_free_bufs(hr);
        free(hr);
        return;
    }
    /* keep ordinary buffers, drop the occasional huge one */
    fw_buf in = hr->in, body = hr->r.body_out, hv = hr->r.hdr_vals;
    if (in.cap > KEEP_BUF_MAX)
        fw_buf_free(&in);
    if (body.cap > KEEP_BUF_MAX)
        fw_buf_free(&body);
    if (hv.cap > KEEP_BUF_MAX)
        fw_buf_free(&hv);
    fw_buf_reset(&in);
    fw_buf_reset(&body);
    fw_buf_reset(&hv);
    memset(hr, 0, sizeof *hr);
    hr->thr = t;
    hr->state = HR_FREE;
    hr->in = in;
    hr->r.body_out = body;
    hr->r.hdr_vals = hv;
    hr->next_free = t->free_list;
    t->free_list = hr;
    t->nfree++;
}

void fw_http_req_pool_free(struct thread *t)
{
    while (t->free_list) {
        http_req *hr = t->free_list;
        t->free_list = hr->next_free;
        hr_free_bufs(hr);
        free(hr);
    }
}
