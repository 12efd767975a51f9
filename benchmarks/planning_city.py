"""Alternatives and fronts at city scale (issue 13): before and after they search as ``solve`` does.

    python benchmarks/planning_city.py [--threads 1] [--before REV] [--cases NAME...] [--analyses NAME...]

Cases: the shipped yrd-cities (exact shares of the provincial quotas) and the generated 41x10x3
and 41x30x4 (seed 1).  Analyses: ``alternatives`` (3 layouts within 5 % of the optimum, 60 s per MIP, gap 1e-4)
and ``front`` (distance against duplication, 3 epsilon values, 30 s per MIP, gap 1e-6).
Configurations, each in a fresh process, in one run (the machine is shared, so only same-run
ratios mean anything):

* ``before`` — the code at ``--before`` (default: the last commit before ``api.search``), taken
  out of git with ``git archive`` and put first on the path: the first MIP without a start,
  later lex stages without the stage before's layout, the neighbour search of alternatives
  outside the per-MIP limit;
* ``after``  — this tree: ``api.search`` for every MIP (greedy or constructed start for the
  first, the stage before's layout for later lex stages, each start's time counted in the limit).

Records per run: every layout's or point's values, status and verdict, the first MIP's gap,
the error where no result came back, and the wall time of the whole call.
Writes benchmarks/results/planning-city.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from city_scale import materialise  # noqa: E402
from common import RESULTS, ROOT, fmt, machine, write_json  # noqa: E402

REPO = ROOT.parent
BEFORE = "029372e"  # main just before api.search
CASES = {"yrd-cities (shipped, exact shares)": str(REPO / "instances" / "yrd-cities.yaml"),
         "generated 41x10x3 seed 1": "gen:41:10:3:1",
         "generated 41x30x4 seed 1": "gen:41:30:4:1"}
ANALYSES = {"alternatives": 60.0, "front": 30.0}  # seconds per MIP
CONFIGS = ("before", "after")


def one(path: str, analysis: str, limit: float, threads: int) -> dict:
    import yrdopt
    from yrdopt.solver import SolverOptions

    t0 = time.perf_counter()
    out: dict = {"code": str(Path(yrdopt.__file__).parent)}
    try:
        if analysis == "alternatives":
            from yrdopt.analysis.alternatives import alternatives

            res = alternatives(path, n=3, slack=0.05, options=SolverOptions(time_limit=limit, mip_gap=1e-4, threads=threads))
            first = res.layouts[0].solution.summary
            out.update(optimum=res.optimum, first_status=first["status"], first_gap=first["gap"], stopped=res.stopped,
                       layouts=[{"objective": a.objective, "above": a.above_optimum, "status": a.mga_status,
                                 "seconds": a.seconds, "start": getattr(a, "start", None), "verified": a.verified,
                                 "distance": min(a.distance_to_previous.values(), default=None)}
                                for a in res.layouts])
        else:
            from yrdopt.analysis.fronts import pareto_front

            res = pareto_front(path, ("distance", "duplication"), points=3,
                               options=SolverOptions(time_limit=limit, mip_gap=1e-6, threads=threads))
            # dropped: layouts a stage found that were a point already written or dominated by one
            out.update(stopped=res.stopped, exact=res.exact, solves=res.n_solves, dropped=getattr(res, "dropped", None),
                       points=[{**p.values, "status": p.status, "verified": bool(p.solution.summary["verified"])}
                               for p in res.points],
                       stages=getattr(res, "stages", None))
    except Exception as exc:  # noqa: BLE001 - a run without a result is a result here
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["wall_s"] = time.perf_counter() - t0
    return out


def before_tree(rev: str, tmp: Path) -> Path:
    """The package sources at ``rev``, extracted (no worktree, no change to the repository)."""
    dest = tmp / f"before-{rev}"
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--before", default=BEFORE, help="git revision of the 'before' configuration")
    ap.add_argument("--cases", nargs="*", help="case names (substrings) to run; default all")
    ap.add_argument("--analyses", nargs="*", choices=list(ANALYSES), help="default all")
    ap.add_argument("--parallel", type=int, default=1, help="configurations run side by side (same load for both)")
    ap.add_argument("--out", default="planning-city", help="results file stem under benchmarks/results")
    ap.add_argument("--one", nargs=3, metavar=("INSTANCE", "ANALYSIS", "LIMIT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one[0], a.one[1], float(a.one[2]), a.threads), default=str))
        return 0
    cases = {k: v for k, v in CASES.items() if not a.cases or any(c in k for c in a.cases)}
    analyses = a.analyses or list(ANALYSES)
    out = {"machine": machine(), "threads": a.threads, "before": a.before, "load_before": os.getloadavg(),
           "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        src = {"before": before_tree(a.before, Path(tmp)), "after": REPO / "src"}
        for name, spec in cases.items():
            path = materialise(spec, Path(tmp))
            for analysis in analyses:
                limit = ANALYSES[analysis]
                key = f"{name} / {analysis}"
                procs = {}
                for cfg in CONFIGS:  # both side by side when --parallel 2: the same load for both
                    env = {**os.environ, "PYTHONPATH": str(src[cfg]), "PYTHONHASHSEED": "0"}
                    cmd = [sys.executable, __file__, "--threads", str(a.threads), "--one", str(path), analysis, str(limit)]
                    procs[cfg] = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    if a.parallel < 2:
                        procs[cfg].wait()
                out["cases"][key] = {"limit_s": limit}
                for cfg, p in procs.items():
                    stdout, stderr = p.communicate()
                    try:
                        res = json.loads(stdout.strip().splitlines()[-1])
                    except (IndexError, json.JSONDecodeError):
                        res = {"error": stderr[-2000:]}
                    out["cases"][key][cfg] = res
                    print(f"{key:50s} {cfg:7s} {summary_line(analysis, res)}", flush=True)
                out["load_after"] = os.getloadavg()
                write_json(RESULTS / f"{a.out}.json", out)
    write_markdown(out, a.out)
    return 0


def summary_line(analysis: str, r: dict) -> str:
    if analysis == "alternatives":
        lays = r.get("layouts") or []
        body = ("layouts " + ", ".join(f"{x['objective']:.6g}" for x in lays)
                + f"; first gap {fmt(r.get('first_gap'), '.2%')}; starts {[x.get('start') for x in lays]}")
    else:
        pts = r.get("points") or []
        body = ("points " + ", ".join(f"({p['distance']:.6g}, {p['duplication']:.6g})" for p in pts)
                + f"; exact {r.get('exact')}; stopped {r.get('stopped')}; dropped {len(r.get('dropped') or [])}")
    return f"{body}; error {r.get('error')}; wall {r.get('wall_s', 0):.1f} s"


def write_markdown(out: dict, stem: str) -> None:
    from yrdopt.io import atomic_write_text

    m = out["machine"]
    lines = [f"# Alternatives and fronts at city scale (issue 13): {out['threads']} thread(s), HiGHS {m.get('highs')}, "
             f"Python {m.get('python')}", "",
             f"`before` = the code at {out['before']}; `after` = api.search for every MIP.  Shared 2-core machine "
             f"(load {out['load_before'][0]:.1f} at the start, {out.get('load_after', [0])[0]:.1f} at the end, "
             "other jobs running): timings are pessimistic and noisy; each row pair ran in the same run.", "",
             "| case / analysis | per MIP | config | result | first MIP gap | verified | wall |",
             "|---|---:|---|---|---:|---|---:|"]
    for key, case in out["cases"].items():
        analysis = key.rsplit(" / ", 1)[1]
        for cfg in CONFIGS:
            r = case.get(cfg, {})
            if analysis == "alternatives":
                lays = r.get("layouts") or []
                res = ", ".join(f"{x['objective']:.6g}" for x in lays) or "—"
                ver = all(x["verified"] for x in lays) if lays else "—"
                gap = fmt(r.get("first_gap"), ".2%")
            else:
                pts = r.get("points") or []
                res = "; ".join(f"({p['distance']:.5g}, {p['duplication']:.4g})" for p in pts) or "—"
                if r.get("dropped"):
                    res += f" ({len(r['dropped'])} found again or dominated, not written)"
                ver = all(p["verified"] for p in pts) if pts else "—"
                gap = fmt((r.get("stages") or [{}])[0].get("gap"), ".2%")
            if r.get("error"):
                res += f" — {r['error'][:90]}"
            lines.append(f"| {key} | {case['limit_s']:g} s | {cfg} | {res} | {gap} | {ver} | {fmt(r.get('wall_s'), '.1f')} s |")
    atomic_write_text(RESULTS / f"{stem}.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
