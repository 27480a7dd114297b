"""bench/disk-fsync.py, the group-commit cost of a disk (docs/benchmarks.md): it prints one row per batch
size with a flush time for random and for sequential pages, leaves no scratch file behind, and refuses
arguments it cannot honour. The figures themselves are the machine's, not asserted."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "bench", "disk-fsync.py")
ROW = re.compile(r"^\s*(\d+)\s+(\d+\.\d\d)\s+(\d+\.\d)\s+(\d+\.\d\d)$")


def run(*args):
    return subprocess.run(["/usr/bin/python3", TOOL, *args], capture_output=True, text=True, timeout=120)


def test_one_row_per_batch_and_no_scratch_file_left(tmp_path):
    r = run("--dir", str(tmp_path), "--size-mb", "64", "--rounds", "2", "--batches", "1,8,64")
    assert r.returncode == 0, r.stderr
    rows = [m.groups() for m in map(ROW.match, r.stdout.splitlines()) if m]
    assert [int(row[0]) for row in rows] == [1, 8, 64], r.stdout
    for pages, rnd, per_page, seq in rows:
        # the flush time is printed to 0.01 ms, the time per page to 0.1 us: they agree within those roundings
        assert abs(float(rnd) * 1000 / int(pages) - float(per_page)) <= 5 / int(pages) + 0.05
    assert os.listdir(tmp_path) == []


def test_bad_arguments_are_refused(tmp_path):
    for args in (["--size-mb", "1"], ["--rounds", "0"], ["--batches", "0"], ["--batches", "99999999"],
                 ["--batches", "1,x"]):
        r = run("--dir", str(tmp_path), *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "error" in r.stderr
    assert os.listdir(tmp_path) == []
