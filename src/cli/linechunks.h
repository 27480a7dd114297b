/* Parsing a large line-oriented file on several threads while the caller's
 * thread consumes the results in file order (import's users, tweets, follows).
 *
 * The file is mapped and cut into chunks at line ends; worker threads run
 * parse on chunks as they come (at most a few ahead of the consumer, so memory
 * stays bounded), and the caller's thread runs consume on each chunk in file
 * order, with the line number its first line has in the file. Line numbers are
 * therefore exact even though workers never know them, and a consumer that
 * stops at the first bad line sees every earlier line first. */
#ifndef FW_CLI_LINECHUNKS_H
#define FW_CLI_LINECHUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fw_chunk {
    const char *p, *end; /* whole lines; the last may lack its line ending */
    uint64_t first_line; /* file line number of the first line (set before consume) */
    uint64_t end_off;    /* file offset just past the chunk */
    uint64_t file_size;
    size_t index; /* 0 for the chunk that starts the file */
    void *out;    /* parse's result for consume and done (owned by them) */
} fw_chunk;

/* Next line of c from *pos (start at c->p) without its "\n" or "\r\n";
 * false at the chunk's end. *lineno counts the lines seen (from 0). */
bool fw_chunk_line(const fw_chunk *c, const char **pos, const char **line, size_t *len, uint64_t *lineno);

typedef struct fw_chunk_ops {
    void (*parse)(void *ctx, fw_chunk *c);  /* worker thread; sets c->out */
    int (*consume)(void *ctx, fw_chunk *c); /* caller's thread, file order; non-zero stops */
    void (*done)(void *ctx, fw_chunk *c);   /* frees c->out (any thread, after consume or unconsumed) */
} fw_chunk_ops;

/* Runs ops over path in chunks of about chunk_bytes (0 = default; the
 * FOLLOWD_IMPORT_CHUNK environment variable overrides both, for tests of chunk
 * boundaries). Returns 0, consume's first non-zero result, or -1 after
 * reporting a file that cannot be read. *size gets the file's size. */
int fw_chunks_run(const char *path, size_t chunk_bytes, const fw_chunk_ops *ops, void *ctx, uint64_t *size);

#endif
