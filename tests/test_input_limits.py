"""Issue 12, case 6: input is bounded — nesting depth, YAML alias expansion, file size and number of
values are refused at once with a clear message (never a RecursionError, minutes or gigabytes).
Each case runs in a child process limited to 1 GB of address space and must be refused within 10 s of
CPU time (the child's own; wall time on a loaded shared machine measures the other jobs too)."""

import json
import resource

import pytest

from conftest import DATA, run_child_cpu

LIMIT_BYTES = 2**30


def validate(path):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))

    return run_child_cpu(["validate", str(path)], timeout=60, preexec_fn=limit)


def alias_bomb(levels=12, fan=10):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan)}]")
    lines.append(f"name: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def merge_bomb(levels=12, fan=10):
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: {j}" for j in range(fan)) + "}"]
    for i in range(1, levels):
        lines.append(f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * fan)}], own{i}: 1}}")
    return "\n".join(lines) + "\n"


CASES = {
    "deep JSON": ("i.json", "[" * 100_000 + "]" * 100_000, "nested"),
    "deep YAML flow": ("i.yaml", "x: " + "[" * 100_000 + "]" * 100_000, "nested"),
    "deep YAML block": ("i.yaml", "".join(" " * i + "- \n" for i in range(0, 3000, 1)), "nested"),
    "deep YAML dashes": ("i.yaml", "- " * 50_000 + "1\n", "nested"),
    "alias bomb": ("i.yaml", alias_bomb(), "values"),
    "merge bomb": ("i.yaml", merge_bomb(), "no such field"),  # PyYAML 6 merges each key once
    "self-referencing alias": ("i.yaml", "a: &a [1, *a]\nname: x\n", "contains itself"),
    "1 MB string aliased 1000x": ("i.yaml", "s: &s " + "x" * 2**20 + "\nname: [" + ", ".join(["*s"] * 1000) + "]\n",
                                  "text"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bombs_and_deep_nesting_are_refused_fast(tmp_path, name):
    fname, text, fragment = CASES[name]
    f = tmp_path / fname
    f.write_text(text)
    res, took = validate(f)
    assert res.returncode == 2, res.stderr[-2000:]
    assert "Traceback" not in res.stderr and "RecursionError" not in res.stderr
    assert fragment in res.stderr and str(f) in res.stderr.replace("\n", ""), res.stderr[-2000:]
    assert took < 10, f"{took:.1f} s"


def test_too_large_files_are_refused_at_once(tmp_path):
    f = tmp_path / "big.json"
    with open(f, "w") as fh:  # 70 MB of one valid-looking table, written without holding it in memory
        fh.write('{"name": "big", "sources": {')
        fh.write(", ".join(f'"k{i}": "{"v" * 60}"' for i in range(1_000_000)))
        fh.write("}}")
    res, took = validate(f)
    assert res.returncode == 2 and "MB" in res.stderr and "limit" in res.stderr, res.stderr[-2000:]
    assert took < 10


def test_too_many_csv_cells_are_refused(tmp_path):
    base = __import__("yaml").safe_load((DATA / "williams_decentralization.yaml").read_text())
    base["economic_distance"] = {"matrix_csv": "dist.csv"}
    f = tmp_path / "i.yaml"
    f.write_text(__import__("yaml").safe_dump(base))
    (tmp_path / "dist.csv").write_text("id,a,b,c\n" + "x,1,2,3\n" * 260_000)
    res, took = validate(f)
    assert res.returncode == 2 and "1,000,000 cells" in res.stderr and "dist.csv" in res.stderr, res.stderr[-2000:]
    assert took < 10, f"{took:.1f} s"


def test_too_many_values_are_refused(tmp_path):
    base = json.loads(json.dumps(__import__("yaml").safe_load((DATA / "williams_decentralization.yaml").read_text())))
    base["sources"] = {f"k{i}": "" for i in range(1_100_000)}
    f = tmp_path / "many.json"
    f.write_text(json.dumps(base))
    res, took = validate(f)
    assert res.returncode == 2 and "1,000,000 values" in res.stderr, res.stderr[-2000:]
    assert took < 10, f"{took:.1f} s"
