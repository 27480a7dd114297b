/* Removing the throw-away LMDB directory a unit test made with mkdtemp (its
 * data.mdb and lock.mdb, then the directory). Needs <stdio.h> and <unistd.h>. */
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

#endif
