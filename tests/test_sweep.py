"""Sweeps: spec and design, in-place patches against a fresh build, failures recorded, summaries."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import yaml

import yrdopt
import yrdopt.sweep as sw
from yrdopt.data import build_model_data
from yrdopt.errors import InstanceError
from yrdopt.io import instance_dict
from yrdopt.model.compiled import BuildOptions, build
from yrdopt.solver import HighsSolver, SolverOptions
from yrdopt.sweep.apply import InPlaceModel, patchable, resolve_parameters, scenario_dict, validate_instance
from yrdopt.sweep.design import build_design
from yrdopt.sweep.spec import Parameter

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy_features.yaml"


def write_spec(tmp_path: Path, **spec) -> Path:
    spec.setdefault("instance", str(TOY))
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(spec, sort_keys=False))
    return p


# ---------------------------------------------------------------------------- spec/design
def test_design_is_seeded_and_ids_are_content_derived():
    spec = sw.load_spec({"parameters": [{"path": "weights.distance", "scale": [0.5, 2.0]},
                                        {"path": "regions[*].quotas.land", "scales": [0.9, 1.1]}],
                         "design": {"kind": "latin_hypercube", "samples": 20, "seed": 5}})
    a, b = build_design(spec, "h"), build_design(spec, "h")
    assert [s.id for s in a] == [s.id for s in b]
    assert a[0].values == {"weights.distance": 1.0, "regions[*].quotas.land": 1.0}  # the base first
    # Latin hypercube: exactly one sample in each of the 20 strata of the continuous range
    u = sorted((s.values["weights.distance"] - 0.5) / 1.5 for s in a[1:])
    assert [int(x * 20) for x in u] == list(range(20))
    other = sw.load_spec({**spec.model_dump(), "design": {"kind": "latin_hypercube", "samples": 20, "seed": 6}})
    assert {s.id for s in build_design(other, "h")} & {s.id for s in a} == {a[0].id}  # only the base is shared
    assert build_design(spec, "another-instance")[0].id != a[0].id


def test_one_at_a_time_and_grid_reuse_ids():
    p = [{"path": "weights.distance", "scale": [0.5, 1.5], "levels": 3}, {"path": "weights.site_cost", "values": [2, 3]}]
    oat = build_design(sw.load_spec({"parameters": p}), "h")
    # base + 3 levels (1.0 is the base again, dropped) + 2 values
    assert len(oat) == 1 + 2 + 2
    grid = build_design(sw.load_spec({"parameters": p, "design": {"kind": "full_grid"}}), "h")
    assert len(grid) == 1 + 3 * 2  # the base, then the grid
    # the same question has the same id in both designs
    assert {s.id for s in oat} & {s.id for s in grid} == {
        s.id for s in oat if s.values["weights.site_cost"] is not None or s.values["weights.distance"] == 1.0}


def test_setting_todays_value_is_the_base_scenario(tmp_path):
    """A one-at-a-time design whose values list today's value (a1's land is 6 in the toy) solves
    the base once, not once more per such parameter (review: the base was solved three times),
    and the tornado's ends are the values listed on either side of it."""
    spec = write_spec(tmp_path, name="today", parameters=[
        {"path": "regions[id=a1].quotas.land", "values": [2, 6, 12]},
        {"path": "weights.distance", "values": [0.5, 1, 2]},  # 1 is today's weight too
    ], design={"kind": "one_at_a_time"}, solver={"mip_gap": 1e-9})
    scenarios = sw.prepare(spec)[-1]
    assert len(scenarios) == 1 + 2 + 2 and len({s.id for s in scenarios}) == 5
    df = sw.run(spec, out=tmp_path / "out", backend="inprocess")
    assert len(df) == 5 and df["ok"].all()
    # the base row shows today's values (as results.csv always did), so the ends are 2 and 12
    base = df[df["index"] == 0].iloc[0]
    assert (base["regions[id=a1].quotas.land"], base["weights.distance"]) == (6, 1)
    tor = sw.load_results(tmp_path / "out")["tornado"].set_index("parameter")
    assert (tor.loc["regions[id=a1].quotas.land", "low"], tor.loc["regions[id=a1].quotas.land", "high"]) == (2, 12)
    assert (tor.loc["weights.distance", "low"], tor.loc["weights.distance", "high"]) == (0.5, 2)


def test_bad_specs_name_field_and_value(tmp_path):
    with pytest.raises(InstanceError) as e:
        sw.prepare(write_spec(tmp_path, parameters=[{"path": "regions[id=nowhere].quotas.land", "scale": [0.5, 1]},
                                                    {"path": "weights.distance", "scale": [1, 2], "values": [1]}]))
    text = e.value.message()
    assert "parameters[1]" in text and "exactly one of scale, scales or values" in text
    with pytest.raises(InstanceError) as e:
        sw.prepare(write_spec(tmp_path, parameters=[{"path": "regions[id=nowhere].quotas.land", "scale": [0.5, 1]}]))
    assert "parameters[0].path" in e.value.message() and "no element with id 'nowhere'" in e.value.message()
    with pytest.raises(InstanceError) as e:  # fab's min_scale 4 > activity 12 x 0.2
        sw.prepare(write_spec(tmp_path, parameters=[{"path": "chains[id=ic].segments[id=fab].activity",
                                                     "scale": [0.2, 1.0]}]))
    assert "parameters[0]" in e.value.message() and "min_scale" in e.value.message()
    with pytest.raises(InstanceError) as e:
        sw.prepare(write_spec(tmp_path, parameters=[{"path": "regions[*].name_en", "scale": [1, 2]}]))
    assert "not a number to scale" in e.value.message()


def _field_names(tp) -> set[str]:
    """Every field name of a pydantic model and of the models inside its fields' annotations."""
    from typing import get_args

    from pydantic import BaseModel

    if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return set().union(*map(_field_names, get_args(tp)))
    return set().union(*({f.alias or n} | _field_names(f.annotation) for n, f in tp.model_fields.items()))


def test_a_misspelt_spec_field_points_to_the_spec_fields_not_the_instance_schema(tmp_path):
    # `yrdopt schema` lists instance fields only; a spec error lists the fields allowed where it is
    spec = write_spec(tmp_path, parameters=[{"path": "weights.distance", "scale": [0.5, 2.0]}],
                      design={"kind": "full_grid", "levels": 3})
    with pytest.raises(InstanceError) as e:
        sw.prepare(spec)
    text = e.value.message()
    assert "design.levels" in text and "yrdopt schema" not in text
    assert "allowed here: kind, samples, seed, include_base" in text
    assert "levels belongs in parameters[]" in text and "yrdopt sweep --help" in text
    # and `yrdopt sweep --help` names every field a spec can have (kept in step with SweepSpec)
    from typer.testing import CliRunner

    from yrdopt.cli import app
    from yrdopt.sweep.spec import SweepSpec

    res = CliRunner().invoke(app, ["sweep", "--help"], env={"COLUMNS": "200"})
    words = set(res.output.replace(",", " ").replace("(", " ").replace(")", " ").split())
    assert _field_names(SweepSpec) - words == set()


# -------------------------------------------------------------------------- in place
IN_PLACE_PATHS = [
    "regions[*].quotas.land", "regions[id=a1].quotas.energy", "weights.distance", "weights.duplication",
    "chains[id=ic].segments[id=fab].activity", "chains[*].segments[*].activity",
    "economic_distance.component_weights.labour", "economic_distance.components.time",
    "chains[id=ic].segments[id=fab].resource_use.land", "regions[id=a1].expansions[id=park].extra_quota.land",
    "regions[id=a1].expansions[id=park].fixed_cost", "chains[*].links[*].volume_per_unit",
    "chains[id=ic].links[0].transport_intensity", "policy.province_min_share.PA",
    "chains[id=ic].segments[id=rd].site_cost.a1", "chains[id=nev].segments[id=assembly].fixed_cost",
    "chains[id=ic].segments[id=fab].resource_use_by_region.b2.land",
]


def _highs_lp(h):
    lp = h.getLp()
    a = lp.a_matrix_
    A = sp.csc_matrix((np.array(a.value_), np.array(a.index_), np.array(a.start_)), shape=(lp.num_row_, lp.num_col_))
    return (np.array(lp.col_cost_), np.array(lp.col_lower_), np.array(lp.col_upper_),
            np.array(lp.row_lower_), np.array(lp.row_upper_), A)


@pytest.mark.parametrize("flow_linking", ["none", "disaggregated"])
def test_in_place_patch_equals_fresh_build(flow_linking):
    """Random scenarios patched one after another into one HiGHS model: after each patch the
    model HiGHS holds equals a fresh compile of the scenario (costs, bounds, every coefficient)."""
    inst = yrdopt.load_instance(TOY)
    base = instance_dict(inst)
    params = [Parameter(path=p, scale=(0.5, 1.5)) for p in IN_PLACE_PATHS]
    resolved = resolve_parameters(base, params)
    assert all(r.inplace for r in resolved)
    bo = BuildOptions(flow_linking=flow_linking)
    cm0 = build(inst, bo)
    solver = HighsSolver(SolverOptions(threads=1))
    solver.load(cm0)
    model = InPlaceModel(solver.h, cm0)
    rng = np.random.default_rng(11)
    previous = None  # (model returned by the last patch, its fresh build)
    for it in range(25):
        values = {p.label: float(rng.uniform(0.5, 1.5)) if rng.random() < 0.4 else 1.0 for p in params}
        d = build_model_data(validate_instance(scenario_dict(base, resolved, values), "scenario"))
        assert patchable(cm0.data, d)
        patched = model.patch(d)
        if previous is not None:  # a returned model is not changed by later patches
            assert abs(previous[0].A - previous[1].A).max() < 1e-12
            np.testing.assert_array_equal(previous[0].row_upper, previous[1].row_upper)
        if it % 5 == 0:
            solver.solve()  # patches also apply to a model that has been solved
        ref = build(d, bo)
        highs_lp = _highs_lp(solver.h)
        returned = (patched.cost, patched.col_lower, patched.col_upper, patched.row_lower, patched.row_upper, patched.A)
        for lp in (highs_lp, returned):  # what HiGHS holds, and the model patch() says it holds
            cost, cl, cu, rl, ru, A = lp
            for got, want in [(cost, ref.cost), (cl, ref.col_lower), (cu, ref.col_upper), (rl, ref.row_lower),
                              (ru, ref.row_upper)]:
                np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
            assert abs(A - ref.A).max() < 1e-12
        previous = (patched, ref)
    assert abs(cm0.A - build(inst, bo).A).max() == 0  # the base model is never written to


def test_in_place_mirror_takes_a_coefficient_the_base_did_not_hold():
    inst = yrdopt.load_instance(TOY)
    cm0 = build(inst)
    solver = HighsSolver(SolverOptions(threads=1))
    solver.load(cm0)
    model = InPlaceModel(solver.h, cm0)
    dense = cm0.A.toarray()
    i, j = np.argwhere(dense == 0)[0]
    i2, j2 = np.argwhere(dense != 0)[0]
    model._coeffs(np.array([i, i2]), np.array([j, j2]), np.array([2.5, 7.0]))  # one new entry, one existing
    got = model.patch(cm0.data).A
    assert got[i, j] == 2.5 and got[i2, j2] == 7.0 and got.has_sorted_indices
    assert abs(got - _highs_lp(solver.h)[5]).max() == 0  # what HiGHS holds
    assert cm0.A[i, j] == 0  # the base model is untouched


def test_structural_paths_rebuild():
    base = instance_dict(yrdopt.load_instance(TOY))
    params = [Parameter(path="chains[id=ic].segments[id=fab].min_scale", scale=(0.5, 1)),
              Parameter(path="policy.site_limits[0].max_sites", values=[1, 2]),
              Parameter(path="regions[*].quotas.land", scale=(0.5, 1))]
    assert [r.inplace for r in resolve_parameters(base, params)] == [False, False, True]
    # a province share going to zero removes a row: the data-level guard refuses to patch
    r = resolve_parameters(base, [Parameter(path="policy.province_min_share.PA", values=[0.0])])
    d0 = build_model_data(validate_instance(base, "b"))
    d1 = build_model_data(validate_instance(scenario_dict(base, r, {"policy.province_min_share.PA": 0.0}), "s"))
    assert not patchable(d0, d1)


# ---------------------------------------------------------------------------- running
def test_sweep_in_process_matches_independent_solves_and_records_infeasible(tmp_path):
    """Every scenario's objective equals a from-scratch yrdopt.solve of its instance; a scenario
    with too little land is recorded as infeasible with the planner-level reason and the
    sweep goes on; summaries and tables are written."""
    spec = write_spec(tmp_path, name="toy", parameters=[
        {"path": "regions[*].quotas.land", "scales": [0.3, 1.4]},
        {"path": "weights.distance", "values": [0.5, 2.0]},
        {"path": "chains[id=ic].segments[id=fab].activity", "scale": [0.8, 1.2], "levels": 2},
        {"path": "chains[id=ic].segments[id=fab].min_scale", "scales": [1.5]},
    ], design={"kind": "one_at_a_time"}, solver={"mip_gap": 1e-9}, chunk_size=3)
    out = tmp_path / "out"
    df = sw.run(spec, out=out, backend="inprocess")
    assert len(df) == 1 + 2 + 2 + 2 + 1 and df["scenario"].is_unique
    bad = df[df["regions[*].quotas.land"] == 0.3]
    assert len(bad) == 1 and bad["status"].iloc[0] == "infeasible" and not bad["ok"].iloc[0]
    reason = bad["reason"].iloc[0]
    assert reason.startswith("No layout satisfies every limit") and "land" in reason
    good = df[df["ok"]]
    assert len(good) == len(df) - 1 and (good["status"] == "optimal").all() and good["verified"].all()
    assert set(df["update"]) == {"in_place", "rebuild"}
    # MIP starts: a chunk (3 scenarios here) is solved tightest first, from the greedy layout;
    # each later scenario from the cheapest of the greedy layout and the chunk's earlier layouts,
    # repaired where they no longer fit (a grown segment, a larger minimum scale); the
    # infeasible scenario gets none that fits
    rows = df.sort_values("index").to_dict("records")
    for first in range(0, len(rows), 3):
        chunk = rows[first:first + 3]
        assert "greedy" in {r["mip_start"] for r in chunk}, chunk
        for row in chunk:
            assert row["mip_start"] in (("previous", "repaired", "greedy") if row["ok"] else ("none",)), row
    assert {"previous", "repaired"} & set(df["mip_start"])
    assert (df.loc[df["chains[id=ic].segments[id=fab].min_scale"] == 1.5, "update"] == "rebuild").all()
    # independent check: solve each scenario instance from scratch
    _, inst, base, resolved, _, scenarios = sw.prepare(spec)
    for sc in scenarios:
        row = df[df["scenario"] == sc.id].iloc[0]
        if not row["ok"]:
            continue
        ref = yrdopt.solve(validate_instance(scenario_dict(base, resolved, sc.values), "s"), gap=1e-9)
        assert row["objective"] == pytest.approx(ref.objective, rel=1e-7, abs=1e-7)
        terms = sum(row[t] for t in ("distance", "site_cost", "fixed_cost", "duplication", "expansion"))
        assert terms == pytest.approx(row["objective"], rel=1e-9, abs=1e-9)
    # files
    for name in ("results.parquet", "results.csv", "layout.parquet", "layout.csv", "frequency.csv", "tornado.csv",
                 "robust.csv", "regret.csv", "robust_layout.csv"):
        assert (out / name).exists(), name
    tables = sw.load_results(out)
    pd.testing.assert_frame_equal(tables["results"][["scenario", "objective"]], df[["scenario", "objective"]])
    lay = tables["layout"]
    assert set(lay["scenario"]) == set(good["scenario"])
    # every solved layout places each segment's whole activity
    tot = lay.groupby(["scenario", "chain", "segment"])["activity"].sum()
    assert (tot.xs(("ic", "fab"), level=("chain", "segment")) > 9).all()
    # tornado: one row per parameter, the distance weight's swing equals the two OAT objectives' difference
    tor = tables["tornado"].set_index("parameter")
    obj = df.set_index("weights.distance")["objective"]
    assert tor.loc["weights.distance", "swing"] == pytest.approx(obj[2.0] - obj[0.5])
    # the land quota's low end (x0.3) has no layout: the row says so and comes first, never as a
    # small swing between the feasible ends (before, that end was left out: 1.0 / 1.4)
    land = tor.loc["regions[*].quotas.land"]
    assert (land["low"], land["high"], land["infeasible_low"], land["infeasible_high"]) == (0.3, 1.4, 1, 0)
    assert np.isnan(land["objective_low"]) and tables["tornado"]["parameter"].iloc[0] == "regions[*].quotas.land"
    assert (tor.drop(index="regions[*].quotas.land")[["infeasible_low", "infeasible_high"]] == 0).all().all()
    from yrdopt.report.charts import tornado_table
    drawn, _ = tornado_table(tables["tornado"], base=float(df.loc[df["index"] == 0, "objective"].iloc[0]))
    assert drawn["parameter"].iloc[-1] == "regions[*].quotas.land (0.3: infeasible / 1.4)"  # drawn at the top
    # frequency shares are counts over the solved scenarios
    freq = tables["frequency"]
    assert freq["share"].between(0, 1).all()
    rd = freq[(freq["chain"] == "nev") & (freq["segment"] == "rd")]
    assert rd.set_index("region")["share"].get("a2") == 1.0  # fixed by policy in every scenario
    # robust layout: regret 0 where it is optimal; the chosen one has the smallest worst case
    rob = tables["robust"]
    assert rob["robust"].sum() == 1
    best = rob[rob["robust"]].iloc[0]
    fewest = rob[rob["infeasible_in"] == rob["infeasible_in"].min()]
    assert best["infeasible_in"] == rob["infeasible_in"].min()
    assert best["max_regret_where_feasible"] == fewest["max_regret_where_feasible"].min()
    if best["infeasible_in"] == 0:
        assert best["max_regret"] == best["max_regret_where_feasible"]
    reg = tables["regret"]
    # a regret below 0 is said (finding), never a contradiction of a proven optimum (before: clipped at 0)
    assert ((reg["regret"] >= 0) | reg["finding"].notna()).all(), reg
    assert not reg["finding"].dropna().astype(str).str.startswith("CONTRADICTION").any(), reg
    assert (reg.loc[reg["scenario"] == best["example_scenario"]].query("candidate == @best.candidate")["regret"]
            .abs() < 1e-6 * max(1, abs(df["objective"].max()))).all()


def test_resume_refuses_and_reuses(tmp_path):
    spec = write_spec(tmp_path, parameters=[{"path": "weights.distance", "values": [0.5, 2.0]}],
                      robust={"enabled": False})
    out = tmp_path / "out"
    first = sw.run(spec, out=out, backend="inprocess")
    with pytest.raises(yrdopt.YrdoptError, match="--resume"):
        sw.run(spec, out=out, backend="inprocess")
    again = sw.run(spec, out=out, backend="inprocess", resume=True)
    pd.testing.assert_frame_equal(first, again)
    journal = [json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines()]
    assert len(journal) == 3  # nothing solved twice
    # a record's claims are re-derived by the claims check's rules (claims.check_claims) as summary.json's
    # are: a bound above its objective, a gap that does not follow from objective and bound, "optimal" with
    # the bound beyond the requested gap are false claims, and the record is rejected (before: read back as
    # verified and optimal).  No solve writes such a record: two are edited as a worker would write them
    ids = list(first["scenario"])[:2]
    for sid, edit in zip(ids, (lambda r: {"bound": r["objective"] * 1.01 + 1.0},
                               lambda r: {"bound": r["objective"] * 0.9, "gap": 0.0})):
        path = out / "scenarios" / f"{sid}.json"
        rec = json.loads(path.read_text())
        assert rec["status"] == "optimal" and rec["verified"], rec
        path.write_text(json.dumps({**rec, **edit(rec)}))
    # a larger design keeps the old scenarios and solves only the new one
    spec2 = write_spec(tmp_path, parameters=[{"path": "weights.distance", "values": [0.5, 2.0, 3.0]}],
                       robust={"enabled": False})
    bigger = sw.run(spec2, out=out, backend="inprocess", resume=True)
    assert len(bigger) == 4
    judged = bigger.set_index("scenario").loc[ids]
    assert (judged["status"] == "not_verified").all() and not judged["ok"].any() and not judged["verified"].any()
    assert list(judged["status_before_check"]) == ["optimal", "optimal"]
    above, off = judged["reason"]
    assert "a lower bound above the objective" in above and "'optimal' needs" not in above, above
    assert "the gap is (objective - bound) / |objective|" in off and "'optimal' needs the bound within" in off, off
    # the CLI's line for each (commands.sweep.rejected_words) names its false claims, from the table returned and
    # from results.csv/.parquet as written: both layouts break no limit and their objectives re-derive (before: no
    # check_objective nor false_claims column, and each line said the recomputed objective "is not the ... claimed")
    from yrdopt.commands.sweep import rejected_words

    for table in (bigger, pd.read_csv(out / "results.csv"), sw.load_results(out)["results"]):
        rows = table.set_index("scenario").loc[ids]
        above, off = (rejected_words(r) for r in rows.itertuples())
        assert "is not the" not in above + off, (above, off)
        assert "it breaks no limit, but a claim is false: bound: states " in above, above
        assert "2 claims are false: gap: states 0.0, " in off and "; status: states 'optimal', " in off, off
        assert rows["check_objective"].to_numpy() == pytest.approx(rows["objective"].to_numpy(), rel=1e-6)
    assert bigger.set_index("scenario").drop(index=ids)["verified"].all()
    assert len((out / "journal.jsonl").read_text().splitlines()) == 4
    assert not math.isnan(bigger["objective"].iloc[-1])
    # other solver options: new ids, nothing reusable -- said out loud, not silently re-solved
    spec3 = write_spec(tmp_path, parameters=[{"path": "weights.distance", "values": [0.5, 2.0, 3.0]}],
                       robust={"enabled": False}, solver={"mip_gap": 1e-3})
    with pytest.warns(UserWarning, match="none of the 4 scenarios already in"):
        other = sw.run(spec3, out=out, backend="inprocess", resume=True)
    assert len(other) == 4 and other["ok"].all()
    # review 17: "already holds 8 finished scenario(s)" counted the other specs' records as this one's
    with pytest.raises(yrdopt.YrdoptError, match=r"holds 4 finished scenarios of this sweep \(and 4 of other sweeps\)"):
        sw.run(spec3, out=out, backend="inprocess")
    from typer.testing import CliRunner

    from yrdopt.cli import app

    spec4 = write_spec(tmp_path, parameters=[{"path": "weights.distance", "values": [0.5]}],
                       robust={"enabled": False}, solver={"mip_gap": 2e-3})
    res = CliRunner().invoke(app, ["sweep", str(spec4), "--out", str(out), "--resume", "--in-process"])
    assert res.exit_code == 0 and "warning:" in res.output and "solved again" in res.output


def test_cli_sweep_and_errors(tmp_path):
    from typer.testing import CliRunner

    from yrdopt.cli import app

    spec = write_spec(tmp_path, parameters=[{"path": "weights.distance", "values": [0.5, 2.0]}],
                      robust={"enabled": False})
    runner = CliRunner()
    res = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "o"), "--in-process"])
    assert res.exit_code == 0, res.output
    assert "3 scenarios: 3 solved" in res.output
    res = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "o"), "--in-process"])
    assert res.exit_code != 0 and "--resume" in res.output
    bad = write_spec(tmp_path, parameters=[{"path": "weights.nothing", "scale": [1, 2]}])
    res = runner.invoke(app, ["sweep", str(bad), "--out", str(tmp_path / "o2"), "--in-process"])
    assert res.exit_code == 2 and "parameters[0].path" in res.output and "Traceback" not in res.output


# ------------------------------------------------------------------------ solver profile
def test_resolve_profile_gives_the_optima_of_highs_defaults_on_the_provinces(tmp_path):
    """The sweep's default profile on a small model (presolve, RINS and RENS off) changes how
    fast HiGHS proves optimality, not the optima."""
    base = {"name": "prov", "instance": None, "chunk_size": 3, "robust": {"enabled": False},
            "parameters": [{"path": "regions[*].quotas.land", "scale": [0.85, 1.25]},
                           {"path": "weights.distance", "scale": [0.5, 2.0]}],
            "design": {"kind": "latin_hypercube", "samples": 5, "seed": 3}}
    tables = {}
    for profile in ("auto", "highs"):
        spec = {**base, "solver": {"profile": profile, "mip_gap": 1e-6}}
        tables[profile] = sw.run(spec, out=tmp_path / profile, backend="inprocess").sort_values("index")
    auto, highs = tables["auto"], tables["highs"]
    assert set(auto["profile"]) == {"resolve"} and set(highs["profile"]) == {"highs"}
    # the options reach the worker's HiGHS (the worker rebuilds them from the shipped context)
    from yrdopt.sweep.worker import Context, ScenarioSolver

    for profile, presolve, rins in (("auto", "off", False), ("highs", "choose", True)):
        spec_m, _, base_d, *_ = sw.prepare({**base, "solver": {"profile": profile}})
        h = ScenarioSolver(Context.for_spec(spec_m, base_d, "k")).solver.h  # as the runner ships it
        assert (h.getOptionValue("presolve")[1], h.getOptionValue("mip_heuristic_run_rins")[1]) == (presolve, rins)
    assert not set(auto["scenario"]) & set(highs["scenario"])  # the profile is part of a scenario's id
    assert (auto["status"] == "optimal").all() and (highs["status"] == "optimal").all()
    np.testing.assert_allclose(auto["objective"].to_numpy(), highs["objective"].to_numpy(), rtol=2e-6)


def test_solver_profile_choice_explicit_options_and_reset():
    from yrdopt.solver import RESOLVE_MAX_BINARIES

    so = sw.SweepSolver()
    assert so.resolved_profile(RESOLVE_MAX_BINARIES) == "resolve"
    assert so.resolved_profile(RESOLVE_MAX_BINARIES + 1) == "highs"
    opts = so.solver_options(10).highs_options()
    assert opts["presolve"] == "off" and opts["mip_heuristic_run_rins"] is False
    assert "mip_heuristic_run_rins" not in so.solver_options(10_000).highs_options()
    explicit = sw.SweepSolver(presolve="on", highs={"mip_heuristic_run_rens": True}).solver_options(10).highs_options()
    assert explicit["presolve"] == "on" and explicit["mip_heuristic_run_rens"] is True  # the user's word wins
    assert sw.SweepSolver(presolve="choose").solver_options(10).highs_options()["presolve"] == "choose"
    # a reused solver keeps nothing of its earlier options
    s = HighsSolver(SolverOptions.for_resolves(threads=1))
    assert s.h.getOptionValue("presolve")[1] == "off"
    s.apply_options(SolverOptions())
    assert s.h.getOptionValue("presolve")[1] == "choose" and s.h.getOptionValue("mip_heuristic_run_rins")[1] is True


def test_unknown_highs_option_is_named_in_the_spec(tmp_path):
    with pytest.raises(InstanceError) as e:
        sw.prepare(write_spec(tmp_path, parameters=[{"path": "weights.distance", "scale": [0.5, 2]}],
                              solver={"highs": {"mip_heuristic_run_rins": "maybe", "no_such_option": 3}}))
    text = e.value.message()
    assert "solver.highs" in text and "'no_such_option': HiGHS has no option" in text
    assert "rejects the value 'maybe'" in text
    # options with their own field are refused (threads sizes HiGHS's scheduler); YAML's off is False
    (tmp_path / "spec.yaml").write_text("parameters: [{path: weights.distance, scale: [0.5, 2]}]\n"
                                        f"instance: {TOY}\n"
                                        "solver: {highs: {threads: 2, mip_lp_solver: off}}\n")
    with pytest.raises(InstanceError) as e:
        sw.prepare(tmp_path / "spec.yaml")
    text = e.value.message()
    assert "'threads': set it with solver.threads" in text and "quote the word" in text
    (tmp_path / "spec.yaml").write_text("parameters: [{path: weights.distance, scale: [0.5, 2]}]\n"
                                        f"instance: {TOY}\nsolver: {{highs: {{log_file: x.log}}}}\n")
    with pytest.raises(InstanceError) as e:
        sw.prepare(tmp_path / "spec.yaml")
    assert "'log_file': not available in sweeps" in e.value.message()


def test_a_mapping_that_sets_todays_values_is_the_base_scenario(tmp_path):
    """A mapping value is merged into the instance's mapping: one whose every key holds today's value
    changes nothing (the toy's component weights are {cost 1, time 0.5, labour 1}), so it is the
    base scenario, with its id (before: a new id, the base solved twice), and the base row of the
    tornado."""
    from yrdopt.sweep.summaries import _is_base

    spec = write_spec(tmp_path, name="map", parameters=[
        {"path": "economic_distance.component_weights", "values": [{"cost": 1.0}, {"cost": 2.0}]},
    ], design={"kind": "one_at_a_time"})
    scenarios = sw.prepare(spec)[-1]
    assert len(scenarios) == 2, [s.values for s in scenarios]  # the base, and cost 2
    assert scenarios[0].values["economic_distance.component_weights"] is None
    today = {"cost": 1.0, "time": 0.5, "labour": 1.0}
    assert _is_base({"cost": 1.0}, today) and _is_base({"time": 0.5, "labour": 1}, today)
    assert not _is_base({"cost": 2.0}, today) and not _is_base({"extra": 1.0}, today)


def test_robust_sites_count_hosting_sites_and_the_layout_says_sited(tmp_path):
    """ic/fab fixed in a1 at a site cost of 50 runs nothing there: the site is opened empty.  The
    sweep's layout.csv says every row is a site (`sited`, as solve's layout.csv), the empty one at
    activity 0, and robust.csv's `sites` counts the sites that host activity, as results.csv does
    for the candidate's example scenario (before: every placement, the empty site too)."""
    d = yaml.safe_load(TOY.read_text())
    fab = d["chains"][0]["segments"][1]
    fab.pop("min_scale")
    fab["site_cost"]["a1"] = 50.0
    d["policy"]["fixed"].append({"chain": "ic", "segment": "fab", "region": "a1"})
    d["policy"]["province_min_share"] = {}
    d["regions"][3]["quotas"]["land"] = 30
    (tmp_path / "empty_site.yaml").write_text(yaml.safe_dump(d, allow_unicode=True))
    spec = write_spec(tmp_path, instance=str(tmp_path / "empty_site.yaml"), name="empty",
                      parameters=[{"path": "weights.distance", "scales": [0.9, 1.1]}],
                      design={"kind": "one_at_a_time"}, solver={"mip_gap": 1e-9})
    sw.run(spec, out=tmp_path / "out", backend="inprocess")
    layout = pd.read_csv(tmp_path / "out" / "layout.csv")
    assert list(layout.columns) == ["scenario", "chain", "segment", "region", "sited", "activity"]
    assert layout["sited"].all()
    empty = layout[(layout["chain"] == "ic") & (layout["segment"] == "fab") & (layout["region"] == "a1")]
    assert len(empty) == 3 and (empty["activity"] == 0).all()
    results = pd.read_csv(tmp_path / "out" / "results.csv").set_index("scenario")
    robust = pd.read_csv(tmp_path / "out" / "robust.csv")
    for row in robust.itertuples():
        placements = int((layout["scenario"] == row.example_scenario).sum())
        assert row.sites == results.loc[row.example_scenario, "sites"] == placements - 1
    # robust_layout.csv keeps the empty site (the layout fixes it) but says it hosts nothing
    # (before: a bare "site" row, indistinguishable from the sites that run the chain)
    chosen = pd.read_csv(tmp_path / "out" / "robust_layout.csv")
    sites = chosen[chosen["what"] == "site"]
    fab_a1 = (sites["chain"] == "ic") & (sites["segment"] == "fab") & (sites["region"] == "a1")
    assert fab_a1.sum() == 1 and not sites.loc[fab_a1, "hosts"].any() and sites.loc[fab_a1, "activity"].eq(0).all()
    assert sites.loc[~fab_a1, "hosts"].all() and (sites.loc[~fab_a1, "activity"] > 0).all()
