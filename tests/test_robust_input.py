"""Issue 12: bad numbers, markup, CSV side tables and options end in a clear message and exit 2,
never a traceback or a solver crash."""

import copy
import json
import pytest
import yaml

import yrdopt
from yrdopt.errors import InstanceError
from conftest import DATA, run_cli

BASE = yaml.safe_load((DATA / "williams_decentralization.yaml").read_text())
WILLIAMS = DATA / "williams_decentralization.yaml"


def cli(*args):
    return run_cli(*args)


def write(tmp_path, data, name="i.yaml"):
    f = tmp_path / name
    f.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data))
    return f


def mutated(fn):
    data = copy.deepcopy(BASE)
    fn(data)
    return data


# ------------------------------------------------------------------ 2. huge but finite numbers
HUGE = {
    "activity 1e15": (lambda d: d["chains"][0]["segments"][0].update(activity=1e15), "chains[0].segments[0].activity"),
    "resource_use 1e300": (lambda d: d["chains"][0]["segments"][1].update(resource_use={"offices": 1e300}),
                           "chains[0].segments[1].resource_use.offices"),
    "resource_use 2^63": (lambda d: d["chains"][0]["segments"][1].update(resource_use={"offices": 2**63}),
                          "chains[0].segments[1].resource_use.offices"),
    "site cost -1e300": (lambda d: d["chains"][0]["segments"][2]["site_cost"].update(london=-1e300),
                         "chains[0].segments[2].site_cost.london"),
    "distance 1e200": (lambda d: d["economic_distance"]["matrix"]["values"][0].__setitem__(1, 1e200),
                       "economic_distance.matrix.values[0][1]"),
    "tolerance 2^63": (lambda d: d["chains"][0]["segments"][2].update(duplication_tolerance=2**63),
                       "chains[0].segments[2].duplication_tolerance"),
}


@pytest.mark.parametrize("name", list(HUGE))
def test_huge_numbers_are_rejected_with_field_and_range(tmp_path, name):
    fn, path = HUGE[name]
    f = write(tmp_path, mutated(fn), "i.json")
    for cmd in (["validate", f], ["solve", f, "--out", tmp_path / "o"]):
        res = cli(*cmd)
        assert res.returncode == 2, res.stderr
        assert "Traceback" not in res.stderr
        assert path in res.stderr and ("1000000" if "tolerance" in name else "1e+09") in res.stderr, res.stderr


def test_products_of_allowed_numbers_that_overflow_the_solver_are_rejected(tmp_path):
    # each number within range; the flow cost weight x intensity x distance is not
    data = mutated(lambda d: (d["weights"].update(distance=1e9), d["chains"][0]["links"][0].update(transport_intensity=1e9),
                              d["economic_distance"]["matrix"]["values"][0].__setitem__(2, 1e9)))
    res = cli("solve", write(tmp_path, data), "--out", tmp_path / "o")
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "chains[0].links[0].transport_intensity" in res.stderr and "weights.distance" in res.stderr
    # inflow per unit: volume_per_unit x upstream activity / downstream activity
    data = mutated(lambda d: (d["chains"][0]["segments"][2].update(activity=1e-9),
                              d["chains"][0]["segments"][0].update(activity=1e9),
                              d["chains"][0]["links"][0].update(volume_per_unit=1e9)))
    res = cli("solve", write(tmp_path, data), "--out", tmp_path / "o")
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "chains[0].links[0]" in res.stderr


# ------------------------------------------------------------------------------ 3. rich markup
@pytest.mark.parametrize("key", ["[/x]", "[/]", "[bold]", "[@click]", "[link=https://x.org]"])
def test_markup_in_user_strings_is_printed_literally(tmp_path, key):
    data = mutated(lambda d: d["regions"][0]["quotas"].update({key: 1}))
    f = write(tmp_path, data, "m2.yaml")
    for cmd in (["validate", f], ["solve", f, "--out", tmp_path / "o"]):
        res = cli(*cmd)
        assert res.returncode == 2, res.stderr
        assert "Traceback" not in res.stderr
        assert f"regions[0].quotas.{key}" in res.stderr.replace("\n", ""), res.stderr


def test_markup_in_names_is_printed_literally_in_the_layout(tmp_path):
    data = mutated(lambda d: d["regions"][1].update(name_en="Brigh[/]ton [bold]x"))
    res = cli("solve", write(tmp_path, data), "--out", tmp_path / "o")
    assert res.returncode == 0, res.stderr
    assert "Brigh[/]ton [bold]x" in res.stdout


# -------------------------------------------------------------------------- 7. CSV side tables
def _with_matrix_csv(tmp_path, text):
    data = mutated(lambda d: d["economic_distance"].pop("matrix"))
    data["economic_distance"]["matrix_csv"] = "dist.csv"
    (tmp_path / "dist.csv").write_text(text)
    return write(tmp_path, data)


@pytest.mark.parametrize("text,where", [
    ("id,bristol,brighton,london\nbristol,5,14,13,99\nbrighton,14,5,9\nlondon,13,9,10\n", "row 2"),
    ("id,bristol,brighton,london\nbristol,5,14,13\nbrighton,14,5,9,7\nlondon,13,9,10\n", "row 3"),
    ("id,bristol,brighton,london\nbristol,5,14,13\nbrighton,14,5\nlondon,13,9,10\n", "row 3"),
])
def test_ragged_csv_rows_are_errors_naming_file_row_and_column(tmp_path, text, where):
    f = _with_matrix_csv(tmp_path, text)
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(f)
    p = exc.value.problems[0]
    assert p.file.endswith("dist.csv") and p.path.startswith(where) and "column" in p.path, str(p)
    res = cli("validate", f)
    assert res.returncode == 2 and "Traceback" not in res.stderr and "dist.csv" in res.stderr


@pytest.mark.parametrize("text,where", [
    ("id,bristol,brighton,london\nbristol,5,14,13\nbrighton,14,5,-9\nlondon,13,9,1\n", "row 3, column london"),  # cross-check
    ("id,bristol,brighton,london\nbristol,5,14,13\nbrighton,14,5,9\nlondon,13,9,1e300\n", "row 4, column london"),  # schema
])
def test_csv_value_errors_are_reported_against_the_csv(tmp_path, text, where):
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(_with_matrix_csv(tmp_path, text))
    got = {(p.file.split("/")[-1], p.path.split(" (")[0]) for p in exc.value.problems}
    assert ("dist.csv", where) in got, got


def test_site_cost_csv_value_errors_name_the_csv_row(tmp_path):
    data = copy.deepcopy(BASE)
    for s in data["chains"][0]["segments"]:
        s.pop("site_cost")
    data["site_costs_csv"] = "costs.csv"
    f = write(tmp_path, data)
    for rows, where in (("office,A,bristol,-10\noffice,B,paris,3\n", "row 3, column region"),
                        ("office,A,bristol,-10\noffice,B,bristol,3\noffice,C,london,1e12\n", "row 4, column site_cost")):
        (tmp_path / "costs.csv").write_text("chain,segment,region,site_cost\n" + rows)
        with pytest.raises(InstanceError) as exc:
            yrdopt.load_instance(f)
        got = {(p.file.split("/")[-1], p.path.split(" (")[0]) for p in exc.value.problems}
        assert ("costs.csv", where) in got, got


# ------------------------------------------------------------------------------ 8. options
@pytest.mark.parametrize("opt,value", [
    ("--time-limit", "-1"), ("--time-limit", "nan"), ("--time-limit", "0"), ("--time-limit", "inf"),
    ("--gap", "-1"), ("--gap", "nan"), ("--gap", "inf"),
    ("--heuristic-effort", "5"), ("--heuristic-effort", "-1"), ("--heuristic-effort", "nan"),
    ("--threads", "0"), ("--threads", "-1"), ("--threads", "1000"),
])
def test_bad_options_exit_2_naming_the_range(tmp_path, opt, value):
    res = cli("solve", WILLIAMS, "--out", tmp_path / "o", opt, value)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert opt in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf"])
def test_one_time_limit_rule_in_one_wording(tmp_path, value):
    """-1 said "expected ... >= 0" while 0 said "> 0" (the README says > 0)."""
    res = cli("solve", WILLIAMS, "--out", tmp_path / "o", "--time-limit", value)
    assert res.returncode == 2
    assert "--time-limit" in res.stderr and "expected a finite number of seconds > 0" in res.stderr, res.stderr
    assert ">= 0" not in res.stderr


@pytest.mark.parametrize("value", [-1, 0, float("nan")])
def test_the_python_api_and_sweeps_keep_the_same_time_limit_rule(value):
    from yrdopt.solver import TIME_LIMIT_EXPECTED
    from yrdopt.sweep.spec import SweepSolver

    with pytest.raises(InstanceError) as exc:
        yrdopt.solve(WILLIAMS, time_limit=value)
    assert [p.expected for p in exc.value.problems] == [TIME_LIMIT_EXPECTED]
    with pytest.raises(ValueError, match=TIME_LIMIT_EXPECTED):
        SweepSolver(time_limit=value)


def test_mps_and_log_file_paths_are_checked_before_solving(tmp_path):
    for opt, value in (("--mps", tmp_path), ("--log-file", tmp_path), ("--log-file", tmp_path / "no" / "h.log"),
                       ("--mps", tmp_path / "no" / "m.mps")):
        res = cli("solve", WILLIAMS, "--out", tmp_path / "o", opt, value)
        assert res.returncode == 2, (opt, value, res.stderr)
        assert opt in res.stderr and "Traceback" not in res.stderr
    res = cli("solve", WILLIAMS, "--out", tmp_path / "o", "--log-file", tmp_path / "h.log", "--mps", tmp_path / "m.mps")
    assert res.returncode == 0 and (tmp_path / "h.log").stat().st_size > 0 and (tmp_path / "m.mps").stat().st_size > 0
