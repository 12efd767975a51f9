"""Sweep defects an analyst's review found: reused records under a changed spec, bad seeds and
output paths, mapping values, integer fields scaled, site counts, solver options in a spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import yrdopt.sweep as sw
from yrdopt.errors import InstanceError

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy_features.yaml"


def write_spec(tmp_path: Path, name: str = "spec.yaml", **spec) -> Path:
    spec.setdefault("instance", str(TOY))
    spec.setdefault("robust", {"enabled": False})
    p = tmp_path / name
    p.write_text(yaml.safe_dump(spec, sort_keys=False))
    return p


def test_resumed_records_take_names_values_and_order_from_the_current_design(tmp_path):
    """--resume after renaming a parameter and adding a level: the reused records show the
    current spec's names and values, each row once, in design order (review: the old name's
    values were lost, and the stored index was reported twice)."""
    out = tmp_path / "out"
    first = [{"path": "weights.distance", "name": "dist", "values": [0.5, 2.0]},
             {"path": "weights.site_cost", "name": "site", "values": [2.0, 3.0]}]
    sw.run(write_spec(tmp_path, parameters=first), out=out, backend="inprocess")
    renamed = [{"path": "weights.distance", "name": "distance_weight", "values": [0.5, 1.5, 2.0]},
               {"path": "weights.site_cost", "name": "site", "values": [2.0, 3.0]}]
    df = sw.run(write_spec(tmp_path, parameters=renamed), out=out, backend="inprocess", resume=True)
    assert len((out / "journal.jsonl").read_text().splitlines()) == 6  # only the 1.5 is new
    assert df["index"].tolist() == list(range(6))
    assert df["distance_weight"].tolist() == [1.0, 0.5, 1.5, 2.0, 1.0, 1.0]
    assert df["site"].tolist() == [1.0, 1.0, 1.0, 1.0, 2.0, 3.0]
    tor = sw.load_results(out)["tornado"].set_index("parameter")
    assert (tor.loc["distance_weight", "low"], tor.loc["distance_weight", "high"]) == (0.5, 2.0)
    assert tor.loc["distance_weight", "n"] == 4  # the base and three levels, nothing of `site`

