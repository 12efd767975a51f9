"""The synthetic instance generator: deterministic, valid at any size, solvable and checked."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from yrdopt import api
from yrdopt.cli import app
from yrdopt.data import build_model_data
from yrdopt.generate import KIND_RANK, generate_dict, generate_instance, write_generated
from yrdopt.io import content_hash, load_instance


def test_same_seed_same_file_other_seed_other_file(tmp_path):
    a = write_generated(generate_dict(9, 3, 4, seed=7), tmp_path / "a.yaml")
    b = write_generated(generate_dict(9, 3, 4, seed=7), tmp_path / "b.yaml")
    c = write_generated(generate_dict(9, 3, 4, seed=8), tmp_path / "c.yaml")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_csv_side_tables_load_to_the_same_instance(tmp_path):
    data = generate_dict(12, 2, 3, seed=3)
    path = write_generated(data, tmp_path / "big.yaml", csv_threshold=5)
    assert (tmp_path / "big.distance.csv").exists() and (tmp_path / "big.site_costs.csv").exists()
    assert "components_csv" in path.read_text()
    assert content_hash(load_instance(path)) == content_hash(load_instance(data))


@pytest.mark.parametrize("R,C,S", [(1, 1, 1), (2, 3, 2), (3, 2, 6), (7, 2, 8), (25, 4, 5)])
def test_any_size_validates_with_the_domain_structure(R, C, S):
    inst = generate_instance(R, C, S, seed=R * 100 + S)
    d = build_model_data(inst)
    assert (d.R, len(inst.chains), d.S) == (R, C, C * S)
    # links join consecutive segments, in the order of the chain (rd before manufacturing ...)
    assert d.L == C * (S - 1)
    for chain in inst.chains:
        kinds = [s.kind for s in chain.segments]
        assert [KIND_RANK[k] for k in kinds] == sorted(KIND_RANK[k] for k in kinds)
        assert [(lk.from_, lk.to) for lk in chain.links] == [
            (chain.segments[i].id, chain.segments[i + 1].id) for i in range(S - 1)]
    # economic distance: symmetric, non-negative, larger between far-apart regions
    assert np.allclose(d.distance, d.distance.T) and (d.distance >= 0).all()
    # quotas exist for every region and resource and exceed the area's demand in total
    demand = np.einsum("s,sk->k", d.activity, d.use[:, 0, :])
    assert np.isfinite(d.quota).all() and (d.quota.sum(axis=0) >= demand).all()
    assert all(116 <= r.lon <= 122.5 and 28 <= r.lat <= 34.5 for r in inst.regions)


def test_distance_grows_with_geography():
    inst = generate_instance(30, 1, 2, seed=5)
    d = build_model_data(inst)
    from yrdopt.generate import great_circle_km

    km = great_circle_km(np.array([r.lon for r in inst.regions]), np.array([r.lat for r in inst.regions]))
    off = ~np.eye(d.R, dtype=bool)
    assert np.corrcoef(km[off], d.distance[off])[0, 1] > 0.9


@pytest.mark.parametrize("R,C,S,seed", [(4, 3, 4, 1), (6, 3, 3, 2), (1, 2, 3, 0)])
def test_small_generated_instances_solve_and_verify(R, C, S, seed):
    inst = generate_instance(R, C, S, seed=seed)
    sol = api.solve(inst, threads=2, time_limit=60)
    assert sol.status == "optimal"
    assert sol.summary["verified"], sol.check.lines()
    # the policy rules the generator writes hold in the solution
    lay = sol.placements()
    for p in inst.policy.fixed:
        assert ((lay.chain == p.chain) & (lay.segment == p.segment) & (lay.region == p.region)).any()
    for p in inst.policy.forbidden:
        assert not ((lay.chain == p.chain) & (lay.segment == p.segment) & (lay.region == p.region)).any()


def test_quotas_bind_at_the_optimum():
    inst = generate_instance(6, 4, 4, seed=11)
    sol = api.solve(inst, threads=2, time_limit=60)
    assert sol.status == "optimal"
    from yrdopt.model.compiled import build

    cm = build(inst)
    quota = cm.row("quota")
    used = (cm.A @ sol.x)[quota.slice]
    cap = cm.row_upper[quota.slice]
    assert (used >= cap * (1 - 1e-6)).any(), "no quota binds: the generator's quotas are too loose"


def test_cli_generate_writes_a_valid_instance_and_rejects_bad_arguments(tmp_path):
    runner = CliRunner()
    out = tmp_path / "g.yaml"
    res = runner.invoke(app, ["generate", "--regions", "5", "--chains", "2", "--segments", "3", "--seed", "4", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert load_instance(out).name == "generated-r5-c2-s3-seed4"
    res = runner.invoke(app, ["generate", "--regions", "0", "--out", str(tmp_path / "x.txt")])
    assert res.exit_code == 2
    assert "--regions" in res.output and "--out" in res.output


def test_cli_generate_refuses_an_existing_file_unless_force(tmp_path):
    # as `yrdopt template` does: an instance file may be hand-edited, so it is never replaced silently
    runner = CliRunner()
    out = tmp_path / "g.yaml"
    out.write_text("name: edited by hand\n")
    args = ["generate", "--regions", "5", "--chains", "2", "--segments", "3", "--seed", "4", "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "--force" in res.output and str(out) in res.output
    assert out.read_text() == "name: edited by hand\n"
    res = runner.invoke(app, [*args, "--force"])
    assert res.exit_code == 0, res.output
    assert load_instance(out).name == "generated-r5-c2-s3-seed4"
    # above --csv-threshold the side tables count too: none of them is replaced either
    side = tmp_path / "h.site_costs.csv"
    side.write_text("kept\n")
    res = runner.invoke(app, ["generate", "--regions", "5", "--chains", "2", "--csv-threshold", "3",
                              "--out", str(tmp_path / "h.yaml")])
    assert res.exit_code == 2 and "h.site_costs.csv" in res.output
    assert side.read_text() == "kept\n" and not (tmp_path / "h.yaml").exists()
