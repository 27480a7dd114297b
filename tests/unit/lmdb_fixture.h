/* The throw-away LMDB directory of a unit test: removing one made with
 * mkdtemp (its data.mdb and lock.mdb, then the directory), and the common
 * fixture of a directory with a store open on it. Needs <stdio.h>,
 * <stdlib.h>, <string.h>, <unistd.h> and store/store.h. */
#ifndef FW_TEST_LMDB_FIXTURE_H
#define FW_TEST_LMDB_FIXTURE_H

static inline void lmdb_rm_dir(const char *dir)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

typedef struct lmdb_fx {
    char dir[64];
    fw_store *s;
} lmdb_fx;

/* A fixture with a fresh directory from tmpl ("/tmp/name_XXXXXX") and no
 * store yet, or NULL. */
static inline lmdb_fx *lmdb_fx_new(const char *tmpl)
{
    lmdb_fx *f = calloc(1, sizeof *f);
    if (!f || strlen(tmpl) >= sizeof f->dir) {
        free(f);
        return NULL;
    }
    strcpy(f->dir, tmpl);
    if (!mkdtemp(f->dir)) {
        free(f);
        return NULL;
    }
    return f;
}

/* cmocka teardown: closes the store, removes the directory, frees the fixture. */
static inline int lmdb_fx_teardown(void **state)
{
    lmdb_fx *f = *state;
    fw_store_close(f->s);
    lmdb_rm_dir(f->dir);
    free(f);
    return 0;
}

#endif
