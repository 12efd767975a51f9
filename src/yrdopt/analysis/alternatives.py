"""Modelling to generate alternatives (MGA): several near-optimal layouts that differ.

A planner brings several good layouts to a meeting, not one.  Like PyPSA's ``mga.py``
this stands apart from the core model: it loads the compiled model once into a
persistent HiGHS, adds a *budget* row (objective within a slack of the optimum) and,
for every layout found, a *no-good cut* so it never comes back, and then changes the
objective to "differ as much as possible from the layouts before".

Distance between layouts is the Hamming distance on the placement binaries
``place[s, r]``: the number of (segment, region) sites opened in one layout and not in
the other.  HiGHS has no solution pool, so layouts are generated one MIP at a time:

    layout 1   the optimum z* (minimum weighted objective)
    layout k   maximise  sum_{j<k} hamming(place, p_j)        (metric "sum", PyPSA-like)
               or        min_{j<k} hamming(place, p_j)        (metric "min", via t <= each)
               s.t.      every row of the model,
                         objective <= budget = z* + slack * |z*|     (= (1+S) z* for z* > 0)
                         hamming(place, p_j) >= 1 for j < k           (no-good cuts)
                         activity[s, r] >= min_share * A[s] * place[s, r]

The last row keeps the distance honest: without it, a MIP that maximises changed
placements opens "sites" that host nothing (``place = 1``, activity 0) whenever fixed
costs allow it.  Each layout found is then *polished*: placements fixed, the weighted
objective minimised again, so its activities, flows and expansions are the cheapest for
those placements; the polished layout is re-checked by the independent checker.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..api import construct_seconds, search, search_model, solution_from_result
from ..claims import summary_rejection_found
from ..deadline import Deadline
from .limit_words import counted
from ..errors import InstanceError, Problem, SolverError
from ..io import atomic_write_text, content_hash, load_instance
from ..model.compiled import BuildOptions, CompiledModel
from ..model.fixed import lp_polish, place_matrix
from ..phasing import refuse_periods
from ..schema import Instance
from ..solution import Solution
from ..solver import HighsSolver, ProgressHook, SolveResult, SolverOptions
from ..stopping import stoppable


# -- helpers shared with fronts.py and explain.py ------------------------------------------
def model_result(cm: CompiledModel, res: SolveResult) -> SolveResult:
    """A result restricted to the compiled model's own columns, its objective recomputed
    as the weighted objective (the solver may have minimised something else)."""
    if res.x is None:
        return res
    x = res.x[: cm.n_cols]
    return replace(res, x=x, objective=float(cm.cost @ x + cm.offset), row_value=None,
                   row_dual=None, col_dual=None)


def rounded(cm: CompiledModel, x: np.ndarray) -> np.ndarray:
    """A MIP start with its integer columns rounded: HiGHS may reject a start whose
    binaries are 0.9999999, and then searches as if it had none."""
    x = np.array(x, dtype=float)
    n = min(len(x), cm.n_cols)
    ints = np.flatnonzero(cm.integrality[:n] > 0)
    x[ints] = np.round(x[ints])
    return x


def place_from_layout(cm: CompiledModel, layout: pd.DataFrame, file: str = "layout.csv") -> np.ndarray:
    """(S, R) booleans from a written layout (rows with sited true, or activity > 0)."""
    d = cm.data
    spos = {f"{c}/{s}": i for i, (c, s) in enumerate(d.segment_keys)}
    rpos = {r: j for j, r in enumerate(d.region_ids)}
    if "sited" in layout.columns:
        on = layout["sited"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"])
    else:
        on = layout["activity"].astype(float) > 0
    rows = layout[on.to_numpy()]
    keys = (rows["chain"].astype(str) + "/" + rows["segment"].astype(str)).tolist()
    regions = rows["region"].astype(str).tolist()
    bad = [Problem(file, "chain/segment", k, "a segment of the instance") for k in keys if k not in spos]
    bad += [Problem(file, "region", r, "a region id of the instance") for r in regions if r not in rpos]
    if bad:
        raise InstanceError(bad)
    P = np.zeros((d.S, d.R), dtype=bool)
    P[[spos[k] for k in keys], [rpos[r] for r in regions]] = True
    return P


def hamming(a: np.ndarray, b: np.ndarray) -> int:
    """Number of (segment, region) sites open in one layout and not in the other."""
    return int(np.count_nonzero(a != b))


def pairwise_distances(places: dict[str, np.ndarray]) -> pd.DataFrame:
    names = list(places)
    D = np.array([[hamming(places[a], places[b]) for b in names] for a in names], dtype=int).reshape(len(names), len(names))
    return pd.DataFrame(D, index=pd.Index(names, name="layout"), columns=names)


def min_share_rows(cm: CompiledModel, min_share: float) -> tuple:
    """Triplets of ``activity[s, r] - min_share * A[s] * place[s, r] >= 0`` for every free
    placement (fixed or forbidden ones are left alone)."""
    d = cm.data
    place, act = cm.var("place"), cm.var("activity")
    free = cm.col_lower[place.slice] < cm.col_upper[place.slice]
    s, r = np.nonzero(free.reshape(d.S, d.R))
    n = len(s)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([act.index(s, r), place.index(s, r)])
    vals = np.concatenate([np.ones(n), -min_share * d.activity[s]])
    return np.zeros(n), np.full(n, np.inf), rows, cols, vals


# at most this many layouts per run: a meeting compares a handful, each one is a MIP of up to the
# time limit (20 x 60 s = 20 min), and every layout adds a no-good row to all the MIPs after it;
# 100,000 asked of the workbench held its one solver worker for good (an assumption, not measured
# beyond that: yrd-provinces finds 5 in 27 s, README)
MAX_LAYOUTS = 20
# the command line's flag of each option (the workbench passes the labels of its form instead)
CLI_OPTION_NAMES = {"n": "-n", "slack": "--slack", "metric": "--metric", "min_share": "--min-share"}


def option_problems(n: int, slack: float, metric: str = "sum", min_share: float = 0.01) -> list[tuple[str, object, str]]:
    """(option, value, what is expected) of every option out of its range."""
    out = []
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_LAYOUTS:
        out.append(("n", n, f"a whole number of layouts in 1..{MAX_LAYOUTS}, the optimum included"))
    if isinstance(slack, bool) or not isinstance(slack, (int, float)) or not (slack >= 0 and np.isfinite(slack)):
        out.append(("slack", slack, "a relative slack >= 0, e.g. 0.05 for 5 %"))
    if metric not in ("sum", "min"):
        out.append(("metric", metric, "sum or min"))
    if isinstance(min_share, bool) or not isinstance(min_share, (int, float)) or not 0 <= min_share < 1:
        out.append(("min_share", min_share, "a share in [0, 1)"))
    return out


def check_options(n: int, slack: float, metric: str, min_share: float, *, where: str = "command line",
                  names: dict[str, str] = CLI_OPTION_NAMES) -> None:
    """Raise an input error naming each option out of range as ``where`` calls it (``names``)."""
    problems = [Problem(where, names.get(k, k), v, e) for k, v, e in option_problems(n, slack, metric, min_share)]
    if problems:
        raise InstanceError(problems)


# -- results ------------------------------------------------------------------------------
@dataclass
class Alternative:
    name: str
    solution: Solution
    place: np.ndarray = field(repr=False)
    objective: float
    above_optimum: float  # relative: (objective - z*) / max(|z*|, tiny)
    distance_to_previous: dict[str, int]
    # status of the distance-maximising solve ("optimal" for layout 1) as the checker confirms it:
    # "not_verified" for a layout it rejects, the MIP's own word then in mga_status_before_check
    mga_status: str
    seconds: float
    start: str | None = None  # where its MIP's start came from (api.search; "neighbour": _neighbour_start)
    mga_status_before_check: str | None = None

    @property
    def verified(self) -> bool:
        return bool(self.solution.summary.get("verified"))

    def record(self) -> dict:
        return {"name": self.name, "objective": self.objective, "above_optimum": self.above_optimum,
                "verified": self.verified, "sites": int(self.place.sum()),
                "min_distance_to_previous": min(self.distance_to_previous.values(), default=None),
                "distance_to_previous": self.distance_to_previous, "mga_status": self.mga_status,
                **({"mga_status_before_check": self.mga_status_before_check}
                   if self.mga_status_before_check is not None else {}),
                "seconds": self.seconds, "start": self.start, "components": self.solution.summary.get("components", {})}


@dataclass
class AlternativesResult:
    instance: Instance
    optimum: float
    budget: float | None  # None: layout-1 was rejected by the checker, no cost to rest a budget on (stopped says so)
    slack: float
    metric: str
    layouts: list[Alternative]
    exhausted: bool  # the no-good cuts left no other layout within the budget
    stopped: str | None = None  # why fewer layouts than asked, in words
    out: Path | None = None  # where the layouts were written (None: not written)

    @property
    def distances(self) -> pd.DataFrame:
        return pairwise_distances({a.name: a.place for a in self.layouts})

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([a.record() for a in self.layouts]).drop(columns=["distance_to_previous", "components"])

    def manifest(self) -> dict:
        return {"instance": {"name": self.instance.name, "hash": content_hash(self.instance)},
                "optimum": self.optimum, "budget": self.budget, "slack": self.slack, "metric": self.metric,
                "exhausted": self.exhausted, "stopped": self.stopped,
                "layouts": [a.record() for a in self.layouts]}


# -- the generator ------------------------------------------------------------------------
def _budget(optimum: float, slack: float) -> float:
    return optimum + slack * abs(optimum)


def refuse_phased(inst: Instance) -> None:
    """Refuse an instance with milestone periods (InstanceError): alternatives are near-optimal
    layouts of one period's model; callers that queue work check this before queuing it."""
    refuse_periods(inst, "alternatives (near-optimal layouts)",
                   "solve the phased instance, or alternatives of one period's instance (README, known limits)")


def alternatives(
    instance,
    n: int = 5,
    slack: float = 0.05,
    *,
    metric: str = "sum",
    min_share: float = 0.01,
    options: SolverOptions | None = None,
    build_options: BuildOptions | None = None,
    out: str | Path | None = None,
    resume: bool = True,
    progress=None,
    solver_progress: ProgressHook | None = None,
    neighbour_moves: int = 5,
    neighbour_tries: int = 40,
    greedy_start: bool = True,
    stop=None,
) -> AlternativesResult:
    """Up to ``n`` layouts (the optimum first), each within the budget and distinct.

    ``options.time_limit`` applies to each MIP, and the start it gets counts in it.  The
    optimum is searched as :func:`yrdopt.solve` searches (:func:`yrdopt.api.search`: with
    ``greedy_start`` the greedy or constructed start, and on large models fix-and-optimize,
    the bound without flows and HiGHS's settings for them); each later layout starts from a
    local search around the optimum (within :func:`yrdopt.api.construct_seconds` of the
    limit; the earlier layouts themselves are cut off).  With ``out``, every layout is written to
    ``out/layout-k`` as soon as it is found (plus ``alternatives.json`` and
    ``distances.csv``), atomically; a rerun with the same instance, slack and metric
    resumes from the layouts already written (a layout-1 stopped before its MIP ended,
    ``mga_status`` "interrupted", is searched again from itself as a start: it is no optimum to
    measure the others against).  ``progress(layout)`` is called for each layout
    found, ``solver_progress`` during each MIP (see :class:`~yrdopt.solver.HighsSolver`).
    Setting ``stop`` (a :class:`threading.Event`) ends the run at HiGHS's next callback: the
    layouts found so far are kept (a MIP stopped with a layout within the budget adds it) and
    ``stopped`` says so.  Ctrl-C (KeyboardInterrupt) in the main thread sets that flag, waits for
    the run to stop and raises :class:`yrdopt.stopping.Interrupted` (a KeyboardInterrupt; its
    ``result`` holds the layouts found, written to ``out`` already), never a SolverError.
    """
    check_options(n, slack, metric, min_share)

    def run(flag):
        return _alternatives(instance, n, slack, metric=metric, min_share=min_share, options=options,
                             build_options=build_options, out=out, resume=resume, progress=progress,
                             solver_progress=solver_progress, neighbour_moves=neighbour_moves,
                             neighbour_tries=neighbour_tries, greedy_start=greedy_start, stop=flag)

    return stoppable(run, stop, kept=kept_layouts, nothing="stopped before the optimum was found; nothing written",
                     so_far=f"the layouts written to {out}/ so far stay there" if out is not None else "")


def kept_layouts(result: AlternativesResult) -> str:
    """What an alternatives run stopped early kept, and where (one line)."""
    names = [a.name for a in result.layouts]
    if not names:
        return "no layout was found; nothing written"
    listed = names[0] if len(names) == 1 else f"{names[0]}..{names[-1]}"
    where = f"written to {result.out}/" if result.out is not None else "in the result"
    if result.stopped and result.out is not None:
        where += "; run again without --fresh (resume=True) to find the rest"
    return f"{counted(len(names), 'layout')} ({listed}) {where}"


def _alternatives(instance, n, slack, *, metric, min_share, options, build_options, out, resume, progress,
                  solver_progress, neighbour_moves, neighbour_tries, greedy_start, stop) -> AlternativesResult:
    inst = load_instance(instance)
    refuse_phased(inst)
    options = options or SolverOptions(time_limit=60.0)
    cm = search_model(inst, build_options)
    d = cm.data
    place = cm.var("place")
    free = np.flatnonzero(cm.col_lower[place.slice] < cm.col_upper[place.slice]) + place.start
    out = Path(out) if out is not None else None
    done = _resume(inst, cm, out, slack, metric) if (out is not None and resume) else []

    solver = HighsSolver(options, progress=solver_progress, stop=stop)
    solver.load(cm)
    # polisher: same model plus min-share rows; placements fixed per layout, cost minimised
    polisher = HighsSolver(options)
    polisher.load(cm)
    if min_share > 0:
        polisher.add_rows(*min_share_rows(cm, min_share))

    def polish(P: np.ndarray, s: HighsSolver = polisher, deadline: Deadline | None = None) -> SolveResult:
        """Least cost with placements ``P`` (within what is left of ``deadline``; else the MIP's limit)."""
        left = None if deadline is None else deadline.left()
        if left is not None and left <= 0:
            return SolveResult.no_time_left()
        lo, hi = cm.col_lower[place.slice].copy(), cm.col_upper[place.slice].copy()
        fixed = P.ravel().astype(float)
        s.set_col_bounds(np.arange(place.start, place.stop), fixed, fixed)
        r = s.solve(time_limit=left)
        s.set_col_bounds(np.arange(place.start, place.stop), lo, hi)
        return r

    t0 = time.perf_counter()
    deadline = Deadline(options.time_limit)  # the optimum's MIP (and its polish)
    first_start, first_from = None, None
    if done and done[0]["mga_status"] == "interrupted":
        # the earlier run was stopped during the optimum's own MIP: its layout-1 is no optimum to
        # measure alternatives against (before, its objective became the budget's reference); it
        # is searched again, from that layout (a start only), and every layout after it dropped
        first_start = polish(done[0]["place"], solver).x
        first_from = "interrupted layout-1" if first_start is not None else None
        done = []
    if done and polish(done[0]["place"], solver).x is None:
        # layout-1's sites give no layout under the least-cost LP (HiGHS accepted it within a loosened
        # tolerance; the checker rejected it): no optimum to resume from, searched again (before: a traceback)
        done = []
    if done:
        optimum = done[0]["optimum"]
    else:
        res = search(solver, cm, deadline, start=first_start, greedy_start=greedy_start)
        if not res.has_solution:
            if res.status in ("infeasible", "infeasible_or_unbounded"):
                from .diagnose import diagnosis_deadline, explain_infeasibility
                from ..errors import InfeasibleError

                raise InfeasibleError(*explain_infeasibility(inst, deadline=diagnosis_deadline(deadline.left(), stop)))
            if stop.is_set():
                raise SolverError("stopped before the optimum was found; nothing written")
            raise SolverError(f"no optimum to build alternatives around: {res.message}")
        # at a time limit the budget is relative to the best known layout (its status says so)
        optimum = float(res.objective)
    budget = _budget(optimum, slack)
    result = AlternativesResult(inst, optimum, budget, slack, metric, [], exhausted=False, out=out)

    def accept(name: str, r: SolveResult, mga_status: str, seconds: float, optimum_itself: bool = False,
               start: str | None = None, deadline: Deadline | None = None) -> None:
        # the polish keeps the least share per site: without it an existing site (no opening
        # cost) could stay "open" with nothing in it and so dodge its closing cost; within what is
        # left of the MIP's ``deadline`` (HiGHS was given its limit less after_solve_reserve for it)
        r = model_result(cm, lp_polish(cm, model_result(cm, r),
                                       rows=min_share_rows(cm, min_share) if min_share > 0 and not optimum_itself
                                       else None, time_limit=None if deadline is None else deadline.left()))
        sol = solution_from_result(inst, cm, r)
        P = place_matrix(cm, r.x)
        prev = {a.name: hamming(P, a.place) for a in result.layouts}
        # no more than the checker confirms (as the layout's own summary.json status says)
        said = mga_status if sol.summary.get("verified") else "not_verified"
        alt = Alternative(name, sol, P, float(r.objective),
                          (float(r.objective) - optimum) / max(abs(optimum), 1e-12), prev, said, seconds, start,
                          mga_status_before_check=None if said == mga_status else mga_status)
        result.layouts.append(alt)
        if not optimum_itself:  # its summary's status and bound are its distance MIP's: it says what it is
            sol.summary["alternative"] = {"optimum": optimum, "above_optimum": alt.above_optimum,
                                          "listed_in": "../alternatives.json"}
        if out is not None:
            sol.write(out / name)
            _write_manifest(result, out)
        if progress is not None:
            progress(alt)

    # layout 1: the optimum (or the resumed layouts)
    for k, rec in enumerate(done):
        # the optimum may host a site below the minimum share: re-solve it without those rows
        r = polish(rec["place"], solver if k == 0 else polisher)
        if r.x is None:
            break
        accept(rec["name"], r, rec["mga_status"], rec["seconds"], optimum_itself=k == 0)
    if not result.layouts:
        accept("layout-1", res, res.status, time.perf_counter() - t0, optimum_itself=True,
               start=first_from or res.solver.get("start"), deadline=deadline)
    first = result.layouts[0]
    if not first.verified:
        # a budget resting on a cost the checker did not confirm would admit layouts by a figure
        # nobody checked: layout-1 is written (marked), and no alternative is searched
        s = first.solution.summary
        result.budget = None
        del result.layouts[1:]  # an earlier run's alternatives, resumed, rested on that cost too
        found = summary_rejection_found(s)
        result.stopped = (f"layout-1 was rejected by the independent checker ({found}; its MIP said "
                          f"{first.mga_status_before_check or first.mga_status}): its cost is no budget to measure "
                          "alternatives against, so none was searched (a loosened HiGHS tolerance? solve with "
                          "HiGHS's defaults)")
        if out is not None:
            _write_manifest(result, out)
        return result
    # the budget rests on layout-1's cost as the checker confirmed it (its polished layout's, not
    # the MIP's own figure for HiGHS's vector)
    optimum = first.objective
    result.optimum, result.budget = optimum, _budget(optimum, slack)
    budget = result.budget
    first.above_optimum = 0.0

    # the MGA model: budget row, min-share rows, no-good cuts, distance objective
    solver.add_row(cm.cost, -np.inf, budget - cm.offset)
    if min_share > 0:
        solver.add_rows(*min_share_rows(cm, min_share))
    t_col = None
    if metric == "min":
        solver.h.addCol(0.0, 1.0, float(len(free)), 0, np.zeros(0, np.int32), np.zeros(0))
        t_col = solver.h.getNumCol() - 1
    for a in result.layouts:
        _cut(solver, cm, free, a.place, t_col)

    while len(result.layouts) < n:
        if stop.is_set():
            result.stopped = f"stopped by the user after {len(result.layouts)} of {n} layouts"
            break
        t1 = time.perf_counter()
        stage = Deadline(options.time_limit, t1)
        cost = np.zeros(solver.h.getNumCol())
        if metric == "sum":
            # maximise sum_j hamming(place, p_j) == minimise sum_j (2 p_j - 1) . place (+ const)
            for a in result.layouts:
                cost[free] += 2.0 * a.place.ravel()[free - place.start] - 1.0
        else:
            cost[t_col] = -1.0
        solver.set_costs(cost)
        # a MIP start: the distance objective gives HiGHS no guidance towards the budget,
        # and on large instances it can run out of time before any layout within it
        start = _neighbour_start(cm, result, polish, budget, max_moves=neighbour_moves, max_tries=neighbour_tries,
                                 seconds=construct_seconds(stage.left()), stop=stop)
        if stop.is_set():  # no MIP begun after the stop (it would return its start at once)
            result.stopped = f"stopped by the user after {len(result.layouts)} of {n} layouts"
            break
        x0 = None
        if start is not None:
            x0 = np.zeros(solver.h.getNumCol())
            x0[: cm.n_cols] = rounded(cm, start.x[: cm.n_cols])
            if t_col is not None:
                x0[t_col] = min(hamming(place_matrix(cm, start.x), a.place) for a in result.layouts)
        # the distance objective and the budget and no-good rows: no start of solve's applies,
        # no fix-and-optimize or kernel search (their sub-MILPs minimise cost), no bound without flows
        r = search(solver, cm, stage, start=x0, greedy_start=False, search_lns=0.0, kernel_search=0.0,
                   bound_without_flows=False)
        if r.x is None and start is not None:
            r = replace(start, status="neighbour_start")  # the start itself is a valid alternative
        if r.status in ("infeasible", "infeasible_or_unbounded"):
            result.exhausted = True
            result.stopped = (f"only {len(result.layouts)} distinct layouts exist within {slack:.1%} of the optimum "
                              "(with every site hosting at least the minimum share)")
            break
        if r.x is None:
            result.stopped = (f"stopped by the user after {len(result.layouts)} of {n} layouts"
                              if stop.is_set() else f"layout {len(result.layouts) + 1}: {r.message}")
            break
        P = place_matrix(cm, r.x)
        pol = polish(P, deadline=stage)
        if pol.x is None and pol.status.startswith("time_limit"):
            pol = r  # no time left for its least cost: the MGA layout itself (within the budget row)
        elif pol.x is not None and pol.status != "optimal" and \
                model_result(cm, pol).objective > model_result(cm, r).objective:
            # a least cost stopped at its limit above the MGA layout's own cost (its sites' expansions
            # and parks not settled): the MGA layout, within the budget row (before: the dearer one,
            # possibly over the budget)
            pol = r
        if pol.x is None:  # cannot happen: the MGA point itself is feasible for the polisher
            result.stopped = f"layout {len(result.layouts) + 1}: polishing failed ({pol.message})"
            break
        accept(f"layout-{len(result.layouts) + 1}", pol, r.status, time.perf_counter() - t1,
               start="neighbour" if x0 is not None else None, deadline=stage)
        _cut(solver, cm, free, result.layouts[-1].place, t_col)
    if out is not None:
        _write_manifest(result, out)
    return result


def _neighbour_start(cm: CompiledModel, result: AlternativesResult, polish, budget: float, *,
                     max_moves: int, max_tries: int, seconds: float | None = None, stop=None) -> SolveResult | None:
    """A layout within the budget that differs from every earlier one, by local search.

    From the optimum, relocate single sites (segment s leaves region r0 for a region r
    that does not host it), the cheapest by a first-order estimate first (site cost of
    the activity moved, fixed cost) and only where the activity moved fits in the quota
    r has left; keep a move when the polished layout stays within the budget; stop after
    ``max_moves`` kept moves or ``max_tries`` evaluations (or after ``seconds``, or once ``stop`` is set).
    """
    if max_tries <= 0 or not result.layouts or result.layouts[0].solution.x is None:
        return None
    d = cm.data
    base = result.layouts[0]
    P = base.place.copy()
    act = cm.var("activity").take(base.solution.x)
    left = d.quota - np.einsum("srk,sr->rk", d.use, act)  # quota each region has left (inf: unlimited)
    w = d.weights
    s_idx, r0_idx, r_idx = np.nonzero(P[:, :, None] & ~P[:, None, :] & d.allowed[:, None, :]
                                      & ~d.fixed[:, :, None])
    moved = act[s_idx, r0_idx]
    fits = np.all(d.use[s_idx, r_idx] * moved[:, None] <= left[r_idx] + 1e-9, axis=1)
    est = (w.get("site_cost", 1.0) * (d.unit_cost[s_idx, r_idx] - d.unit_cost[s_idx, r0_idx]) * moved
           + w.get("fixed_cost", 1.0) * (d.fixed_cost[s_idx, r_idx] - d.fixed_cost[s_idx, r0_idx]))
    cand = np.flatnonzero(fits)
    cand = cand[np.argsort(est[cand], kind="stable")]
    earlier = [a.place for a in result.layouts]
    best, kept, tried, used = None, 0, 0, set()
    t0 = time.perf_counter()
    for i in cand:
        if tried >= max_tries or kept >= max_moves or (seconds is not None and time.perf_counter() - t0 > seconds) \
                or (stop is not None and stop.is_set()):
            break
        s, r0, r = int(s_idx[i]), int(r0_idx[i]), int(r_idx[i])
        if s in used or not P[s, r0] or P[s, r]:
            continue
        Q = P.copy()
        Q[s, r0], Q[s, r] = False, True
        if any((Q == E).all() for E in earlier):
            continue
        tried += 1
        res = polish(Q, deadline=None if seconds is None else Deadline(seconds, t0))
        if res.x is None or res.objective > budget:
            continue
        P, best, kept = Q, res, kept + 1
        used.add(s)
    return best


def _cut(solver: HighsSolver, cm: CompiledModel, free: np.ndarray, P: np.ndarray, t_col: int | None) -> None:
    """No-good cut hamming(place, P) >= 1 over the free placements; with the max-min
    metric also hamming(place, P) >= t."""
    start = cm.var("place").start
    p = P.ravel()[free - start].astype(float)
    coef = np.zeros(solver.h.getNumCol())
    coef[free] = 1.0 - 2.0 * p  # hamming = sum(p) + (1 - 2p) . place
    solver.add_row(coef, 1.0 - p.sum(), np.inf)
    if t_col is not None:
        coef[t_col] = -1.0
        solver.add_row(coef, -p.sum(), np.inf)


def _write_manifest(result: AlternativesResult, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "alternatives.json", json.dumps(result.manifest(), indent=2, ensure_ascii=False, default=float))
    atomic_write_text(out / "distances.csv", result.distances.to_csv())


def _resume(inst: Instance, cm: CompiledModel, out: Path, slack: float, metric: str) -> list[dict]:
    """Layouts already written by an earlier run with the same instance, slack and metric."""
    f = out / "alternatives.json"
    if not f.exists():
        return []
    try:
        man = json.loads(f.read_text())
    except json.JSONDecodeError:
        return []
    if (man.get("instance", {}).get("hash") != content_hash(inst) or man.get("slack") != slack
            or man.get("metric") != metric):
        return []
    from ..solution import load_solution_tables

    done = []
    for rec in man.get("layouts", []):
        p = out / rec["name"] / "layout.csv"
        if not p.exists():
            break
        # what its MIP said (an interrupted layout-1 is searched again), not the checker's word
        said = rec.get("mga_status_before_check") or rec.get("mga_status", "resumed")
        done.append({"name": rec["name"], "optimum": man["optimum"], "mga_status": said,
                     "seconds": rec.get("seconds", 0.0),
                     "place": place_from_layout(cm, load_solution_tables(out / rec["name"])["layout"], str(p))})
    return done
