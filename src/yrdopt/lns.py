"""Chain-group large-neighbourhood search (fix-and-optimize) for large instances.

Chains interact only through the regions' quotas (and province shares): links join
segments of one chain.  So with every chain outside a group fixed, the best layout of the
group is the same MILP on the group's segments alone, with each region's quota reduced by
what the fixed chains use there — a model a few hundred binaries large that HiGHS solves in
a second or two.  :func:`improve` re-solves chain groups in turn from a feasible layout (the
greedy's), keeping a group's new layout when it lowers the group's cost (the rest of the
objective does not change: a group's quota room is what the others leave).

Every layout returned is re-checked by HiGHS (as a MIP start) and by the independent checker
after the solve; nothing here claims a bound.

:class:`SearchLns` runs the same fix-and-optimize *during* HiGHS's search, between its
callbacks: it starts from HiGHS's incumbent, and a better layout goes back to HiGHS through
the user-solution callback (``cbMipUserSolution``), which checks it before taking it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .data import ModelData
from .heuristic import GreedyLayout, start_vector
from .model.compiled import BuildOptions, build
from .model.fixed import fix_placements
from .model.guarantees import presence_per_unit
from .model.site_counts import fill_site_counts
from .solver import HighsSolver, SolverOptions


@dataclass
class LnsResult:
    layout: GreedyLayout
    rounds: int  # full passes over the chain groups
    improved: int  # group re-solves that lowered the cost
    seconds: float


def sub_data(d: ModelData, segs: np.ndarray, act: np.ndarray, place: np.ndarray, expand: np.ndarray) -> ModelData:
    """The model of segments ``segs`` (whole chains) with every other segment fixed at
    ``act``/``place``.

    Quotas are what the others leave (their use per unit and their sites' footprints), plus
    the parks (expansions) already opened and the existing enclave parks, which the group
    uses for free; expansions not yet opened stay options; enclave parks are not offered
    (their capacity is shared by chains; a layout here runs nothing in them).  Guarantees
    keep their rows with what the others already contribute taken off the right-hand side
    (value rows: their credited value; chain counts: their chains present).
    """
    segs = np.asarray(segs, dtype=int)
    others = np.setdiff1d(np.arange(d.S), segs)
    cap = d.quota.copy()
    if d.E:
        np.add.at(cap, d.exp_region[expand], d.exp_quota[expand])
    if d.N:
        np.add.at(cap, d.park_host[d.park_existing], d.park_quota[d.park_existing])
    if d.K:
        cap = cap - np.einsum("sr,srk->rk", act[others], d.use[others])
        if d.footprint.size:
            cap = cap - np.einsum("sr,srk->rk", place[others].astype(float), d.footprint[others])
    pos = -np.ones(d.S, dtype=int)
    pos[segs] = np.arange(len(segs))
    links = np.flatnonzero(np.isin(d.link_up, segs) & np.isin(d.link_down, segs))
    keep = ~expand if d.E else np.zeros(0, dtype=bool)
    K = d.K
    g_rhs = d.g_rhs.copy()
    if d.G:
        value = d.value_per_unit[others, None] * act[others]  # (others, R); no park activity here
        counts = np.array([m != "min_chains" for m in d.g_measure])
        g_rhs[counts] -= np.einsum("gs,gr,sr->g", d.g_kinds[counts][:, others].astype(float),
                                   d.g_target[counts].astype(float), value)
        per_unit = presence_per_unit(d.activity[others])
        for g in np.flatnonzero(~counts):  # min_chains: the other chains already present (where they run)
            runs = (d.g_kinds[g, others][:, None] & d.g_target[g][None, :]) * act[others] * per_unit[:, None]
            presence = np.bincount(d.seg_chain[others], weights=runs.sum(axis=1), minlength=len(d.chain_ids))
            g_rhs[g] -= int(np.count_nonzero(presence >= 1.0 - 1e-9))
    return replace(
        d,
        segment_keys=[d.segment_keys[s] for s in segs], segment_kind=[d.segment_kind[s] for s in segs],
        seg_chain=d.seg_chain[segs], activity=d.activity[segs], value_per_unit=d.value_per_unit[segs],
        min_scale=d.min_scale[segs], single_site=d.single_site[segs], min_sites=d.min_sites[segs],
        max_sites=d.max_sites[segs], dup_tolerance=d.dup_tolerance[segs], unit_cost=d.unit_cost[segs],
        fixed_cost=d.fixed_cost[segs], allowed=d.allowed[segs], fixed=d.fixed[segs], use=d.use[segs],
        footprint=d.footprint[segs] if d.footprint.size else d.footprint,
        quota=cap, link_up=pos[d.link_up[links]], link_down=pos[d.link_down[links]],
        link_volume=d.link_volume[links], link_intensity=d.link_intensity[links],
        exp_region=d.exp_region[keep], exp_ids=[e for e, k in zip(d.exp_ids, keep) if k],
        exp_cost=d.exp_cost[keep], exp_quota=d.exp_quota[keep],
        park_ids=[], park_host=np.zeros(0, dtype=int), park_partner=np.zeros(0, dtype=int),
        park_capacity=np.zeros(0), park_cost=np.zeros(0), park_quota=np.zeros((0, K)),
        park_partner_share=np.zeros(0), park_cost_partner_share=np.zeros(0),
        park_allowed=np.zeros((0, len(segs)), dtype=bool), park_existing=np.zeros(0, dtype=bool),
        g_kinds=d.g_kinds[:, segs], g_rhs=g_rhs,
        brownfield=d.brownfield.for_segments(segs) if d.brownfield is not None else None,
    )


def _fixed_lp_cost(sub: ModelData, layout: GreedyLayout, time_limit: float | None = None) -> float:
    """Cost of a (group's) layout with its placements fixed (best activities and flows);
    inf when the placements admit no feasible activities (or the LP stops at ``time_limit``)."""
    lp = fix_placements(build(sub), layout.place, layout.expand if sub.E else None, lp=True,
                        parks=sub.park_existing if sub.N else None)  # layouts here open no new park
    s = HighsSolver(SolverOptions(threads=1, time_limit=time_limit))
    s.load(lp)
    r = s.solve()
    return float(r.objective) if r.x is not None and (time_limit is None or r.status == "optimal") else np.inf


def improve(d: ModelData, layout: GreedyLayout, time_limit: float = 10.0, group_size: int = 2,
            group_limit: float = 3.0, seed: int = 0, stop=None) -> LnsResult:
    """Fix-and-optimize over random chain groups until ``time_limit`` or a pass without gain.

    ``layout`` should be feasible (e.g. :func:`yrdopt.heuristic.greedy_layout`; it is
    returned unchanged if its placements admit no feasible activities); every layout kept is
    feasible too: each group's sub-MILP has exactly the room the others leave.  ``stop`` (a
    :class:`threading.Event`) ends it with the best layout so far.
    """
    t0 = time.perf_counter()
    # the whole model's LP (0.3-1.8 s on 41x30x4) within the time limit: not solved in it, nothing is kept
    if time_limit <= 0 or not np.isfinite(_fixed_lp_cost(d, layout, time_limit)):
        # the greedy does not try to meet every rule (e.g. province shares): nothing to keep
        return LnsResult(layout, 0, 0, time.perf_counter() - t0)
    rng = np.random.default_rng(seed)
    act, place, expand = layout.activity.copy(), layout.place.copy(), layout.expand.copy()
    rounds = improved = 0
    n_chains = len(d.chain_ids)
    while time.perf_counter() - t0 < time_limit:
        rounds += 1
        gained = False
        chains = rng.permutation(n_chains)
        for i in range(0, n_chains, group_size):
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0.05 or _stopped(stop):
                break
            segs = np.flatnonzero(np.isin(d.seg_chain, chains[i:i + group_size]))
            sub = sub_data(d, segs, act, place, expand)
            cur = GreedyLayout(act[segs], place[segs], np.zeros(sub.E, dtype=bool))
            cm = build(sub)
            s = HighsSolver(SolverOptions(time_limit=min(group_limit, left), threads=1, mip_gap=1e-3), stop=stop)
            s.load(cm)
            res = s.solve(start_vector(cm, cur))
            if res.x is None:
                continue
            before = _fixed_lp_cost(sub, cur)
            if res.objective < before - 1e-6 * max(1.0, abs(before)):
                new_place = cm.var("place").take(res.x) > 0.5
                act[segs] = np.where(new_place, cm.var("activity").take(res.x), 0.0)
                place[segs] = new_place
                if sub.E:
                    expand[np.flatnonzero(~expand)[cm.var("expand").take(res.x) > 0.5]] = True
                improved += 1
                gained = True
        if not gained:
            break
    return LnsResult(GreedyLayout(act, place, expand), rounds, improved, time.perf_counter() - t0)


def improved_layout(cm, x: np.ndarray, seconds: float, stop=None, seed: int = 0) -> np.ndarray:
    """``x`` (a layout that fits ``cm``) improved by :func:`improve` (chain pairs, each sub-MILP
    within 1.5 s) for at most ``seconds``, then its activities and flows re-solved as the
    fixed-placement LP; ``x`` itself where that is not cheaper or does not fit.  Nothing is
    improved where :func:`sub_data` cannot keep the rest (:func:`applies`, enclave-park activity)."""
    d = cm.data
    if seconds <= 0.2 or not applies(d) or _park_activity(cm, x, np.arange(d.S)):
        return x
    t0 = time.perf_counter()
    res = improve(d, layout_of(cm, x), seconds, group_size=2, group_limit=1.5, seed=seed, stop=stop)
    if not res.improved:
        return x
    lay = res.layout
    lp = fix_placements(cm, lay.place, lay.expand if d.E else None, lp=True,
                        parks=cm.var("park_open").take(x) > 0.5 if d.N else None)
    left = seconds - (time.perf_counter() - t0)
    s = HighsSolver(SolverOptions(threads=1, time_limit=max(left, 0.5)), stop=stop)
    s.load(lp)
    out = s.solve()
    if out.x is None or out.status != "optimal":
        return x
    y = out.x[: cm.n_cols]
    return y if fits(cm, y) and cost_of(cm, y) < cost_of(cm, x) else x


def _stopped(stop) -> bool:
    return stop is not None and stop.is_set()


def tightness(d: ModelData) -> np.ndarray:
    """(S,) share of the room of its regions a segment needs: its activity over the sum of
    its per-site bounds U[s, r] where a minimum-scale site fits."""
    U = d.activity_upper()
    room = np.where(U >= d.min_scale[:, None] * (1 - 1e-9), U, 0.0).sum(axis=1)
    return d.activity / np.maximum(room, 1e-12)


def construct(d: ModelData, time_limit: float = 10.0, binaries: int = 200, stop=None) -> GreedyLayout | None:
    """A layout where the greedy gets stuck: the tightest segments first, packed together by
    one sub-MILP without flows (the packing is what the greedy misses: on yrd-cities at exact
    quota shares the R&D and testing platforms fill 92 % of the core cities' talent), then
    the greedy for the rest in the room left.  ``binaries`` bounds the first sub-MILP (the
    set doubles while the greedy still gets stuck); None if no layout within ``time_limit``
    or once ``stop`` is set.  Its sub-MILPs keep ``time_limit`` (HiGHS's own limit, less what
    the steps before used); the greedy for the rest takes milliseconds.
    """
    from .heuristic import greedy_layout

    t0 = time.perf_counter()
    U = d.activity_upper()
    sites = (U >= d.min_scale[:, None] * (1 - 1e-9)).sum(axis=1)
    order = np.argsort(-tightness(d), kind="stable")
    none = np.zeros(0, dtype=int)
    while True:
        n = max(int(np.searchsorted(np.cumsum(sites[order]), binaries, side="right")), 1)
        hard = np.sort(order[:n])
        sub = sub_data(d, hard, np.zeros((d.S, d.R)), np.zeros((d.S, d.R), dtype=bool), np.zeros(d.E, dtype=bool))
        sub = replace(sub, link_up=none, link_down=none, link_volume=none[:0].astype(float),
                      link_intensity=none[:0].astype(float))  # placement and quotas only
        cm = build(sub)
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0.1 or _stopped(stop):
            return None
        s = HighsSolver(SolverOptions(time_limit=left, threads=1, mip_gap=1e-2), stop=stop)
        s.load(cm)
        res = s.solve()
        if res.x is None or _stopped(stop):
            return None
        act = np.zeros((d.S, d.R))
        place = cm.var("place").take(res.x) > 0.5
        act[hard] = np.where(place, cm.var("activity").take(res.x), 0.0)
        expand = cm.var("expand").take(res.x) > 0.5 if d.E else np.zeros(0, dtype=bool)
        rest = np.setdiff1d(np.arange(d.S), hard)
        if not len(rest):
            return GreedyLayout(act, act > 0, expand)
        rest_sub = sub_data(d, rest, act, act > 0, expand)
        layout = greedy_layout(rest_sub)
        if layout is not None:
            act[rest] = layout.activity
            opened = expand.copy()
            if d.E:
                opened[np.flatnonzero(~expand)[layout.expand]] = True
            return GreedyLayout(act, act > 0, opened)
        if n >= d.S:
            return None
        binaries *= 2


def start_where_greedy_is_stuck(cm, seconds: float, stop=None) -> np.ndarray | None:
    """:func:`construct`'s layout as a MIP start for ``cm`` (None if none within ``seconds``)."""
    layout = construct(cm.data, seconds, stop=stop)
    return None if layout is None else start_vector(cm, layout)


def improved_start(cm, seconds: float, stop=None) -> np.ndarray | None:
    """A MIP start for ``cm`` from up to ``seconds`` of primal work: the greedy (or, where it
    gets stuck, :func:`construct` with half the time), improved by :func:`improve`."""
    from .heuristic import greedy_layout

    t0 = time.perf_counter()
    layout = greedy_layout(cm.data)
    if layout is None:
        layout = construct(cm.data, 0.5 * seconds, stop=stop)
    if layout is None:
        return None
    return start_vector(cm, improve(cm.data, layout, seconds - (time.perf_counter() - t0), stop=stop).layout)


def applies(d: ModelData) -> bool:
    """Whether chain-group fix-and-optimize fits the model: :func:`sub_data` carries quotas,
    expansions, opened parks' quota and guarantees over, not today's sites (brownfield).
    Activity run inside enclave parks is not re-composed: a neighbourhood with some is skipped
    (:meth:`SearchLns.propose`), and HiGHS and :func:`fits` check whatever is composed."""
    return d.brownfield is None


def _park_activity(cm, x: np.ndarray, segs: np.ndarray) -> bool:
    """Whether segments ``segs`` run any activity inside an enclave park in ``x``."""
    return bool(cm.data.N) and bool((cm.var("park_activity").take(x)[:, segs] > 1e-9).any())


def layout_of(cm, x: np.ndarray) -> GreedyLayout:
    """The placements, activities and expansions of the full column vector ``x``."""
    place = cm.var("place").take(x) > 0.5
    act = np.where(place, cm.var("activity").take(x), 0.0)
    expand = cm.var("expand").take(x) > 0.5 if cm.data.E else np.zeros(0, dtype=bool)
    return GreedyLayout(act, place, expand)


def compose(cm, x: np.ndarray, segs: np.ndarray, sub_cm, sub_x: np.ndarray) -> np.ndarray:
    """``x`` with the columns of segments ``segs`` (whole chains, sorted) replaced by the
    sub-model's solution ``sub_x`` (:func:`sub_data` with the others fixed at ``x``):
    placements, activities, excess sites, the flows of their links and the expansions the
    sub-model opened; guarantee columns re-derived.  Feasible when ``sub_x`` is, because the
    sub-model's quotas and guarantee targets are exactly what the others leave."""
    d = cm.data
    out = x.copy()
    place_b, act_b = cm.var("place"), cm.var("activity")
    place = place_b.take(out).copy()
    act = act_b.take(out).copy()
    sub_place = sub_cm.var("place").take(sub_x) > 0.5
    place[segs] = sub_place
    act[segs] = np.where(sub_place, sub_cm.var("activity").take(sub_x), 0.0)
    out[place_b.slice] = np.round(place).ravel()
    out[act_b.slice] = act.ravel()
    exc = cm.var("excess_sites")
    ex = exc.take(out).copy()
    ex[segs] = np.maximum(sub_place.sum(axis=1) - d.dup_tolerance[segs], 0.0)
    out[exc.slice] = ex
    links = np.flatnonzero(np.isin(d.link_up, segs) & np.isin(d.link_down, segs))
    if len(links):
        fl = cm.var("flow")
        flow = fl.take(out).copy()
        flow[links] = sub_cm.var("flow").take(sub_x)
        out[fl.slice] = flow.ravel()
    if d.E:
        e = cm.var("expand")
        opened = e.take(out) > 0.5
        opened[np.flatnonzero(~opened)[sub_cm.var("expand").take(sub_x) > 0.5]] = True
        out[e.slice] = opened.astype(float)
    if d.G:
        from .heuristic import _guarantee_columns

        _guarantee_columns(cm, out)
    fill_site_counts(cm, out)
    return out


class SearchLns:
    """Fix-and-optimize between HiGHS's callbacks (the solver's ``primal`` helper).

    HiGHS reports each better layout it finds (:meth:`incumbent`) and asks for a layout of
    ours before its dives and root rounds (:meth:`propose`).  There, as long as this has used
    less than ``share`` of the time since the search started, it re-solves one neighbourhood
    of the best layout known — chains, at most ``binaries`` placement columns, re-optimized
    with the others fixed (:func:`sub_data`) — and returns the composed layout when it costs
    less.  The neighbourhood shrinks by a quarter when a sub-MILP runs into ``step_limit``
    and grows by a quarter when one is proven within a quarter of it.  Neighbourhoods alternate between random chains and *region* neighbourhoods: the
    chains with a site in a random region whose quotas are the most used (and the regions
    nearest it), i.e. the chains that compete for the same quota.

    One thread: the sub-MILP runs inside HiGHS's callback, so HiGHS waits; its time counts
    in HiGHS's time limit, and every sub-MILP ends before the search's limit.  ``stop`` (the
    solve's stop flag) ends a sub-MILP as it ends HiGHS.
    """

    def __init__(self, cm, *, share: float = 0.5, binaries: int = 600, step_limit: float = 10.0, seed: int = 0,
                 threads: int | None = 1, mip_gap: float = 1e-3, min_gap: float = 0.03):
        self.cm = cm
        self.mip_gap = mip_gap
        # below this gap the search is proving, not finding: on the shipped yrd-cities (gap 1-2 %
        # after the root) taking half of it cost the proof within 60 s (3531.0, 1.7 %, against
        # optimal 3505.3 in 57.8 s without; benchmarks/city_scale.py)
        self.min_gap = min_gap
        self.threads = threads  # the outer solve's: HiGHS's scheduler must not be resized inside its callback
        self.share = share
        self.binaries = binaries
        self.step_limit = step_limit
        self.rng = np.random.default_rng(seed)
        self.stop = None
        self.time_limit: float | None = None
        self.t0 = time.perf_counter()
        self.used = 0.0  # seconds spent in sub-MILPs
        self.x: np.ndarray | None = None  # best layout known (full column vector)
        self.objective = np.inf
        self.steps = self.improved = 0
        self.log: list[tuple[float, float, float]] = []  # (start s, seconds, objective after) per step
        d = cm.data
        self.n_cells = d.allowed.sum(axis=1)  # placement columns per segment
        self.chain_cells = np.bincount(d.seg_chain, weights=self.n_cells, minlength=len(d.chain_ids))

    def begin(self, time_limit: float | None, stop=None) -> None:
        """A search starts now, with ``time_limit`` seconds and the stop flag ``stop``."""
        self.t0 = time.perf_counter()
        self.used = 0.0
        self.time_limit = time_limit
        self.stop = stop

    def end(self) -> None:
        """HiGHS returned (nothing runs between callbacks here)."""

    def incumbent(self, x: np.ndarray) -> None:
        """HiGHS found a layout."""
        x = np.asarray(x, dtype=float)
        if len(x) != self.cm.n_cols:
            return
        obj = cost_of(self.cm, x)
        if obj < self.objective - 1e-9 * max(1.0, abs(obj)):
            self.x, self.objective = x.copy(), obj

    def propose(self, gap: float | None = None) -> np.ndarray | None:
        """A better layout than HiGHS's incumbent, or None (no time share left, no incumbent,
        HiGHS's ``gap`` already below :attr:`min_gap`, or the neighbourhood tried gave nothing)."""
        if self.x is None or (self.stop is not None and self.stop.is_set()):
            return None
        if gap is not None and gap < self.min_gap:
            return None
        elapsed = time.perf_counter() - self.t0
        if self.used > self.share * elapsed:
            return None
        # HiGHS must still notice its limit after the step: keep 5 % of it (at least 0.5 s)
        left = None if self.time_limit is None else self.time_limit - elapsed - max(0.5, 0.05 * self.time_limit)
        limit = self.step_limit if left is None else min(self.step_limit, left)
        if limit < 0.5:
            return None
        t = time.perf_counter()
        try:
            return self._step(limit)
        finally:
            self.used += time.perf_counter() - t
            self.log.append((t - self.t0, time.perf_counter() - t, self.objective))

    def _chains(self, base: np.ndarray) -> np.ndarray:
        d = self.cm.data
        n_chains = len(d.chain_ids)
        if self.steps % 2 == 0:  # random chains
            order = self.rng.permutation(n_chains)
        else:  # the chains competing for one busy region's quota, then its neighbours'
            layout = layout_of(self.cm, base)
            used = np.einsum("sr,srk->rk", layout.activity, d.use) if d.K else np.zeros((d.R, 0))
            with np.errstate(divide="ignore", invalid="ignore"):
                load = np.where(np.isfinite(d.quota) & (d.quota > 0), used / d.quota, 0.0)
            busy = load.max(axis=1) if d.K else np.ones(d.R)
            p = busy + 1e-3
            r = self.rng.choice(d.R, p=p / p.sum())
            near = np.argsort(d.distance[r], kind="stable")
            hosted = layout.place[:, near]  # (S, R) by nearness
            first = np.where(hosted.any(axis=1), hosted.argmax(axis=1), d.R)
            chain_first = np.full(n_chains, d.R)
            np.minimum.at(chain_first, d.seg_chain, first)
            order = np.lexsort((self.rng.random(n_chains), chain_first))
        k = max(int(np.searchsorted(np.cumsum(self.chain_cells[order]), self.binaries, side="right")), 1)
        return np.sort(order[:k])

    def _step(self, limit: float) -> np.ndarray | None:
        found = self._neighbourhood(self.x, self.objective, limit)
        if found is None:
            return None
        self.x, self.objective = found
        self.improved += 1
        return self.x

    def _neighbourhood(self, base: np.ndarray, base_objective: float, limit: float,
                       stop=None) -> tuple[np.ndarray, float] | None:
        """One neighbourhood of the layout ``base`` re-solved: the composed layout and its cost
        when it costs less than ``base_objective``, else None.  ``base`` is read, never written."""
        d = self.cm.data
        chains = self._chains(base)
        self.steps += 1
        segs = np.flatnonzero(np.isin(d.seg_chain, chains))
        if _park_activity(self.cm, base, segs):
            return None
        cur = layout_of(self.cm, base)
        sub = sub_data(d, segs, cur.activity, cur.place, cur.expand)
        sub_cm = build(sub, BuildOptions(colocated_quota=self.cm.options.colocated_quota))  # its rows help sub-MILPs too
        s = HighsSolver(SolverOptions(time_limit=limit, threads=self.threads, mip_gap=self.mip_gap),
                        stop=stop if stop is not None else self.stop)
        s.load(sub_cm)
        res = s.solve(start_vector(sub_cm, GreedyLayout(cur.activity[segs], cur.place[segs],
                                                        np.zeros(sub.E, dtype=bool))))
        if res.x is None:
            return None
        # adapt the neighbourhood to the time a step may take: smaller when the sub-MILP ran
        # into its limit unproven, larger when it was proven in a fraction of it
        if res.status != "optimal" and res.solve_s >= 0.9 * limit:
            self.binaries = max(int(0.75 * self.binaries), int(self.n_cells.max()))
        elif res.status == "optimal" and res.solve_s < 0.25 * limit:
            self.binaries = min(int(1.25 * self.binaries), int(self.n_cells.sum()))
        x = compose(self.cm, base, segs, sub_cm, res.x)
        obj = cost_of(self.cm, x)
        if obj < base_objective - 1e-6 * max(1.0, abs(base_objective)):
            return x, obj
        return None


class ConcurrentLns(SearchLns):
    """The same fix-and-optimize as :class:`SearchLns`, in a thread of its own beside HiGHS.

    On city-scale models HiGHS spends most of two minutes in its root (LP, cuts: no node on
    41x30x4, about a hundred on 41x10x3) and uses one core there, so on two cores the other
    one is idle; taking the search LNS's steps inside HiGHS's callback instead costs HiGHS
    half its time (and the shipped yrd-cities its proof within 60 s).  Here the steps run
    in a thread started by :meth:`begin` (HiGHS releases the GIL while it solves), always from
    the best layout known: HiGHS's incumbents (:meth:`incumbent`) and the thread's own.  When
    HiGHS asks for a user layout (:meth:`propose`) it gets the thread's best if that is
    better than its incumbent, without waiting.  :meth:`end` stops the thread (its sub-MILP
    through a stop flag of its own) once HiGHS returns; :meth:`best` then holds a layout
    HiGHS may not have seen, which the caller keeps when it is better (:func:`yrdopt.api.search`).

    ``threads`` is the sub-MILPs' HiGHS thread count: the outer solve's (HiGHS's scheduler
    is sized once per process).
    """

    def __init__(self, cm, **kw):
        import threading

        super().__init__(cm, **kw)
        self._lock = threading.Lock()
        self._done = threading.Event()  # set by end(): stops the thread's sub-MILP too
        self._thread: threading.Thread | None = None
        self.highs_objective = np.inf  # HiGHS's incumbent's cost
        self.error: BaseException | None = None

    def begin(self, time_limit: float | None, stop=None) -> None:
        import threading

        super().begin(time_limit, stop)
        self._done.clear()
        self._thread = threading.Thread(target=self._run, name="yrdopt-lns", daemon=True)
        self._thread.start()

    def incumbent(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=float)
        if len(x) != self.cm.n_cols:
            return
        obj = cost_of(self.cm, x)
        with self._lock:
            self.highs_objective = min(self.highs_objective, obj)
            if obj < self.objective - 1e-9 * max(1.0, abs(obj)):
                self.x, self.objective = x.copy(), obj

    def propose(self, gap: float | None = None) -> np.ndarray | None:
        with self._lock:
            if self.x is None or not self.objective < self.highs_objective - 1e-6 * max(1.0, abs(self.objective)):
                return None
            self.highs_objective = self.objective  # offered once; HiGHS checks it before taking it
            return self.x.copy()

    def end(self) -> None:
        """Stop the thread and wait for it (its running sub-MILP is interrupted)."""
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def best(self) -> tuple[np.ndarray | None, float]:
        with self._lock:
            return self.x, self.objective

    def _stopped(self) -> bool:
        return self._done.is_set() or (self.stop is not None and self.stop.is_set())

    def _run(self) -> None:
        stop = _Either(self._done, self.stop)
        try:
            while not self._stopped():
                with self._lock:
                    base, base_obj = self.x, self.objective
                if base is None:  # no layout yet: wait for HiGHS's first
                    self._done.wait(0.2)
                    continue
                elapsed = time.perf_counter() - self.t0
                # a step ends before HiGHS's limit (5 %, at least 0.5 s, kept for it to notice)
                left = None if self.time_limit is None else self.time_limit - elapsed - max(0.5, 0.05 * self.time_limit)
                limit = self.step_limit if left is None else min(self.step_limit, left)
                if limit < 0.5:
                    return
                t = time.perf_counter()
                found = self._neighbourhood(base, base_obj, limit, stop=stop)
                self.used += time.perf_counter() - t
                if found is not None:
                    with self._lock:
                        if found[1] < self.objective:
                            self.x, self.objective = found
                            self.improved += 1
                self.log.append((t - self.t0, time.perf_counter() - t, self.objective))
        except BaseException as exc:  # noqa: BLE001 - a failed step must not end the solve; kept for the record
            self.error = exc


class _Either:
    """A stop flag set when either of two is (the thread's own and the solve's)."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def is_set(self) -> bool:
        return self.a.is_set() or (self.b is not None and self.b.is_set())


def fits(cm, x: np.ndarray, tol: float = 1e-6) -> bool:
    """Whether the column vector ``x`` meets every bound and row of ``cm`` (within ``tol``,
    relative to each row's size: ``tol * max(1, |A| @ |x|)``, each bound's ``tol * max(1, |x|)``)
    and is integral where it must be.

    A sweep calls it for every earlier layout of a chunk (``ScenarioSolver._from_pool``) and the
    LNS on every layout it composes, so it does little: every tolerance is at least ``tol``, so
    only what misses by more than ``tol`` needs its size, and the rows' sizes are computed for
    those rows alone (usually none), from a row-major copy of ``cm.A`` made once per matrix
    (:func:`_row_major`)."""
    x = np.asarray(x, dtype=float)
    if len(x) != cm.n_cols or not np.isfinite(x).all():
        return False
    miss = np.maximum(cm.col_lower - x, x - cm.col_upper)
    j = np.flatnonzero(miss > tol)
    if j.size and np.any(miss[j] > tol * np.maximum(1.0, np.abs(x[j]))):
        return False
    ints = cm.integrality > 0
    if np.any(np.abs(x[ints] - np.round(x[ints])) > tol):
        return False
    A = _row_major(cm.A)
    row = A @ x
    miss = np.maximum(cm.row_lower - row, row - cm.row_upper)
    i = np.flatnonzero(miss > tol)
    if not i.size:
        return True
    size = abs(A[i]) @ np.abs(x)
    return not np.any(miss[i] > tol * np.maximum(1.0, size))


# row-major copies of constraint matrices (id -> (weak reference to the matrix, its CSR copy)):
# a CSR product is 2-3x faster than CSC's, and only CSR gives a few rows cheaply.  Keyed by the
# matrix object, which nothing changes once a model holds it: a sweep's in-place patch writes new
# coefficients into a copy of the matrix and returns a model holding that copy
# (sweep.apply.InPlaceModel._set_entries), so a patched model is checked against its own rows.
# The weak reference drops the entry with the matrix, and tells a new matrix at a reused id apart.
_ROW_MAJOR: dict[int, tuple] = {}


def _row_major(A):
    """``A`` in CSR form, converted once per matrix object (:data:`_ROW_MAJOR`)."""
    import weakref

    key = id(A)
    hit = _ROW_MAJOR.get(key)
    if hit is not None and hit[0]() is A:
        return hit[1]
    csr = A.tocsr(copy=True)  # a copy even of a CSR matrix: the cache must not keep A alive

    def drop(ref, key=key):
        if _ROW_MAJOR.get(key, (None,))[0] is ref:
            del _ROW_MAJOR[key]

    _ROW_MAJOR[key] = (weakref.ref(A, drop), csr)
    return csr


def cost_of(cm, x: np.ndarray) -> float:
    """``cm``'s objective at the column vector ``x``.  Not ``cm.cost @ x`` (or ``np.dot``): a 1-d
    dot product goes to OpenBLAS, which at this length hands it to its threads and, on a loaded
    2-core machine, waits milliseconds for them (41x30x4, 161,256 columns: 8 ms against 0.08 ms
    for ``einsum``'s own loop; ``benchmarks/fits_time.py``)."""
    return float(np.einsum("i,i->", cm.cost, x)) + cm.offset


def layout_cost(cm, x: np.ndarray | None) -> float | None:
    """The cost of the column vector ``x`` of ``cm`` where it is a layout of ``cm``'s model
    (:func:`fits`); None where it is not (the greedy may miss a hard province share)."""
    return cost_of(cm, x) if x is not None and fits(cm, x) else None


def freed_segments(cm, x: np.ndarray) -> np.ndarray | None:
    """The segments :func:`repair` re-places to fit the layout ``x`` of a neighbouring scenario
    into ``cm`` (whole chains, sorted): the chains with a site where a quota is now exceeded, or
    whose activity no longer adds up (or that sit where they may not), growing by the chains of
    regions the fixed ones alone overfill.  None where :func:`sub_data` cannot keep the rest
    (brownfield, activity run inside enclave parks)."""
    d = cm.data
    if not applies(d):
        return None
    cur = layout_of(cm, x)
    act, place = cur.activity, cur.place
    cap = d.quota.copy()
    if d.E:
        np.add.at(cap, d.exp_region[cur.expand], d.exp_quota[cur.expand])
    footprint = d.footprint if d.footprint.size else np.zeros((d.S, d.R, d.K))

    def use_of(mask: np.ndarray) -> np.ndarray:
        return (np.einsum("sr,srk->rk", act[mask], d.use[mask])
                + np.einsum("sr,srk->rk", place[mask].astype(float), footprint[mask]))

    slack = 1e-9 * np.maximum(1.0, np.abs(cap))
    bad = ~np.isclose(act.sum(axis=1), d.activity, rtol=1e-7, atol=1e-9) | (place & ~d.allowed).any(axis=1)
    chains = np.zeros(len(d.chain_ids), dtype=bool)
    every = np.ones(d.S, dtype=bool)
    over = (use_of(every) > cap + slack).any(axis=1) if d.K else np.zeros(d.R, dtype=bool)
    bad |= place[:, over].any(axis=1)
    while True:
        chains[d.seg_chain[bad]] = True
        free = chains[d.seg_chain]
        over = (use_of(~free) > cap + slack).any(axis=1) if d.K else np.zeros(d.R, dtype=bool)
        more = place[:, over].any(axis=1) & ~free
        if not more.any():
            break
        bad |= more
    segs = np.flatnonzero(free)
    if len(segs) and _park_activity(cm, x, np.arange(d.S)):
        return None
    return segs


def _milp_layout(d: ModelData, seconds: float, stop=None) -> GreedyLayout | None:
    """The layout HiGHS finds for ``d`` within ``seconds`` (gap 1 %), None if none."""
    cm = build(d)
    s = HighsSolver(SolverOptions(time_limit=seconds, threads=1, mip_gap=1e-2), stop=stop)
    s.load(cm)
    res = s.solve()
    return None if res.x is None else layout_of(cm, res.x)


def repair(cm, x: np.ndarray, seconds: float, stop=None, fallback: str | None = "milp") -> np.ndarray | None:
    """A layout for ``cm`` near ``x``, a layout of a neighbouring scenario that no longer fits
    (a quota cut, a segment grown): the chains :func:`freed_segments` names are re-placed with
    the rest fixed (:func:`sub_data`): by the greedy in the room left, else, within what is left
    of ``seconds``, by their sub-MILP (``fallback="milp"``) or by :func:`construct` on them
    (``"construct"``: their tightest segments packed by a sub-MILP without flows, the greedy for
    the rest); ``None``: the greedy only.  None if no layout that way or the rest cannot be kept."""
    d = cm.data
    t0 = time.perf_counter()
    segs = freed_segments(cm, x)
    if segs is None:
        return None
    if not len(segs):
        return x if fits(cm, x) else None
    cur = layout_of(cm, x)
    act, expand = cur.activity, cur.expand
    sub = sub_data(d, segs, act, cur.place, expand)
    from .heuristic import greedy_layout

    part = greedy_layout(sub)
    if part is None:
        left = seconds - (time.perf_counter() - t0)
        if fallback is None or left <= 0.1 or _stopped(stop):
            return None
        part = construct(sub, left, stop=stop) if fallback == "construct" else _milp_layout(sub, left, stop)
        if part is None:
            return None
    act = act.copy()
    act[segs] = part.activity
    opened = expand.copy()
    if d.E:
        opened[np.flatnonzero(~expand)[part.expand]] = True
    out = start_vector(cm, GreedyLayout(act, act > 0, opened))
    return out if fits(cm, out) else None
