/* Edges in sequence order with bounded memory (followd export).
 *
 * The stores scan edges in (src, dst) order, and export writes them oldest
 * first. Instead of holding every edge to sort them at the end (~49 B/edge, 4.9 GB at 10^8
 * edges), edges are sorted in runs of a fixed size; full runs go to one
 * temporary file (unlinked at once, in the directory given), and the runs
 * are merged as they are read back. Memory is one run plus a small buffer per
 * run on disk, whatever the graph's size; a graph that fits in one run never
 * touches the disk. */
#ifndef FW_CLI_EDGESORT_H
#define FW_CLI_EDGESORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct fw_edgesort fw_edgesort;

/* A sorter whose runs hold run_max edges (0: the default) and spill into a
 * file made in tmpdir; NULL when out of memory. */
fw_edgesort *fw_edgesort_new(const char *tmpdir, size_t run_max);
/* Adds one edge; sequence numbers are unique. fw_err (FW_EIO: the run file
 * could not be made or written). */
FW_MUSTCHECK int fw_edgesort_add(fw_edgesort *e, uint64_t seq, uint8_t rel, uint64_t src, uint64_t dst);
/* Calls fn for every edge added, by ascending sequence number, until it
 * returns non-zero. Once only. FW_OK, an fw_err (reading the runs back), or
 * fn's non-zero return as it is. */
FW_MUSTCHECK int fw_edgesort_each(fw_edgesort *e, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst),
                                  void *ctx);
uint64_t fw_edgesort_count(const fw_edgesort *e);
void fw_edgesort_free(fw_edgesort *e);

#endif
