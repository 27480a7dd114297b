/* fw_arena: many small allocations freed together (import's parsed chunks:
 * decoded strings and entities of a few thousand users per chunk, where a
 * malloc and free per field cost more than the parse). Blocks never move, so
 * a pointer stays valid until fw_arena_free. */
#ifndef FW_CORE_ARENA_H
#define FW_CORE_ARENA_H

#include <stddef.h>

typedef struct fw_arena_block fw_arena_block;

typedef struct fw_arena {
    fw_arena_block *head; /* newest block first */
    char *p, *end;        /* free space in head */
} fw_arena;

#define FW_ARENA_INIT {NULL, NULL, NULL}

/* n bytes (aligned for any type), or NULL when out of memory. */
void *fw_arena_alloc(fw_arena *a, size_t n);
/* A copy of n bytes, or NULL when out of memory (n = 0 gives a valid pointer). */
char *fw_arena_dup(fw_arena *a, const void *p, size_t n);
void fw_arena_free(fw_arena *a);

#endif
