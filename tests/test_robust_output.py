"""Issue 12, case 5: a solution directory is written whole or not at all; --out problems are found
before solving; inputs are never overwritten; `template` does not replace a file without --force."""

import json
import resource
import shutil
import subprocess
import sys

import pytest

from conftest import DATA, ROOT, run_cli

WILLIAMS = DATA / "williams_decentralization.yaml"
PROVINCES = ROOT / "instances" / "yrd-provinces.yaml"


def cli(*args, limit_file_bytes=None, timeout=300):
    if limit_file_bytes is None:
        return run_cli(*args)

    def limit():
        if limit_file_bytes:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    return subprocess.run([sys.executable, "-m", "yrdopt.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit)


def snapshot(d):
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_a_failed_write_leaves_the_earlier_solution_whole(tmp_path):
    out = tmp_path / "out"
    assert cli("solve", WILLIAMS, "--out", out, "-q").returncode == 0
    before = snapshot(out)
    # a full disk, for real: files above 40 kB cannot be written (the province instance.json is larger,
    # its layout.csv is not, so a file-by-file writer would leave a mix of the two solves)
    res = cli("solve", PROVINCES, "--out", out, "-q", limit_file_bytes=40_000)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "could not write" in res.stderr and "unchanged" in res.stderr
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary directory left behind


def test_a_new_solution_replaces_every_file_of_the_earlier_one(tmp_path):
    out = tmp_path / "out"
    assert cli("solve", WILLIAMS, "--out", out, "-q").returncode == 0
    (out / "prices.csv").write_text("stale\n")  # derived from the earlier layout
    assert cli("solve", DATA / "toy_features.yaml", "--out", out, "-q").returncode == 0
    assert not (out / "prices.csv").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["instance"]["name"] == json.loads((out / "instance.json").read_text())["name"] != "williams-decentralization"


def test_out_that_is_a_file_is_refused_before_solving(tmp_path):
    f = tmp_path / "taken"
    f.write_text("mine")
    res = cli("solve", WILLIAMS, "--out", f)
    assert res.returncode == 2 and "--out" in res.stderr and "existing file" in res.stderr
    assert "status:" not in res.stdout and f.read_text() == "mine"


def test_out_with_other_files_is_refused_before_solving(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    res = cli("solve", WILLIAMS, "--out", tmp_path)
    assert res.returncode == 2 and "notes.txt" in res.stderr and "status:" not in res.stdout
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_instance_inside_out_is_never_overwritten(tmp_path):
    out = tmp_path / "sol"
    assert cli("solve", WILLIAMS, "--out", out, "-q").returncode == 0
    before = snapshot(out)
    res = cli("solve", out / "instance.json", "--out", out)
    assert res.returncode == 2 and "input" in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert snapshot(out) == before


@pytest.fixture
def immutable_dir(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode:
        pytest.skip("chattr +i not available here")
    yield d
    subprocess.run(["chattr", "-i", str(d)])


def test_out_in_a_read_only_directory_is_refused_before_solving(immutable_dir):
    res = cli("solve", WILLIAMS, "--out", immutable_dir / "sol")
    assert res.returncode == 2 and "writable" in res.stderr and "status:" not in res.stdout, res.stderr
    res = cli("solve", WILLIAMS, "--out", immutable_dir)
    assert res.returncode == 2 and "writable" in res.stderr and "status:" not in res.stdout, res.stderr


def test_template_does_not_replace_a_workbook_without_force(tmp_path):
    book = tmp_path / "book.xlsx"
    assert cli("template", book, "--from", WILLIAMS).returncode == 0
    filled = book.read_bytes()
    res = cli("template", book)
    assert res.returncode == 2 and "--force" in res.stderr
    assert book.read_bytes() == filled
    assert cli("template", book, "--force").returncode == 0 and book.read_bytes() != filled


@pytest.mark.parametrize("command", [["alternatives", WILLIAMS, "-n", "2"], ["pareto", WILLIAMS],
                                     ["lexicographic", WILLIAMS, "site_cost", "distance"]])
def test_planning_commands_refuse_an_out_that_is_a_file_before_solving(tmp_path, command):
    f = tmp_path / "taken"
    f.write_text("mine")
    res = cli(*command, "--out", f)
    assert res.returncode == 2 and "existing file" in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert f.read_text() == "mine"


def test_temporary_directories_of_a_killed_writer_are_removed(tmp_path):
    out = tmp_path / "out"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()  # a pid that has exited
    stale = tmp_path / f".out.tmp-{dead}-abcd1234"
    stale.mkdir()
    (stale / "layout.csv").write_text("half")
    assert cli("solve", WILLIAMS, "--out", out, "-q").returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
