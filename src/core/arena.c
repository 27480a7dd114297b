/* Bump allocation in blocks; see arena.h. */
#include "core/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (64u << 10)

struct fw_arena_block {
    fw_arena_block *next;
    alignas(max_align_t) char data[];
};

void *fw_arena_alloc(fw_arena *a, size_t n)
{
    const size_t al = alignof(max_align_t);
    n = (n + al - 1) & ~(al - 1);
    if ((size_t)(a->end - a->p) < n || !a->p) {
        /* An allocation larger than a block gets a block of its own. */
        size_t size = n > BLOCK ? n : BLOCK;
        fw_arena_block *b = malloc(sizeof(*b) + size);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
        a->p = b->data;
        a->end = b->data + size;
    }
    void *r = a->p;
    a->p += n;
    return r;
}

char *fw_arena_dup(fw_arena *a, const void *p, size_t n)
{
    char *d = fw_arena_alloc(a, n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

void fw_arena_free(fw_arena *a)
{
    for (fw_arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    *a = (fw_arena)FW_ARENA_INIT;
}
