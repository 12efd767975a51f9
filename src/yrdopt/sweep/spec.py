"""The sweep specification: which instance, which parameters, which design, which solver.

A spec is YAML (or a dict, or a :class:`SweepSpec`)::

    name: land-and-distance
    instance: ../yrd-provinces.yaml      # relative to the spec file; omitted = embedded default
    parameters:
      - path: regions[*].quotas.land      # every region's land quota ...
        scale: [0.8, 1.2]                 # ... times a multiplier in this range
      - path: weights.distance
        values: [0.5, 1.0, 2.0]           # set to each of these values
      - path: economic_distance.component_weights.labour
        name: labour_weight
        scales: [0.5, 1.5]                # a set of multipliers
    design: {kind: latin_hypercube, samples: 200, seed: 7}
    solver: {time_limit: 60, mip_gap: 1.0e-4}

Parameter paths address the instance as it is written: ``field``, ``list[id=X]``,
``list[*]`` (every element), ``list[3]``, and mapping keys as ``.key`` or ``[*]``.
:mod:`yrdopt.sweep.apply` resolves them and decides which ones can be changed in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from ..errors import InstanceError, Problem
from ..schema import TERMS

Multiplier = Annotated[float, Field(ge=0, allow_inf_nan=False)]


# results.csv's columns besides the parameters' (one each, named by its label, after "index"):
# a parameter may not take one of these names, or one of the two columns would be lost
RESULT_COLUMNS = ["scenario", "index"]
STATUS_COLUMNS = ["update", "status", "status_before_check", "ok", "reason", "objective", "bound", "gap"]
# check_objective: the objective the checker recomputed; false_claims: the claims it found false ("; " between
# them), what a rejected scenario's line names (tables written before them have neither: --resume reads records)
TAIL_COLUMNS = ["verified", "max_violation", "check_objective", "false_claims", "sites", "profile", "mip_start",
                "start_objective", "start_s", "nodes", "polished", "highs_limit_s", "solve_s", "prep_s", "polish_s",
                "check_s", "total_s", "worker"]
RESERVED_NAMES = (*RESULT_COLUMNS, *STATUS_COLUMNS, *TERMS, *TAIL_COLUMNS)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Parameter(_Model):
    """One uncertain input: a path into the instance and the values it takes."""

    path: str = Field(min_length=1, description="where in the instance, e.g. regions[id=ZJ].quotas.land")
    name: str | None = Field(None, description="column name in the results (default: the path)")
    scale: tuple[Multiplier, Multiplier] | None = Field(
        None, description="[low, high] multiplier range applied to the base value(s); not for integer fields")
    scales: list[Multiplier] | None = Field(None, min_length=1, description="a set of multipliers")
    values: list[Any] | None = Field(None, min_length=1, description="a set of values the field is set to (a mapping is merged into the mapping there)")
    levels: Annotated[int, Field(ge=2, le=101)] = Field(
        3, description="points of a scale range used by one-at-a-time and full-grid designs (ends included)")
    distribution: Literal["uniform", "loguniform"] = Field(
        "uniform", description="how sampling designs draw from a scale range")

    @model_validator(mode="after")
    def _one_kind(self) -> "Parameter":
        given = [k for k in ("scale", "scales", "values") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"exactly one of scale, scales or values (got {given or 'none'})")
        if self.scale is not None and self.scale[0] > self.scale[1]:
            raise ValueError(f"scale [low, high] with low <= high (got {list(self.scale)})")
        if self.distribution == "loguniform" and self.scale is not None and self.scale[0] <= 0:
            raise ValueError("a loguniform scale range needs low > 0")
        return self

    @property
    def label(self) -> str:
        return self.name or self.path

    @property
    def op(self) -> Literal["scale", "set"]:
        return "set" if self.values is not None else "scale"

    @property
    def base_value(self) -> Any:
        """The value that means 'unchanged' (multiplier 1) — None for a set of values."""
        return 1.0 if self.op == "scale" else None

    def grid(self) -> list[Any]:
        """The discrete levels of this parameter (one-at-a-time and full-grid designs)."""
        if self.values is not None:
            return list(self.values)
        if self.scales is not None:
            return [float(v) for v in self.scales]
        lo, hi = self.scale
        n = self.levels
        return [float(lo + (hi - lo) * i / (n - 1)) for i in range(n)]

    def from_unit(self, u: float) -> Any:
        """Map a number in [0, 1) to a value of this parameter (sampling designs)."""
        if self.scale is not None:
            lo, hi = self.scale
            if self.distribution == "loguniform":
                import math

                return float(math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * u))
            return float(lo + (hi - lo) * u)
        choices = self.grid()
        return choices[min(int(u * len(choices)), len(choices) - 1)]


class Design(_Model):
    kind: Literal["one_at_a_time", "full_grid", "latin_hypercube", "monte_carlo"] = "one_at_a_time"
    samples: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        100, description="scenarios drawn by latin_hypercube and monte_carlo")
    seed: Annotated[int, Field(ge=0)] = Field(0, description="random seed (>= 0): the same seed gives the same scenarios")
    include_base: bool = Field(True, description="add the unchanged base scenario (false: left out, one-at-a-time "
                                                      "too; a level equal to today's value is that scenario anyway)")


# HiGHS options a sweep sets itself: name -> what to do instead
SWEEP_OWNED_OPTIONS = {
    "threads": "set it with solver.threads (per worker)", "time_limit": "set it with solver.time_limit",
    "mip_rel_gap": "set it with solver.mip_gap", "random_seed": "set it with solver.seed",
    "presolve": "set it with solver.presolve", "mip_heuristic_effort": "set it with solver.mip_heuristic_effort",
    **{k: "not available in sweeps (thousands of solves run without logs)"
       for k in ("output_flag", "log_to_console", "log_file", "log_dev_level")},
}


class SweepSolver(_Model):
    """Solver options of every scenario.  threads is per worker: one worker per core."""

    time_limit: Annotated[float, Field(gt=0)] | None = 60.0
    mip_gap: Annotated[float, Field(ge=0, le=1)] = 1e-4
    seed: int = 0
    presolve: Literal["choose", "on", "off"] | None = Field(
        None, description="HiGHS presolve; unset: as the profile says (off for resolve, choose for highs)")
    mip_heuristic_effort: Annotated[float, Field(ge=0, le=1)] | None = None
    threads: Annotated[int, Field(ge=1)] = 1
    mip_start: bool = Field(True, description="start each scenario from the previous layout (a chunk's first "
                            "scenario from the greedy layout)")
    flow_linking: Literal["none", "disaggregated"] = "none"
    search_lns: Annotated[float, Field(ge=0, le=0.9)] = Field(
        0.0, description="share of each scenario's search given to fix-and-optimize between HiGHS's callbacks "
        "(yrdopt.lns.SearchLns; 0 = off)")
    profile: Literal["auto", "resolve", "highs"] = Field(
        "auto", description="resolve: presolve and HiGHS's RINS/RENS sub-MIPs off, fastest on small models; "
        "highs: HiGHS's defaults; auto: resolve up to 200 binary columns, highs above (measured, README)")
    highs: dict[str, bool | int | float | str] = Field(
        default_factory=dict, description="any other HiGHS option by its HiGHS name, applied last")

    @field_validator("time_limit", mode="before")
    @classmethod
    def _time_limit_rule(cls, v):
        from ..solver import time_limit_problem

        if isinstance(v, str):  # PyYAML reads 5e0 as text: a number here, as in every other number field
            try:
                v = float(v)
            except ValueError:
                pass
        if v is not None and (problem := time_limit_problem(v)):  # the CLI's and workbench's rule and words
            raise ValueError(problem)
        return v

    @field_validator("threads", "seed")
    @classmethod
    def _solver_range(cls, v, info):
        from ..solver import SolverOptions

        # the ranges yrdopt.solve checks (threads 1..4 per core, seed 0..2^31-1), found with the
        # spec, before OUT is touched, rather than by the first worker
        for _name, _value, expected in SolverOptions(**{info.field_name: v}).problems():
            raise ValueError(expected)
        return v

    @field_validator("highs")
    @classmethod
    def _known_highs_options(cls, v: dict) -> dict:
        from ..solver import check_highs_options

        check_highs_options(v, SWEEP_OWNED_OPTIONS)  # ValueError -> a validation error at solver.highs
        return v

    def fingerprint(self) -> dict:
        """What can change a scenario's answer (within the gap, or at a time limit): part of
        the scenario id.  The profile is part of it: ``auto`` resolves by the instance's size,
        which the id already covers."""
        fp = {"time_limit": self.time_limit, "mip_gap": self.mip_gap, "seed": self.seed,
              "presolve": self.presolve, "mip_heuristic_effort": self.mip_heuristic_effort,
              "flow_linking": self.flow_linking, "profile": self.profile}
        if self.search_lns:  # absent when off: ids of sweeps without it do not change
            fp["search_lns"] = self.search_lns
        if self.highs:
            fp["highs"] = dict(sorted(self.highs.items()))
        return fp

    def solver_options(self, binaries: int):
        """HiGHS options of every scenario of a model with ``binaries`` binary columns."""
        from ..solver import SolverOptions

        profile = self.resolved_profile(binaries)
        kw = dict(time_limit=self.time_limit, mip_gap=self.mip_gap, threads=self.threads, seed=self.seed,
                  mip_heuristic_effort=self.mip_heuristic_effort, highs=dict(self.highs))
        if self.presolve is not None:
            kw["presolve"] = self.presolve  # an explicit choice, even "choose", beats the profile
        return SolverOptions.for_resolves(**kw) if profile == "resolve" else SolverOptions(**kw)

    def resolved_profile(self, binaries: int) -> str:
        """The profile for a model with ``binaries`` binary columns.  A worker decides it once,
        from the base model: a scenario that rebuilds the model keeps it."""
        from ..solver import RESOLVE_MAX_BINARIES

        if self.profile == "auto":
            return "resolve" if binaries <= RESOLVE_MAX_BINARIES else "highs"
        return self.profile


class Robust(_Model):
    enabled: bool = True
    candidates: Annotated[int, Field(ge=1, le=200)] = Field(
        6, description="most frequent distinct layouts evaluated under every scenario")


class SweepSpec(_Model):
    name: str = Field("sweep", min_length=1)
    description: str = ""
    instance: str | None = Field(None, description="instance file, relative to the spec file; none = embedded default")
    parameters: list[Parameter] = Field(min_length=1)
    design: Design = Field(default_factory=Design)
    solver: SweepSolver = Field(default_factory=SweepSolver)
    check: bool = Field(True, description="re-check every layout with the independent checker")
    chunk_size: Annotated[int, Field(ge=1, le=10_000)] = Field(
        8, description="scenarios a worker solves in a row (each chunk starts from the base model, "
                       "so results do not depend on the backend or the number of workers)")
    robust: Robust = Field(default_factory=Robust)
    # where the spec came from (resolving `instance`); not part of the file
    _source: str | None = PrivateAttr(None)

    @property
    def source(self) -> str | None:
        return self._source

    def name_problems(self, file: str) -> list[Problem]:
        """A parameter whose name (its path when unnamed) another one, or one of results.csv's
        own columns (:data:`RESERVED_NAMES`), already has: the results' columns would collide."""
        first: dict[str, int] = {}
        out = []
        for j, p in enumerate(self.parameters):
            if p.label in RESERVED_NAMES:
                out.append(Problem(file, f"parameters[{j}].{'name' if p.name else 'path'}", p.label,
                                   f"a name that is not one of results.csv's own columns "
                                   f"({', '.join(RESERVED_NAMES)}); e.g. {p.label + '_weight'!r}"))
            elif p.label in first:
                out.append(Problem(file, f"parameters[{j}].{'name' if p.name else 'path'}", p.label,
                                   f"a name no other parameter has (parameters[{first[p.label]}] is also called "
                                   f"{p.label!r}; give `name:` to tell them apart)"))
            first.setdefault(p.label, j)
        return out

    def instance_path(self) -> Path | None:
        if self.instance is None:
            return None
        p = Path(self.instance)
        if not p.is_absolute() and self.source:
            p = Path(self.source).parent / p
        return p


# where a sweep spec's fields are documented (`yrdopt schema` covers instance files only)
SPEC_FIELDS_HELP = "a sweep spec's fields: README, section \"Sensitivity sweeps\", or `yrdopt sweep --help`"


def load_spec(source: "SweepSpec | dict | str | Path") -> SweepSpec:
    """Read and validate a sweep spec; raise :class:`InstanceError` naming file and field."""
    from ..io import pydantic_problems, read_mapping

    if isinstance(source, SweepSpec):
        spec, file = source, source.source or "<spec>"
    else:
        file, data = "<spec>", source
        if not isinstance(source, dict):
            path = Path(source)
            file = str(path)
            if not path.is_file():
                raise InstanceError([Problem(file, "", "missing file", "an existing sweep spec (.yaml or .json)")])
            data = read_mapping(path, "a sweep spec: a mapping with parameters: (and instance:, design:, solver:, ...)")
        try:
            spec = SweepSpec.model_validate(data)
        except ValidationError as exc:
            raise InstanceError(pydantic_problems(exc, file, SweepSpec, SPEC_FIELDS_HELP)) from None
        if file != "<spec>":
            spec._source = file
    if problems := spec.name_problems(file):
        raise InstanceError(problems)
    return spec
