#!/usr/bin/python3
"""Writes the graph of bench/workload.sh as Redis commands (RESP, for `redis-cli --pipe`): the same users,
followers lists and Zipf ranking PostgreSQL gets, in the layout Redis is best at for this page.

  redis_load.py OUT_DIR users|followers > commands.resp

  users      u:<id>   string "username<TAB>name"; rk hash rank -> id (the shared Zipf ranking)
  followers  fo:<dst> sorted set, member follower id, score the edge's sequence number (newest = highest)

The page is then one Lua call (bench/redis_page.lua): ZREVRANGE of 100 followers and one MGET of their users
(one string per user, so the join is a single command rather than 100 HMGETs: Redis's best form of it).
"""
import csv
import os
import sys


def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(parts)


def main():
    out, what = sys.argv[1], sys.argv[2]
    w = sys.stdout.buffer
    if what == "users":
        with open(os.path.join(out, "pg_users.csv"), newline="") as f:
            for uid, username, name in csv.reader(f):
                w.write(cmd("SET", "u:" + uid, username + "\t" + name))
        with open(os.path.join(out, "pg_ranks.csv"), newline="") as f:
            for rank, uid in csv.reader(f):
                w.write(cmd("HSET", "rk", rank, uid))
    else:
        with open(os.path.join(out, "pg_followers.csv"), newline="") as f:
            for dst, seq, src in csv.reader(f):
                w.write(cmd("ZADD", "fo:%d" % int(dst), int(seq), int(src)))  # workload_prep pads numbers


main()
