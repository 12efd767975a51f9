"""Scenario designs: one-at-a-time, full grid, Latin hypercube, Monte Carlo.

Every design is a pure function of the spec (sampling uses ``numpy.random.default_rng(seed)``
with our own Latin-hypercube construction, so a seed gives the same scenarios on every
machine).  A scenario's id is derived from its content — the base instance's hash, the
parameter paths and values, and the solver settings that change its answer — so the same
question always gets the same id and a re-run reuses what was already solved.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .spec import Parameter, SweepSpec


@dataclass(frozen=True)
class Scenario:
    id: str
    index: int  # position in the design (results are reported in this order)
    values: dict[str, Any] = field(hash=False)  # parameter label -> multiplier (scale) or value (set)
    kind: str = "solve"  # "solve", or "evaluate" (robust-layout phase)


def canonical(v: Any) -> Any:
    """A value as it enters the scenario id: floats to 12 significant digits."""
    if isinstance(v, bool) or v is None or isinstance(v, (str, int)):
        return v
    if isinstance(v, float):
        return float(f"{v:.12g}")
    if isinstance(v, (list, tuple)):
        return [canonical(x) for x in v]
    if isinstance(v, dict):
        return {str(k): canonical(x) for k, x in v.items()}
    if isinstance(v, np.generic):
        return canonical(v.item())
    return str(v)


def sets_nothing(value: Any, base: Any) -> bool:
    """Whether setting ``value`` where the instance holds ``base`` (one value at every location of a
    set parameter; None: not one) leaves it as it is: a mapping is merged into the instance's
    (:func:`yrdopt.sweep.apply.merged`), so one whose every key already holds its value changes
    nothing, whatever other keys the instance's mapping has."""
    from .apply import merged

    return base is not None and canonical(merged(base, value)) == canonical(base)


def scenario_id(instance_hash: str, spec: SweepSpec, values: dict[str, Any],
                base: dict[str, Any] | None = None) -> str:
    """Content-derived id: unchanged parameters are left out, so the base is the same everywhere.
    ``base`` maps a set parameter's label to the value the instance already has at every one of its
    locations (None: not one value; :func:`yrdopt.sweep.runner.base_values`): setting that value
    changes nothing, so it is left out too (a one-at-a-time design listing today's value solved
    the base again)."""
    base = base or {}
    changes = []
    for p in spec.parameters:
        v = values.get(p.label)
        if v is None or (p.op == "scale" and float(v) == 1.0):
            continue
        if p.op == "set" and sets_nothing(v, base.get(p.label)):
            continue
        # a mapping is merged into the instance's mapping (apply.merged): not what it meant before
        changes.append([p.path, "merge" if p.op == "set" and isinstance(v, dict) else p.op, canonical(v)])
    blob = json.dumps({"instance": instance_hash, "changes": sorted(changes, key=lambda c: c[0]),
                       "solver": spec.solver.fingerprint(), "check": spec.check},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _base_values(params: list[Parameter]) -> dict[str, Any]:
    return {p.label: p.base_value for p in params}


def design_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """The parameter values of every scenario, in design order (duplicates kept)."""
    params, d = spec.parameters, spec.design
    base = _base_values(params)
    if d.kind == "one_at_a_time":
        # include_base: false leaves the base out here too (a level equal to today's value is it anyway)
        points = [dict(base)] if d.include_base else []
        for p in params:
            for v in p.grid():
                points.append({**base, p.label: v})
        return points
    if d.kind == "full_grid":
        points = [dict(zip([p.label for p in params], combo)) for combo in itertools.product(*[p.grid() for p in params])]
    else:
        rng = np.random.default_rng(d.seed)
        n, k = d.samples, len(params)
        if d.kind == "latin_hypercube":
            # one point per stratum in every dimension, strata paired by random permutations
            u = (np.stack([rng.permutation(n) for _ in range(k)], axis=1) + rng.random((n, k))) / n
        else:
            u = rng.random((n, k))
        points = [{p.label: p.from_unit(float(u[i, j])) for j, p in enumerate(params)} for i in range(n)]
    if d.include_base:
        points.insert(0, dict(base))
    return points


def build_design(spec: SweepSpec, instance_hash: str, base: dict[str, Any] | None = None) -> list[Scenario]:
    """Scenarios with content-derived ids; a point equal to an earlier one is dropped (``base``:
    what :func:`scenario_id` takes, so a point that sets only today's values is the base)."""
    out: list[Scenario] = []
    seen: set[str] = set()
    for values in design_points(spec):
        sid = scenario_id(instance_hash, spec, values, base)
        if sid in seen:
            continue
        seen.add(sid)
        out.append(Scenario(sid, len(out), values))
    return out


def chunks(scenarios: list[Scenario], size: int) -> list[list[Scenario]]:
    """Fixed slices of the design: a worker solves one chunk in a row, from the base model."""
    return [scenarios[i:i + size] for i in range(0, len(scenarios), size)]
