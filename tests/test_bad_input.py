"""Bad input gets a clear error naming the file, field path, bad value and expectation —
never a traceback; hypothesis feeds malformed instances and none crashes the loader."""

import copy
import threading

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import yrdopt
from yrdopt.errors import InstanceError
from conftest import DATA, run_cli

BASE = yaml.safe_load((DATA / "williams_decentralization.yaml").read_text())


def mutated(fn):
    data = copy.deepcopy(BASE)
    fn(data)
    return data


def problems_of(data):
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(data)
    return exc.value.problems


def set_path(data, path, value):
    *head, last = path
    for p in head:
        data = data[p]
    data[last] = value


CASES = {
    "unknown region in site_cost": (
        lambda d: d["chains"][0]["segments"][0]["site_cost"].update({"paris": 1.0}),
        "chains[0].segments[0].site_cost.paris", "paris"),
    "unknown segment in link": (
        lambda d: d["chains"][0]["links"][0].update({"to": "Z"}), "chains[0].links[0].to", "Z"),
    "unknown chain in policy": (
        lambda d: d.setdefault("policy", {}).update({"forbidden": [{"chain": "nope", "segment": "A", "region": "london"}]}),
        "policy.forbidden[0].chain", "nope"),
    "unknown resource in quota": (
        lambda d: d["regions"][0]["quotas"].update({"water": 5}), "regions[0].quotas.water", "water"),
    "negative quota": (
        lambda d: set_path(d, ["regions", 1, "quotas", "offices"], -3), "regions[1].quotas.offices", "-3"),
    "non-square distance matrix": (
        lambda d: d["economic_distance"]["matrix"]["values"][2].pop(), "economic_distance.matrix.values[2]", "2 values"),
    "negative distance": (
        lambda d: set_path(d, ["economic_distance", "matrix", "values", 0, 1], -4.0),
        "economic_distance.matrix.values[0][1]", "-4.0"),
    "link across chains": (
        lambda d: (d["chains"].append({"id": "other", "segments": [{"id": "X", "activity": 1}]}),
                   d["chains"][0]["links"].append({"from": "A", "to": "other/X", "volume_per_unit": 1})),
        "chains[0].links[6].to", "other/X"),
    "fixed and forbidden at once": (
        lambda d: d.setdefault("policy", {}).update({
            "fixed": [{"chain": "office", "segment": "A", "region": "london"}],
            "forbidden": [{"chain": "office", "segment": "A", "region": "london"}]}),
        "policy.forbidden[0]", "fixed and forbidden"),
    "negative activity": (
        lambda d: set_path(d, ["chains", 0, "segments", 2, "activity"], -1), "chains[0].segments[2].activity", "-1"),
    # a single-site segment has one site: at least 2 contradicts it (BuildOptions(tighten_bounds=True) once
    # raised the site count's upper bound to 2 and solved it with 2 sites; the plain model is infeasible)
    "min_sites above one for a single-site segment": (
        lambda d: d.setdefault("policy", {}).update({"site_limits": [{"chain": "office", "segment": "A", "min_sites": 2}]}),
        "policy.site_limits[0].min_sites", "single_site"),
    "unknown field": (
        lambda d: d["regions"][0].update({"qoutas": {}}), "regions[0].qoutas", "no such field"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_names_field_and_value(name):
    fn, path, fragment = CASES[name]
    probs = problems_of(mutated(fn))
    text = "\n".join(str(p) for p in probs)
    assert any(p.path.split(" (")[0] == path for p in probs), text
    assert fragment in text
    assert all(p.expected for p in probs)


@pytest.mark.parametrize("name", ["negative quota", "non-square distance matrix", "fixed and forbidden at once",
                                  "link across chains", "min_sites above one for a single-site segment"])
def test_cli_reports_without_traceback(tmp_path, name):
    fn, path, _ = CASES[name]
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(mutated(fn)))
    for cmd in (["validate", str(f)], ["solve", str(f), "--out", str(tmp_path / "o")]):
        res = run_cli(*cmd)
        assert res.returncode == 2
        assert "Traceback" not in res.stderr + res.stdout
        assert str(f) in res.stderr and path in res.stderr


def test_yaml_syntax_error_names_line(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("name: x\nregions: [\n  - id: a\n")
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(f)
    assert "line" in exc.value.problems[0].path and "YAML" in exc.value.problems[0].expected


def test_missing_file_and_csv_errors(tmp_path):
    with pytest.raises(InstanceError, match="missing file"):
        yrdopt.load_instance(tmp_path / "nope.yaml")
    data = mutated(lambda d: d["economic_distance"].pop("matrix"))
    data["economic_distance"]["matrix_csv"] = "dist.csv"
    (tmp_path / "dist.csv").write_text("id,bristol,brighton,london\nbristol,0,1,2\nbrighton,1,0,x\nlondon,2,1,0\n")
    f = tmp_path / "i.yaml"
    f.write_text(yaml.safe_dump(data))
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(f)
    p = exc.value.problems[0]
    assert p.file.endswith("dist.csv") and p.path == "row 3, column london" and p.value == "x"


def test_csv_distance_matrix_equals_inline(tmp_path):
    data = mutated(lambda d: d["economic_distance"].pop("matrix"))
    data["economic_distance"]["matrix_csv"] = "dist.csv"
    (tmp_path / "dist.csv").write_text("id,bristol,brighton,london\nbristol,5,14,13\nbrighton,14,5,9\nlondon,13,9,10\n")
    f = tmp_path / "i.yaml"
    f.write_text(yaml.safe_dump(data))
    assert yrdopt.solve(f).objective == pytest.approx(-14.9)


# ---------------------------------------------------------------------------- hypothesis
def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


ALL_PATHS = [p for p in _paths(BASE) if p]
junk = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                 st.text(max_size=8), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), st.one_of(st.just("delete"), junk)), min_size=1, max_size=4))
def test_malformed_instances_never_crash_the_loader(mutations):
    data = copy.deepcopy(BASE)
    for path, value in mutations:
        target = data
        try:
            for p in path[:-1]:
                target = target[p]
            if value == "delete":
                del target[path[-1]]
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        inst = yrdopt.load_instance(data)
    except InstanceError as exc:
        assert exc.problems and all(p.expected for p in exc.problems)
    else:
        yrdopt.build(inst)  # whatever validates must also build


def test_duplicate_site_limits_are_rejected():
    probs = problems_of(mutated(lambda d: d.setdefault("policy", {}).update({"site_limits": [
        {"chain": "office", "segment": "A", "max_sites": 1}, {"chain": "office", "segment": "A", "max_sites": 3}]})))
    assert any(p.path == "policy.site_limits[1]" and "once" not in p.expected for p in probs)


@pytest.mark.parametrize("name,content,where", [
    ("expansions.csv", "a,b\n1,2\n", "header"),
    ("flows.csv", "chain,from_segment\nx,y\n", "header"),
    ("flows.csv", 'chain,from_segment,to_segment,from_region,to_region,volume\noffice,A,"C,x\n', ""),
    ("flows.csv", "chain,from_segment,to_segment,from_region,to_region,volume\noffice,A,C,bristol,london,abc\n",
     "row 2, column volume"),
])
def test_checker_reports_bad_side_tables_without_traceback(tmp_path, williams_path, name, content, where):
    sol = yrdopt.solve(williams_path, out=tmp_path / "sol")
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "layout.csv").write_text((tmp_path / "sol" / "layout.csv").read_text())
    (bad_dir / name).write_text(content)
    with pytest.raises(InstanceError) as exc:
        yrdopt.check(sol.instance, bad_dir)
    p = exc.value.problems[0]
    assert p.file.endswith(name) and p.path == where
    res = run_cli("check", williams_path, bad_dir)
    assert res.returncode == 2 and "Traceback" not in res.stderr and name in res.stderr


@pytest.mark.parametrize("call, where, expected", [
    (lambda: yrdopt.solve(5, time_limit=2), "arguments: instance: got 5", "a path to an instance file"),
    (lambda: yrdopt.solve(None, time_limit=2, progress=5), "arguments: progress: got 5", "a function called as"),
    (lambda: yrdopt.solve(None, time_limit=2, stop=5), "arguments: stop: got 5", "a threading.Event"),
    (lambda: yrdopt.solve(None, time_limit=2, stop=threading.Event), "arguments: stop: got <class", "a threading.Event"),
    (lambda: yrdopt.build(5), "arguments: instance: got 5", "or None (the embedded default)"),
])
def test_bad_api_arguments_are_named_before_anything_is_solved(call, where, expected):
    """Review 17: solve(5) was pathlib's TypeError, progress=5 a TypeError mid-solve, stop=5 an
    AttributeError; build(None) an AttributeError (now the embedded default, as load_instance(None)).
    Review 18: stop=threading.Event (the class) passed and was a TypeError 0.3 s into the solve."""
    with pytest.raises(InstanceError) as e:
        call()
    assert where in e.value.message() and expected in e.value.message()


def test_build_of_none_is_the_embedded_default_instance():
    assert yrdopt.build(None).n_cols == yrdopt.build(yrdopt.load_instance()).n_cols
