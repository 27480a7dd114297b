/* The throw-away LMDB directory of a unit test: removing one made with
 * mkdtemp (its data.mdb and lock.mdb, then the directory), and the common
 * fixture of a directory with a store open on it. Needs <stdio.h>,
 * <stdlib.h>, <unistd.h> and store/store.h. */
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

/* A fixture with a fresh directory /tmp/<name>_ plus mkdtemp's six random
 * characters, and no store yet; NULL if it cannot be made. */
static inline lmdb_fx *lmdb_fx_new(const char *name)
{
    lmdb_fx *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    int n = snprintf(f->dir, sizeof f->dir, "/tmp/%s_XXXXXX", name);
    if (n < 0 || (size_t)n >= sizeof f->dir || !mkdtemp(f->dir)) {
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
