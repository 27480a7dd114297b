#!/usr/bin/python3
"""What one group commit costs on a disk (a benchmark, not a test).

An LMDB commit writes the batch's dirty pages, scattered over the database file,
and flushes them with one fdatasync; a write-ahead log would instead append a few
sequential pages and flush those. This measures both on the file system holding
--dir: for batches of N random 4 KB pages in a --size file, the median time of
the fdatasync that makes them durable, and the same for N sequential pages.
Divide a batch's follows by the flush time of its dirty pages (docs/benchmarks.md
counts ~0.7 pages per follow at 100 M edges) for the bound that the disk puts on
durable follows; on tmpfs every flush is free and the CPU is the bound.

    bench/disk-fsync.py [--dir build] [--size-mb 4096] [--rounds 5]
"""
import argparse
import os
import random
import statistics
import tempfile
import time

PAGE = 4096


def flush_ms(fd, offsets, data):
    for off in offsets:
        os.pwrite(fd, data, off)
    t = time.perf_counter()
    os.fdatasync(fd)
    return (time.perf_counter() - t) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default="build", help="directory on the disk to measure (default build)")
    ap.add_argument("--size-mb", type=int, default=4096, help="size of the scratch file (default 4096)")
    ap.add_argument("--rounds", type=int, default=5, help="flushes per batch size (default 5)")
    ap.add_argument("--batches", default="1,10,100,400,1600,6400", help="batch sizes in pages")
    a = ap.parse_args()
    if a.size_mb < 64 or a.rounds < 1:
        ap.error("--size-mb must be >= 64 and --rounds >= 1")
    try:
        batches = [int(b) for b in a.batches.split(",")]
    except ValueError:
        ap.error("--batches must be page counts separated by commas")
    npages = a.size_mb * 1024 * 1024 // PAGE
    if not batches or min(batches) < 1 or max(batches) > npages:
        ap.error("batch sizes must be between 1 and the file's page count")
    os.makedirs(a.dir, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="disk-fsync.", dir=a.dir)
    try:
        # Written out in full first: flushing never-written blocks would also
        # flush the file system's allocation, which an LMDB file that has
        # reached its size does not pay on every commit.
        chunk = b"\1" * (1 << 20)
        for off in range(0, npages * PAGE, len(chunk)):
            os.pwrite(fd, chunk, off)
        os.fsync(fd)
        page = b"x" * PAGE
        print(f"{path}: {a.size_mb} MB, median of {a.rounds} flushes")
        print(f"{'pages':>6} {'random: ms':>11} {'us/page':>8} {'sequential: ms':>15}")
        for n in batches:
            rnd = [flush_ms(fd, [p * PAGE for p in random.sample(range(npages), n)], page) for _ in range(a.rounds)]
            seq = [flush_ms(fd, [p * PAGE for p in range(n)], page) for _ in range(a.rounds)]
            m = statistics.median(rnd)
            print(f"{n:>6} {m:>11.2f} {m * 1000 / n:>8.1f} {statistics.median(seq):>15.2f}", flush=True)
    finally:
        os.close(fd)
        os.unlink(path)


if __name__ == "__main__":
    main()
