"""One worker's solver: a persistent HiGHS model, patched and re-solved scenario by scenario.

Each worker process (or Dask worker thread) holds one :class:`ScenarioSolver` per sweep.
A chunk of scenarios starts from the base model loaded afresh, so what a scenario's
solve sees (model, MIP start, HiGHS state) depends only on its chunk — never on which
worker ran it or what it ran before.  That is why every backend gives the same tables.  A
chunk resumed after a crash gets the layouts its scenarios stored before (:meth:`ScenarioSolver.restore`),
so its later scenarios start as they would have without the crash.

A scenario's record is a small JSON-ready dict: parameter values, status, objective and
terms, gap, timings, the layout in long form, and for a failed scenario the reason (for
an infeasible one, the planner-level explanation of :func:`yrdopt.analysis.diagnose.explain_infeasibility`).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import build_model_data
from ..errors import InstanceError
from ..model.compiled import BuildOptions, CompiledModel, build
from ..solver import HAS_SOLUTION, STATUS_TEXT, HighsSolver, SolveResult, checked_status, counts_as_solved
from .apply import InPlaceModel, patchable, resolve_parameters, scenario_dict, validate_instance
from .design import Scenario
from .spec import Parameter, SweepSolver

# a scenario's start is chosen among the layouts of the chunk's last STARTS_KEPT scenarios: each
# is checked for fit (~1 ms on yrd-cities), and of those that do not fit only the STARTS_REPAIRED
# cheapest under the scenario's costs are repaired (2-20 ms each).  Without a cap the starts of a
# chunk took time growing with the square of its size (a chunk of 50 on yrd-cities: 1.2 s per
# scenario in its second half; formulation.md section 11)
STARTS_KEPT = 32
STARTS_REPAIRED = 8


@dataclass(frozen=True)
class Context:
    """Everything a worker needs, picklable and shipped once per worker."""

    key: str  # identifies the sweep (instance hash + spec), for caching solvers in workers
    base: dict  # the base instance as a JSON-ready dict
    parameters: tuple[dict, ...]  # Parameter dumps
    solver: dict  # SweepSolver dump
    check: bool
    out: str | None = None  # results directory, written to directly when this worker can see it
    token: str | None = None  # the directory's token, to be sure it is the same directory

    @classmethod
    def for_spec(cls, spec, base: dict, key: str, *, check: bool | None = None, out: str | None = None,
                 token: str | None = None) -> "Context":
        """The context of a validated :class:`SweepSpec` over the base instance ``base``."""
        return cls(key=key, base=base, parameters=tuple(p.model_dump(mode="json") for p in spec.parameters),
                   solver=spec.solver.model_dump(mode="json"), check=spec.check if check is None else check,
                   out=out, token=token)


class ScenarioSolver:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.params = [Parameter.model_validate(p) for p in ctx.parameters]
        self.resolved = resolve_parameters(ctx.base, self.params)
        self.opts = SweepSolver.model_validate(ctx.solver)
        self.build_options = BuildOptions(flow_linking=self.opts.flow_linking)
        self.base_inst = validate_instance(ctx.base, "base instance")
        # milestone periods: every scenario is one MILP over all periods, rebuilt (_solve_phased)
        self.phased = self.base_inst.periods is not None
        if self.phased:
            from ..model.periods import build_phased

            self.base_cm = build_phased(self.base_inst, self.build_options).cm
        else:
            self.base_cm = build(build_model_data(self.base_inst), self.build_options)
        binaries = self.binaries = int(np.count_nonzero(self.base_cm.integrality))
        self.profile = self.opts.resolved_profile(binaries)
        # HiGHS's options with and without a MIP start (they differ on large models): a scenario
        # gets the pair's member for the start it ends up with (_use_options)
        self.highs_options = {has_start: self._highs_options(has_start) for has_start in (True, False)}
        self.solver = HighsSolver(self.highs_options[self.opts.mip_start])
        self.model: InPlaceModel | None = None  # set while the base model (patched or not) is loaded
        self.loaded: CompiledModel | None = None
        self.pool: list[np.ndarray] = []  # the layouts of this chunk's scenarios solved last (STARTS_KEPT)
        self.starts_kept: int | None = STARTS_KEPT  # None: every layout of the chunk (benchmarks)
        self.starts_repaired: int | None = STARTS_REPAIRED  # None: every one that does not fit
        self.constructed = False  # whether construct made the last start (benchmarks/sweep_starts.py reads it)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        _load_scenario_modules(self.ctx.check)

    # -- state ---------------------------------------------------------------------------
    def begin_chunk(self) -> None:
        """Load the base model afresh: a chunk never depends on what the worker did before."""
        self._load_base()
        self._use_options(self.opts.mip_start)
        self.pool = []

    def solve_order(self, chunk: list[Scenario]) -> list[Scenario]:
        """The order to solve a chunk in: the tightest scenario first (the largest mean share of
        its regions' room a segment needs, :func:`yrdopt.lns.tightness`), so that a layout that
        fits a tight scenario is there to start the looser ones from (it fits them where only
        quotas grew).  Without MIP starts, or for milestone plans (each scenario its own
        solve), the chunk's own order."""
        if not self.opts.mip_start or self.phased or len(chunk) < 2:
            return list(chunk)
        from ..lns import tightness

        def tight(sc: Scenario) -> float:
            try:
                d = build_model_data(validate_instance(scenario_dict(self.ctx.base, self.resolved, sc.values), "s"))
            except Exception:  # an invalid scenario is reported by solve, in any order
                return 0.0
            return float(tightness(d).mean()) if d.S else 0.0

        keys = {sc.id: tight(sc) for sc in chunk}
        return sorted(chunk, key=lambda sc: (-keys[sc.id], sc.index))

    def restore(self, records: list[dict]) -> None:
        """Refill the starts of a chunk resumed after a crash (``--resume``) from the stored
        records of its scenarios solved before (``records``; the pool otherwise holds only
        layouts solved in this process).  In the order they were solved (:meth:`solve_order`),
        the last :data:`STARTS_KEPT`: each record's sites, expansions and parks
        (``place_index``, ``expand_index``, ``park_index``) re-solved as the fixed-placement LP
        under its own scenario — the LP that polished it (:meth:`_polish`), so the pool holds the
        vectors an uninterrupted run held — else its stored activities with flows in proportion
        (:func:`yrdopt.heuristic.start_vector`).  Like every earlier layout, one is a start for a
        later scenario only where it fits it (:func:`yrdopt.lns.fits`) or once repaired (:meth:`_start`)."""
        if not self.opts.mip_start or self.phased:
            return
        by_id = {r["scenario"]: r for r in records if r.get("ok") and r.get("place_index") is not None}
        done = self.solve_order([Scenario(sid, int(r["index"]), r.get("params") or {}) for sid, r in by_id.items()])
        for sc in done[-self.starts_kept:] if self.starts_kept is not None else done:
            try:
                x = self._stored_vector(sc, by_id[sc.id])
            except Exception:  # a start is a courtesy: a record it cannot use is skipped
                continue
            if x is not None:
                self._remember(x)

    def _stored_vector(self, sc: Scenario, rec: dict) -> np.ndarray | None:
        """The full column vector of a stored record's layout under its own scenario (:meth:`restore`)."""
        from ..heuristic import GreedyLayout, start_vector
        from ..model.fixed import lp_polish

        d = build_model_data(validate_instance(scenario_dict(self.ctx.base, self.resolved, sc.values), "stored"))
        cm = build(d, self.build_options)
        place = np.zeros(d.S * d.R, dtype=bool)
        place[rec["place_index"]] = True
        activity = np.zeros(d.S * d.R)
        activity[rec["place_index"]] = [row[3] for row in rec["layout"]]
        expand = np.zeros(d.E, dtype=bool)
        expand[rec.get("expand_index") or []] = True
        parks = None
        if d.N and rec.get("park_index") is not None:
            parks = np.zeros(d.N, dtype=bool)
            parks[rec["park_index"]] = True
        x = start_vector(cm, GreedyLayout(activity.reshape(d.S, d.R), place.reshape(d.S, d.R), expand, parks))
        threads = self.opts.solver_options(self.binaries).threads  # the polish's (lp_polish: the MIP's)
        found = SolveResult("time_limit_with_incumbent", "", None, None, None, x,
                            solver={"options": {"threads": threads}})
        return lp_polish(cm, found).x[: cm.n_cols]

    def _load_base(self) -> None:
        self.solver.h.clearSolver()
        self.solver.load(self.base_cm)
        self.model = InPlaceModel(self.solver.h, self.base_cm)
        self.loaded = self.base_cm

    def _load(self, cm: CompiledModel) -> None:
        self.solver.h.clearSolver()
        self.solver.load(cm)
        self.model = None
        self.loaded = cm

    def prepare(self, sc: Scenario):
        """The scenario's instance and model, loaded into HiGHS (patched in place when possible)."""
        data = scenario_dict(self.ctx.base, self.resolved, sc.values)
        inst = validate_instance(data, f"scenario {sc.id}")
        d = build_model_data(inst)
        changed = [p for p in self.resolved if not _unchanged(p, sc.values.get(p.label))]
        if all(p.inplace for p in changed) and patchable(self.base_cm.data, d):
            if self.model is None:
                self._load_base()
            cm = self.model.patch(d)
            update = "in_place"
        else:
            cm = build(d, self.build_options)
            self._load(cm)
            update = "rebuild"
        return inst, cm, update

    # -- one scenario --------------------------------------------------------------------------
    def solve(self, sc: Scenario) -> dict[str, Any]:
        t0 = time.perf_counter()
        rec: dict[str, Any] = {"scenario": sc.id, "index": sc.index, "params": sc.values, "worker": self.worker}
        if self.phased:
            return self._solve_phased(sc, rec, t0)
        try:
            inst, cm, update = self.prepare(sc)
        except InstanceError as exc:
            return {**rec, "status": "invalid", "ok": False, "reason": exc.message(), "total_s": time.perf_counter() - t0}
        except Exception as exc:  # a bug must not stop the sweep: record it, start clean
            self.model = None
            return {**rec, "status": "error", "ok": False, "reason": f"{type(exc).__name__}: {exc}",
                    "total_s": time.perf_counter() - t0}
        t_start = time.perf_counter()
        start, start_from = self._start(cm)
        start = self._improve_start(cm, start, time.perf_counter() - t_start)
        start_s = time.perf_counter() - t_start
        # the cost of a start only where it is a layout of this scenario (a greedy layout that
        # misses a hard guarantee is not, and its cost could read like a bound)
        from ..lns import layout_cost

        rec.update(start_s=start_s, start_objective=layout_cost(cm, start))
        self.solver.primal = self._search_lns(cm)
        prep_s = time.perf_counter() - t0
        try:
            # a constructed start's seconds come out of the scenario's time limit, and so do the polish's
            highs_limit = self._highs_limit(cm, start_s)
            self._use_options(start is not None)
            res = self.solver.solve(start, time_limit=highs_limit)
        except Exception as exc:
            self.model = None
            return {**rec, "status": "error", "ok": False, "reason": f"HiGHS failed: {type(exc).__name__}: {exc}",
                    "update": update, "total_s": time.perf_counter() - t0}
        rec.update(update=update, mip_start=start_from, profile=self.profile, status=res.status, ok=res.has_solution,
                   highs_status=res.highs_status, highs_limit_s=highs_limit, solve_s=res.solve_s, prep_s=prep_s,
                   nodes=res.nodes)
        if res.has_solution:
            res = self._polish(cm, res, rec, t_start)
            rec["status"] = res.status  # "optimal" only if the polished cost and the bound still prove it (lp_polish)
            x = res.x
            rec.update(objective=res.objective, bound=res.bound, gap=res.gap, terms=cm.components(x),
                       reason=None if res.status == "optimal" else res.message)
            rec.update(_layout_lists(cm, x))
            if self.ctx.check:
                rec.update(_check(inst, cm, x, res.objective))
                # its status, bound and gap re-derived by the claims check's rules (a false one: not_verified)
                rec.update(claims_as_checked(rec, res.solver.get("gap_requested"), tolerances=res.solver.get("tolerances")))
                status = checked_status(rec["status"], rec["verified"])  # no more than the checker confirms
                if status != rec["status"]:
                    # kept in the record, marked, but no solved scenario: not in any count or summary
                    rec.update(status=status, status_before_check=rec["status"], reason=STATUS_TEXT[status],
                               ok=counts_as_solved(status))
            else:
                rec.update(as_unchecked(rec))
            if rec["ok"]:  # a rejected layout is no start for the chunk's later scenarios (nor after --resume: restore)
                self._remember(x)
        else:
            rec.update(objective=None, bound=res.bound, reason=self._reason(inst, res, t_start))
        rec["total_s"] = time.perf_counter() - t0
        return rec

    def _solve_phased(self, sc: Scenario, rec: dict[str, Any], t0: float) -> dict[str, Any]:
        """A scenario of a phased instance: :func:`yrdopt.phasing.solve_phased` on the scenario's
        instance (rebuilt; started from the myopic plan when ``mip_start``), checked period by
        period.  ``layout`` holds the last milestone's sites (where the plan ends)."""
        from ..errors import InfeasibleError
        from ..phasing import solve_phased

        try:
            inst = validate_instance(scenario_dict(self.ctx.base, self.resolved, sc.values), f"scenario {sc.id}")
        except InstanceError as exc:
            return {**rec, "status": "invalid", "ok": False, "reason": exc.message(), "total_s": time.perf_counter() - t0}
        binaries = int(np.count_nonzero(self.base_cm.integrality))
        start = "myopic" if self.opts.mip_start else "none"
        rec.update(update="rebuild", mip_start=start, profile=self.profile)
        try:
            # the chunk's stop flag (Ctrl-C in-process, a stop from the caller) reaches its HiGHS too
            sol = solve_phased(inst, options=self.opts.solver_options(binaries), start=start, check=self.ctx.check,
                               stop=self.solver.stop)
        except InfeasibleError as exc:  # explained per period by solve_phased (phasing.explain_infeasible_plan)
            return {**rec, "status": "infeasible", "ok": False, "objective": None,
                    "reason": exc.explanation, "total_s": time.perf_counter() - t0}
        except Exception as exc:  # a bug or a solver failure must not stop the sweep
            return {**rec, "status": "error", "ok": False, "reason": f"{type(exc).__name__}: {exc}",
                    "total_s": time.perf_counter() - t0}
        s = sol.summary
        last = sol.layout[(sol.layout["period"] == sol.layout["period"].max()) & sol.layout["sited"]]
        exps = sol.expansions
        taken = exps[(exps["period"] == exps["period"].max()) & exps["taken"].astype(bool)] if len(exps) else exps
        rec.update(status=s["status"], ok=counts_as_solved(s["status"]), solve_s=s["timings"]["solve_s"], objective=s["objective"],
                   bound=s["bound"], gap=s["gap"], terms=s["components"],
                   reason=None if s["status"] == "optimal" else s.get("status_text"),
                   layout=[[r.chain, r.segment, r.region, float(r.activity)] for r in last.itertuples()],
                   expansions=[f"{r.region}/{r.option}" for r in taken.itertuples()] if len(taken) else [])
        rec.update(polished=bool(s["solver"].get("polished")), mip_objective=s["solver"].get("mip_objective"),
                   polish_s=s["timings"].get("polish_s"))
        if self.ctx.check:
            rec.update(verified=bool(s["verified"]), max_violation=s["max_violation"],
                       check_objective=(s.get("check") or {}).get("objective"),
                       false_claims=(s.get("check") or {}).get("false_claims") or [])
            if "status_before_check" in s:
                rec["status_before_check"] = s["status_before_check"]
        else:
            rec.update(as_unchecked(rec))
        rec["total_s"] = time.perf_counter() - t0
        return rec

    def _start(self, cm: CompiledModel) -> tuple[np.ndarray | None, str]:
        """The MIP start: the cheapest, under this scenario's costs, of the layouts of the
        chunk's scenarios solved before (the last :data:`STARTS_KEPT`) that fit it (``previous``),
        the :data:`STARTS_REPAIRED` cheapest of those that do not fit repaired by the greedy in the
        room the rest leaves (``repaired``, :func:`yrdopt.lns.repair` without its sub-MILP) and the greedy layout (``greedy``, as ``yrdopt.solve`` offers: on
        large instances HiGHS alone may find no layout within a scenario's time limit; it competes
        only where it fits, for the greedy may miss a hard guarantee).  Each costs milliseconds.
        Only where none is found, within the share of the time limit ``yrdopt.solve`` gives
        :func:`yrdopt.lns.construct` (:func:`yrdopt.deadline.construct_seconds`): the earlier layout
        that needs the fewest segments re-placed, with those constructed (``repaired``), else
        ``construct``'s layout (``constructed``, within a whole share again).  The
        repair by a sub-MILP of every chain freed is not used: on the city sweep it found a
        layout for one scenario in 17 and cost its share each time.  A greedy layout that misses a
        rule is offered (``greedy``) only where all of that finds nothing."""
        self.constructed = False  # whether construct ran (alone or on the chains a repair freed)
        if not self.opts.mip_start:
            return None, "none"
        from ..deadline import construct_seconds
        from ..heuristic import greedy_start
        from ..lns import cost_of, fits, repair, start_where_greedy_is_stuck

        try:
            found = self._from_pool(cm)
            greedy = greedy_start(cm)  # ~10 ms at 41 regions x 30 chains
            if greedy is not None and fits(cm, greedy):
                found.append((greedy, "greedy"))
            if found:  # all fit: the cheapest is the best start
                return found[int(np.argmin([cost_of(cm, x) for x, _ in found]))]
            # a greedy layout that misses a rule (a hard guarantee) is no start (HiGHS drops it):
            # construct one that keeps every rule, and offer the greedy's only if that fails too
            seconds = construct_seconds(self.opts.time_limit)
            self.constructed = True
            near = self._nearest(cm)
            if near is not None:  # keep what still fits of the closest layout, construct the rest
                x = repair(cm, near, seconds, self.solver.stop, fallback="construct")
                if x is not None:
                    return x, "repaired"
            # construct keeps its whole share after a repair that found nothing: with half of it
            # one city scenario under load was left without any layout
            x = start_where_greedy_is_stuck(cm, seconds, self.solver.stop)
            if x is None and greedy is not None:
                return greedy, "greedy"
        except Exception:  # a start is a courtesy: a bug in it must not cost the scenario
            x = None
        return (x, "constructed") if x is not None else (None, "none")

    def _from_pool(self, cm: CompiledModel) -> list[tuple[np.ndarray, str]]:
        """The chunk's earlier layouts that fit ``cm`` (``previous``) and the
        :data:`STARTS_REPAIRED` cheapest of those that do not, repaired by the greedy
        (``repaired``; those it cannot repair left out)."""
        from ..lns import cost_of, fits, repair

        found: list[tuple[np.ndarray, str]] = []
        broken = []
        for x in self.pool:
            if len(x) != cm.n_cols:  # solved on a rebuilt model of another shape
                continue
            (found if fits(cm, x) else broken).append((x, "previous"))
        # the layouts that break this scenario (a quota cut, a grown segment): the cheapest under
        # its costs re-placed where they break it
        broken.sort(key=lambda xs: cost_of(cm, xs[0]))
        for x, _ in broken[:self.starts_repaired] if self.starts_repaired is not None else broken:
            x = repair(cm, x, 0.0, self.solver.stop, fallback=None)
            if x is not None:
                found.append((x, "repaired"))
        return found

    def _improve_start(self, cm: CompiledModel, x: np.ndarray | None, spent: float) -> np.ndarray | None:
        """The start improved by :func:`yrdopt.lns.improved_layout` (chain pairs re-solved with
        the rest fixed) within the share of the time limit ``construct`` gets, less what finding
        the start took beyond one such share (``spent`` seconds): on the city
        sweep under load HiGHS explores no node in 10 s and rarely improves a start, while chain
        pairs lower a constructed start by 5-11 % in 4 s.  Not on models HiGHS re-solves with
        the re-solve profile (at most :data:`yrdopt.solver.RESOLVE_MAX_BINARIES` binaries): it
        proves those in the time one chain pair takes."""
        from ..solver import RESOLVE_MAX_BINARIES

        if x is None or not self.opts.mip_start or self.binaries <= RESOLVE_MAX_BINARIES:
            return x
        from ..deadline import construct_seconds
        from ..lns import fits, improved_layout

        try:
            if not fits(cm, x):  # a greedy layout that misses a guarantee: nothing to improve from
                return x
            share = construct_seconds(self.opts.time_limit)
            return improved_layout(cm, x, min(share, 2 * share - spent), self.solver.stop, self.opts.seed)
        except Exception:  # a start is a courtesy: a bug in it must not cost the scenario
            return x

    def _remember(self, x: np.ndarray) -> None:
        """Keep ``x`` as a start for the chunk's later scenarios (the last :data:`STARTS_KEPT`)."""
        self.pool.append(x)
        if self.starts_kept is not None:
            del self.pool[:-self.starts_kept]

    def _nearest(self, cm: CompiledModel) -> np.ndarray | None:
        """The chunk's earlier layout whose repair re-places the fewest segments in ``cm``."""
        from ..lns import freed_segments

        best, fewest = None, np.inf
        for x in self.pool:
            segs = freed_segments(cm, x) if len(x) == cm.n_cols else None
            if segs is not None and len(segs) < fewest:
                best, fewest = x, len(segs)
        return best

    def _search_lns(self, cm: CompiledModel):
        """Fix-and-optimize during this scenario's search, if the spec asks for it."""
        if not self.opts.search_lns:
            return None
        from ..lns import SearchLns, applies

        return SearchLns(cm, share=self.opts.search_lns, threads=self.opts.threads, seed=self.opts.seed) \
            if applies(cm.data) else None

    def _highs_options(self, has_start: bool):
        """HiGHS's options for a scenario with (``has_start``) or without a MIP start: the spec's,
        with what :func:`yrdopt.solve` sets for a model of this size under a time limit
        (:func:`yrdopt.deadline.highs_options_for`: presolve probing off above
        :data:`yrdopt.deadline.PROBING_MAX_BINARIES` binaries, where HiGHS 1.16 overran a 10 s
        limit by seconds in probing; :func:`yrdopt.deadline.root_options_for` with a start: a
        scenario that ends up without one keeps HiGHS's feasibility jump, its first layout).  A
        choice the spec makes itself (``highs``) wins."""
        from dataclasses import replace

        from ..deadline import highs_options_for, root_options_for

        options = self.opts.solver_options(self.binaries)
        if options.time_limit is None:
            return options
        _, highs = highs_options_for(options.time_limit, self.base_cm.n_cols, self.binaries, options.highs)
        return replace(options, highs=root_options_for(self.binaries, has_start, highs))

    def _use_options(self, has_start: bool) -> None:
        """Give HiGHS the options for a scenario with or without a MIP start (a no-op where they are set)."""
        options = self.highs_options[has_start]
        if self.solver.options != options:
            self.solver.apply_options(options)

    def _highs_limit(self, cm: CompiledModel, start_s: float) -> float | None:
        """HiGHS's time limit for a scenario whose start took ``start_s`` seconds: what is left of
        the scenario's limit less :meth:`_after_solve_reserve`, at least 5 % of the limit."""
        if self.opts.time_limit is None:
            return None
        left = self.opts.time_limit - start_s
        return max(left - self._after_solve_reserve(cm), 0.05 * self.opts.time_limit)

    def _after_solve_reserve(self, cm: CompiledModel) -> float:
        """What a scenario keeps back from HiGHS for its overrun, the polish and the check: what
        ``yrdopt.solve`` keeps on a model of this size (:func:`yrdopt.deadline.after_solve_reserve`),
        without writing files (a scenario writes a small record).  Scaled by all columns: the
        overrun scaled by the live ones instead (yrd-cities: 0.64 s, not 1.27 s) made 9-12 of 40
        scenarios overrun their 10 s, by up to 0.82 s, under load (README, *Sensitivity sweeps*;
        ``benchmarks/sweep_starts.py --variants now,reserve_live_overrun``)."""
        from ..deadline import after_solve_reserve

        return after_solve_reserve(cm.n_cols, files=False)

    def _polish_limit(self, cm: CompiledModel, t_start: float) -> float | None:
        """The polish's time limit: what is left of the scenario's limit (counted from ``t_start``),
        at least what the polish and the check of a layout need on a model of this size
        (:func:`yrdopt.deadline.polish_reserve`): a layout left unpolished may miss a row by
        HiGHS's tolerance, which the checker then reports."""
        from ..deadline import polish_reserve

        if self.opts.time_limit is None:
            return None
        return max(self.opts.time_limit - (time.perf_counter() - t_start), polish_reserve(cm.n_cols))

    def _polish(self, cm: CompiledModel, res, rec: dict[str, Any], t_start: float):
        """``res`` with its layout's activities and flows re-solved as the fixed-placement LP
        (:func:`yrdopt.model.fixed.lp_polish`, as :func:`yrdopt.solve` does): HiGHS accepts MIP
        layouts that violate rows by up to its feasibility tolerance (1e-6 absolute), which the
        checker may reject; the LP's tolerance is tighter, and its optimum costs no more than the
        MIP's layout (which it contains).  The gap is recomputed from the polished objective and
        HiGHS's bound.  The LP gets what is left of the scenario's limit (:meth:`_polish_limit`);
        where it does not solve to optimality, HiGHS's layout stays.  The record says which
        (``polished``), what HiGHS's layout cost (``mip_objective``) and how long the polish took
        (``polish_s``)."""
        from ..model.fixed import lp_polish

        t = time.perf_counter()
        try:
            out = lp_polish(cm, res, time_limit=self._polish_limit(cm, t_start))
        except Exception as exc:  # the polish is a courtesy: HiGHS's layout stands (and is checked as it is)
            out = res
            rec["polish_error"] = f"{type(exc).__name__}: {exc}"
        rec.update(polished=out is not res, mip_objective=res.objective, polish_s=time.perf_counter() - t)
        return out

    def _reason(self, inst, res, t_start: float) -> str:
        """Why a scenario has no layout; an infeasible one diagnosed within what is left of its
        time limit (counted from ``t_start``, its start's time included)."""
        if res.status in ("infeasible", "infeasible_or_unbounded"):
            from ..analysis.diagnose import diagnosis_deadline, explain_infeasibility
            from ..deadline import Deadline

            try:
                left = Deadline(self.opts.time_limit, t_start).left()
                # the chunk's stop (Ctrl-C in-process, a stop from the caller) ends the diagnosis's HiGHS runs too
                return explain_infeasibility(inst, deadline=diagnosis_deadline(left, self.solver.stop))[0]
            except Exception as exc:  # the explanation is a courtesy; the status stands
                return f"{res.message} (explanation failed: {exc})"
        if res.status == "time_limit_no_incumbent":
            return f"{res.message} (time limit {self.opts.time_limit} s)"
        if res.solver.get("no_layout_at_loosened_tolerances"):
            # the words say what HiGHS said, and with which tolerances: "(HiGHS: Infeasible)" after them
            # would read as a proof
            return res.message
        return f"{res.message} (HiGHS: {res.highs_status})"

    # -- robust-layout phase ------------------------------------------------------------------
    def evaluate(self, sc: Scenario, candidates: list[dict]) -> dict[str, Any]:
        """Cost of each candidate layout (sites and parks fixed, activities and flows free)
        under this scenario: a fixed-placement re-solve per candidate, its layout polished
        (:meth:`_polish`) and judged by the independent checker as a scenario's is (``check``).  Per candidate, in lists: ``costs``,
        ``status`` (the checker's word: "not_verified" where it rejects the re-solved layout,
        whose cost is then no figure, ``None``; "unchecked" with ``check: false``), what HiGHS
        alone said (``status_before_check``), ``verified``, ``max_violation``, the cost claimed
        (``objective``) and the one the checker recomputed (``check_objective``) (``None`` where
        no layout was judged), and whether the polish's LP replaced HiGHS's layout (``polished``;
        ``None`` where the re-solve had no layout)."""
        t0 = time.perf_counter()
        keys = ("costs", "status", "status_before_check", "verified", "max_violation", "objective", "check_objective",
                "polished")
        rec: dict[str, Any] = {"scenario": sc.id, "index": sc.index, **{key: [] for key in keys}}

        def add(cost, status, before=None, verified=None, violation=None, claimed=None, recomputed=None,
                polished=None):
            for key, value in zip(keys, (cost, status, before, verified, violation, claimed, recomputed, polished)):
                rec[key].append(value)

        try:
            inst, cm, _ = self.prepare(sc)
        except Exception as exc:
            self.model = None
            return {**rec, "error": f"{type(exc).__name__}: {exc}", "total_s": time.perf_counter() - t0}
        P, E = cm.var("place"), cm.var("expand")
        lo0, hi0 = cm.col_lower, cm.col_upper  # the bounds HiGHS holds (patched or rebuilt)
        cols = np.r_[np.arange(P.start, P.stop), np.arange(E.start, E.stop)].astype(np.int32)
        try:
            for cand in candidates:
                place = np.asarray(cand["place"], dtype=float)
                expand = np.asarray(cand["expand"], dtype=float)
                if place.size != P.size or expand.size != E.size:
                    add(None, "not_comparable")
                    continue
                fix = np.r_[place, expand]
                if np.any(fix < lo0[cols] - 1e-9) or np.any(fix > hi0[cols] + 1e-9):
                    add(float("inf"), "violates_policy")
                    continue
                self.solver.set_col_bounds(cols, fix, fix)
                t_candidate = time.perf_counter()
                res = self.solver.solve()
                if not res.has_solution:
                    add(float("inf"), res.status)
                    continue
                # polished as a scenario's own layout is (_polish) before the checker judges it:
                # HiGHS's point may miss a row by its own tolerance where the exact LP point does not
                polish: dict[str, Any] = {}
                res = self._polish(cm, res, polish, t_candidate)
                if not self.ctx.check:  # its cost stands, as unchecked as the scenarios'
                    add(res.objective, "unchecked", res.status, polished=polish["polished"])
                else:
                    judged = _check(inst, cm, res.x, res.objective)
                    status = checked_status(res.status, judged["verified"])
                    add(res.objective if counts_as_solved(status) else None, status, res.status,
                        judged["verified"], judged["max_violation"], res.objective, judged["check_objective"],
                        polish["polished"])
        finally:  # the next scenario patches this model: it must hold the scenario's own bounds
            self.solver.set_col_bounds(cols, lo0[cols], hi0[cols])
        rec["total_s"] = time.perf_counter() - t0
        return rec


def as_unchecked(rec: dict[str, Any]) -> dict[str, Any]:
    """The fields to change in the record of a scenario solved with the checker off (``check:
    false``): a layout no checker judged claims no status of its own ("unchecked", what HiGHS
    said in ``status_before_check``, ``verified`` empty).  It still counts as solved (``ok``:
    frequencies, tornado, robust layout), each of those then as unchecked as it is.  Records
    without a layout, and those already judged, change nothing."""
    status = rec.get("status")
    if status not in HAS_SOLUTION or status in ("not_verified", "unchecked") or rec.get("verified") is not None:
        return {}
    return {"status": "unchecked", "status_before_check": status, "verified": None,
            # the status is yrdopt's, from the objective and the bound (the polish's), not HiGHS's word
            "reason": f"{STATUS_TEXT['unchecked']}; the solve said {status} (not checked: check is off in the spec)"}


def claims_as_checked(rec: dict[str, Any], gap_requested: dict | None, highs: dict | None = None,
                      tolerances: dict | None = None) -> dict[str, Any]:
    """The fields to change in a verified scenario record whose claims - status, objective, bound and
    gap - the claims check of summary.json (:func:`yrdopt.claims.check_claims`, the one place for those
    rules) finds false against the objective the checker recomputed (``check_objective``): the record is
    then rejected as one that breaks a limit is ("not_verified", not solved, the false claims in words in
    its reason and ``false_claims``).  Before, a record's bound, gap and "optimal" were never re-derived: a bound above
    its polished objective, a gap that does not follow from objective and bound, or "optimal" with a gap
    above the requested one would have been recorded as verified.  ``gap_requested``: HiGHS's relative
    and absolute gaps; ``highs``/``tolerances``: the HiGHS options given, the tolerances HiGHS held (a
    loosened one proves no bound).  A record its own solve's claims check judged (a phased plan's,
    ``false_claims`` written) and one not verified change nothing."""
    if rec.get("verified") is not True or rec.get("check_objective") is None or "false_claims" in rec:
        return {}
    from ..claims import check_claims

    solver: dict[str, Any] = {"options": {"highs": dict(highs or {})}}
    if tolerances:
        solver["tolerances"] = tolerances
    claimed = {"status": rec.get("status"), "objective": rec.get("objective"), "bound": rec.get("bound"),
               "gap": rec.get("gap"), "gap_requested": gap_requested, "solver": solver}
    false = [str(c) for c in check_claims(claimed, float(rec["check_objective"]), {})]
    if not false:
        return {}
    return {"status": "not_verified", "status_before_check": rec.get("status"), "verified": False, "ok": False,
            "false_claims": false, "reason": f"{STATUS_TEXT['not_verified']}; its false claims: {'; '.join(false)}"}


def _load_scenario_modules(check: bool) -> None:
    """Import what solving a scenario imports (its start, polish and, with ``check``, the checker
    and its pandas) when the worker starts, not inside its first scenario's time limit: a fresh
    pool worker spent 2-4 s of a 5 s limit on them and stopped at the limit where the same
    scenario in process was optimal (``tests/test_package.py``)."""
    import importlib

    for name in ("..heuristic", "..lns", "..model.fixed", "..deadline",
                 *(("..checker", "..claims", "..solution") if check else ())):
        importlib.import_module(name, __package__)


def _unchanged(p, v) -> bool:
    return v is None or (p.op == "scale" and float(v) == 1.0)


def _layout_lists(cm: CompiledModel, x: np.ndarray) -> dict:
    d = cm.data
    place = cm.var("place").take(x) > 0.5
    act = cm.var("activity").take(x)
    s_idx, r_idx = np.nonzero(place)
    layout = [[d.segment_keys[s][0], d.segment_keys[s][1], d.region_ids[r], float(act[s, r])]
              for s, r in zip(s_idx.tolist(), r_idx.tolist())]
    taken = np.flatnonzero(cm.var("expand").take(x) > 0.5) if d.E else np.zeros(0, dtype=int)
    out = {"layout": layout, "expansions": [d.exp_ids[e] for e in taken.tolist()],
           "place_index": np.flatnonzero(place.ravel()).tolist(), "expand_index": taken.tolist()}
    if d.N:  # opened enclave parks: a resumed chunk re-solves a stored layout with them (restore)
        out["park_index"] = np.flatnonzero(cm.var("park_open").take(x) > 0.5).tolist()
    return out


def _check(inst, cm: CompiledModel, x: np.ndarray, objective: float) -> dict:
    from ..checker import check_layout
    from ..claims import objective_matches
    from ..solution import park_tables_from_x, tables_from_x

    t0 = time.perf_counter()
    layout, flows, exps = tables_from_x(cm, x)
    parks, park_activity = park_tables_from_x(cm, x)
    rep = check_layout(inst, layout, flows, exps, parks=parks, park_activity=park_activity)
    matches = objective_matches(objective, rep.objective)
    return {"verified": bool(rep.verified and matches), "max_violation": rep.max_violation,
            "check_objective": rep.objective, "check_s": time.perf_counter() - t0}
