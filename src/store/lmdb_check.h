/* Private to lmdb_check.c and lmdb_check_edges.c: the state of one
 * fw_lmdb_check run (lmdb_check.c says how it works and what it holds). The
 * arrays and vectors are owned by the run and freed at its end. */
#ifndef FW_STORE_LMDB_CHECK_H
#define FW_STORE_LMDB_CHECK_H

#include "store/lmdb_internal.h"

/* What step 1 learnt about an ordinal below N. */
enum {
    U_READABLE = 1, /* its record unpacks */
    U_ID = 2,       /* its record's id can be read (fw_lmdb_ord_id) */
    U_PROTECTED = 4,
    U_NAME_VALID = 8,    /* its username has a lower-cased key */
    U_NAME_INDEXED = 16, /* unames maps that key to this ordinal */
    U_UID = 32,          /* uid maps its id to this ordinal */
    U_FOLLOWERS = 64     /* fol_in has its key: followers_count checked there */
};

/* One copy of an edge seen from its source (lmdb_check_edges.c), and a vector of them. */
typedef struct fw_chk_edge {
    uint64_t seq;
    uint32_t dst;
    uint32_t kind;
} fw_chk_edge;

typedef struct fw_chk_edges {
    fw_chk_edge *e;
    size_t n, cap;
} fw_chk_edges;

typedef struct fw_chk {
    fw_store *s;
    MDB_txn *txn;
    void (*report)(void *ctx, const char *line);
    void *ctx;
    int problems;
    uint64_t max_seq;           /* largest edge sequence number in the index */
    uint32_t next_ord;          /* meta next_ord */
    uint32_t n;                 /* N: ordinals with a slot in the arrays */
    uint8_t *flags;             /* U_* */
    uint64_t *id;               /* with U_ID */
    uint32_t *rec_in, *rec_out; /* the record's counters, UINT32_MAX for any larger */
    uint32_t *src_n;            /* fol_in + rq_in entries from the source; bucket ends in step 3 */
    fw_chk_edges bucket, pair;  /* one range's bucket; one source's copies */
} fw_chk;

/* Reports one problem line (and counts it). */
__attribute__((format(printf, 2, 3))) void fw_chk_problem(fw_chk *c, const char *fmt, ...);
/* Whether ordinal ord has a readable record; its id (0 if not) and protected
 * flag. From the arrays below N, by lookup past them. */
bool fw_chk_user_at(fw_chk *c, uint32_t ord, uint64_t *id, bool *prot);
/* The id the record of ord carries, for messages (0 if none): fw_lmdb_ord_id. */
uint64_t fw_chk_id_of(fw_chk *c, uint32_t ord);
/* Opens a cursor on db and positions it with op at owner's key (with *val for
 * MDB_GET_BOTH; *val receives the duplicate found): returns 0 or the open's
 * LMDB code; on 0 *cur is open (the caller closes it) and *pos is the
 * positioning's result (0 or MDB_NOTFOUND, or an LMDB error). */
int fw_chk_seek(fw_chk *c, int db, uint32_t owner, MDB_val *val, MDB_cursor_op op, MDB_cursor **cur, int *pos);
/* Checks readable user ord's followers_count (followers) or following_count
 * against its list length n; 0 or an LMDB code. */
int fw_chk_count(fw_chk *c, uint32_t ord, bool followers, size_t n);
/* Step 2 for db (DB_FOLLOWERS or DB_REQ_IN); 0 or an LMDB code. */
int fw_chk_lists_in(fw_chk *c, int db);
/* Step 3 with budget bytes per range; *ranges counts the ranges that walked
 * fol_in and rq_in. 0 or an LMDB code (ENOMEM). */
int fw_chk_pairs(fw_chk *c, size_t budget, unsigned *ranges);

#endif
