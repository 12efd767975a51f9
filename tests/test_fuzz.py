"""Issue 12, case 10: fuzzed inputs and options thrown at `yrdopt validate` and `yrdopt solve`, each
in its own process capped at 1 GB of extra memory: the exit code is always 0, 2, 3 or 4, stderr
never holds a traceback, and every command ends within 10 s (tests/fuzz_zygote.py forks them)."""

import copy
import json
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, TESTS
from test_bad_input import ALL_PATHS

BASE = yaml.safe_load((DATA / "williams_decentralization.yaml").read_text())
ALLOWED = {0, 2, 3, 4}


@pytest.fixture(scope="module")
def zygote():
    proc = subprocess.Popen([sys.executable, str(TESTS / "fuzz_zygote.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert json.loads(proc.stdout.readline())["ready"]

    def run(*args):
        proc.stdin.write(json.dumps([str(a) for a in args]) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    yield run
    proc.stdin.close()
    proc.wait(timeout=30)


PATHS = ALL_PATHS  # every path into the Williams instance (test_bad_input's hypothesis test uses them too)
def get(data, path):
    for p in path:
        data = data[p]
    return data


NUMBER_PATHS = [p for p in PATHS if isinstance(get(BASE, p), (int, float)) and not isinstance(get(BASE, p), bool)]
MARKUP = ["[/x]", "[/]", "[bold]", "[@click]", "[link=https://x.org]", "[red]r[/red]", "\x1b[31m", "a]b[c"]
HUGE = [1e15, -1e300, 2**63, 1e308, -2**63, 5e-324, 1e9, -1e9, 1e9 + 1, 0.0, -0.0]
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                 st.sampled_from(HUGE), st.sampled_from(MARKUP), st.text(max_size=12),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.sampled_from(MARKUP), st.integers(), max_size=2))


@st.composite
def instance_mutation(draw):
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["number", "junk", "markup key", "delete"]))
        path = draw(st.sampled_from(NUMBER_PATHS if kind == "number" else PATHS))
        try:
            parent = get(data, path[:-1])
            if kind == "number":
                parent[path[-1]] = draw(st.sampled_from(HUGE))
            elif kind == "junk":
                parent[path[-1]] = draw(JUNK)
            elif kind == "markup key" and isinstance(parent, dict):
                parent[draw(st.sampled_from(MARKUP))] = parent.pop(path[-1])
            elif kind == "delete":
                del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            pass
    fmt = draw(st.sampled_from(["yaml", "json"]))
    text = json.dumps(data, allow_nan=True) if fmt == "json" else yaml.safe_dump(data, allow_unicode=True)
    return {f"i.{fmt}": text}


@st.composite
def file_attack(draw):
    text = yaml.safe_dump(BASE)
    kind = draw(st.sampled_from(["truncate", "bytes", "deep", "alias bomb", "long string alias", "bom", "empty"]))
    if kind == "truncate":
        return {"i.yaml": text[: draw(st.integers(0, len(text)))]}
    if kind == "bytes":
        return {draw(st.sampled_from(["i.yaml", "i.json", "i.xlsx"])): draw(st.binary(max_size=200))}
    if kind == "deep":
        n = draw(st.integers(30, 200_000))
        o, c = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ('{"a": ', "}")]))
        return {draw(st.sampled_from(["i.yaml", "i.json"])): o * n + "1" + c * n}
    if kind == "alias bomb":
        levels, fan = draw(st.integers(2, 14)), draw(st.integers(2, 12))
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x]"] + [
            f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan)}]" for i in range(1, levels)]
        return {"i.yaml": "\n".join(lines) + f"\nname: *a{levels - 1}\n"}
    if kind == "long string alias":
        n = draw(st.integers(10, 2000))
        return {"i.yaml": "s: &s " + "y" * 2**20 + "\nname: [" + ", ".join(["*s"] * n) + "]\n"}
    if kind == "bom":
        return {"i.yaml": "\ufeff" + text}
    return {"i.yaml": ""}


@st.composite
def csv_attack(draw):
    data = copy.deepcopy(BASE)
    data["economic_distance"] = {"matrix_csv": "dist.csv"}
    rows = [["id", "bristol", "brighton", "london"], ["bristol", "5", "14", "13"], ["brighton", "14", "5", "9"],
            ["london", "13", "9", "10"]]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, 3))
        kind = draw(st.sampled_from(["longer", "shorter", "value"]))
        if kind == "longer":
            rows[i].append(draw(st.sampled_from(["7", "", "x"])))
        elif kind == "shorter" and len(rows[i]) > 1:
            rows[i].pop()
        else:
            j = draw(st.integers(0, len(rows[i]) - 1))
            rows[i][j] = draw(st.sampled_from(["1e300", "-1", "nan", "inf", "", "x", "[/x]", '"', "1e9"]))
    return {"i.yaml": yaml.safe_dump(data), "dist.csv": "\n".join(",".join(r) for r in rows) + "\n"}


OPTION_VALUES = st.sampled_from(["-1", "0", "nan", "inf", "-inf", "1e308", "abc", "0.5", "1", "1000", "5"])
OPTIONS = st.lists(st.tuples(st.sampled_from(["--time-limit", "--gap", "--threads", "--heuristic-effort", "--seed",
                                              "--presolve"]), OPTION_VALUES), max_size=2)


@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(files=st.one_of(instance_mutation(), file_attack(), csv_attack()), options=OPTIONS)
def test_fuzzed_inputs_end_cleanly(zygote, tmp_path_factory, files, options):
    d = tmp_path_factory.mktemp("fuzz")
    for name, content in files.items():
        (d / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    instance = d / next(iter(files))
    opts = [x for pair in options for x in pair]
    for cmd in (["validate", instance], ["solve", instance, "--out", d / "out", "-q", *opts]):
        res = zygote(*cmd)
        where = f"{cmd} with {sorted(files)}: exit {res['code']}, {res['seconds']:.1f} s\n{res['stderr']}"
        assert res["code"] in ALLOWED, where
        assert "Traceback" not in res["stderr"] + res["stdout"], where
        assert res["seconds"] < 10, where
