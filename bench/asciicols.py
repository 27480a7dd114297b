"""Fixed-width ASCII columns of numpy integer arrays, shared by bench/gen-graph.py and bench/workload_prep.py:
writing 100 M CSV lines one Python string at a time takes an hour, one byte array per chunk seconds."""
import numpy as np


def ascii_digits(v, width):
    """The decimal digits of the non-negative int64 array v, zero-padded to width, as a (len, width) uint8 array."""
    out = np.empty((len(v), width), np.uint8)
    x = v.copy()
    for j in range(width - 1, -1, -1):
        out[:, j] = x % 10 + 48
        x //= 10
    return out
