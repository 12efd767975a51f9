"""Known-answer tests: published optima reached exactly, and verified by the checker."""

import csv

import numpy as np
import pytest

import yrdopt
from orlib_gap import gap_instance, read_gap_file
from conftest import DATA


def test_williams_decentralization_published_optimum(williams_path):
    sol = yrdopt.solve(williams_path)
    assert sol.status == "optimal"
    # H.P. Williams: benefit 80, communication 65.1, net 14.9 (minimised here as -14.9)
    assert sol.objective == pytest.approx(-14.9, abs=1e-9)
    assert sol.components["site_cost"] == pytest.approx(-80.0, abs=1e-9)
    assert sol.components["distance"] == pytest.approx(65.1, abs=1e-9)
    placed = dict(zip(sol.placements()["segment"], sol.placements()["region"]))
    assert placed == {"A": "bristol", "D": "bristol", "B": "brighton", "C": "brighton", "E": "brighton"}
    assert sol.check.verified and sol.summary["verified"]


def _gap_optima() -> dict[tuple[str, int], float]:
    with open(DATA / "orlib_gap" / "optima.csv", newline="") as fh:
        return {(r["instance"], int(r["problem_index"])): float(r["optimum"])
                for r in csv.DictReader(fh) if r["sense"] == "min" and r["optimum"]}


GAP_CASES = [("gap1.txt", 1), ("gap1.txt", 5), ("gap4.txt", 2), ("gap8.txt", 3), ("gap12.txt", 1), ("gap12.txt", 4)]


@pytest.mark.parametrize("file,index", GAP_CASES)
def test_orlib_gap_minimisation_optimum(file, index):
    problem = read_gap_file(DATA / "orlib_gap" / file)[index - 1]
    inst = yrdopt.load_instance(gap_instance(problem, f"{file}-{index}"))
    sol = yrdopt.solve(inst, gap=0.0)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(_gap_optima()[(file, index)], abs=1e-6)
    assert sol.check.verified
    # each job in exactly one agent and every capacity respected, recomputed here from the layout
    placed = sol.placements()
    assert sorted(placed["segment"]) == sorted(f"job{j + 1}" for j in range(problem["n"]))
    agent = placed.set_index("segment")["region"].str.removeprefix("agent").astype(int) - 1
    load = np.zeros(problem["m"])
    for j in range(problem["n"]):
        load[agent[f"job{j + 1}"]] += problem["use"][agent[f"job{j + 1}"], j]
    assert np.all(load <= problem["capacity"] + 1e-9)
