"""Workbench latency in headless Chromium: page load, and from clicking "Solve" to the updated map.

    python benchmarks/app_latency.py [--runs 5] [--instance PATH]

Starts `yrdopt app` on a fresh workspace, drives Debian's Chromium through Selenium and reads the
page's own performance marks: ``ready`` (ms from navigation start until the page has drawn both
maps and the summary) and ``solve-clicked`` -> ``map-updated`` (the solve queued, HiGHS, the checker,
the baseline comparison, the scenario written, the new view fetched and drawn).  The baseline
measured in the same run is the bare API solve of the same instance (``yrdopt.solve``, in this
process, warm): the ratio says what the workbench adds on top of the solve.  Results:
``benchmarks/results/app-latency.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from common import RESULTS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--instance", default=None, help="instance file (default: the embedded default)")
    args = ap.parse_args()

    from importlib import metadata

    import selenium
    from selenium.webdriver.common.by import By

    import yrdopt
    from app_helpers import start_server, wait_idle
    from test_app_browser import make_driver, wait

    from yrdopt.app.server import solver_options

    inst = yrdopt.load_instance(args.instance)
    yrdopt.solve(inst)  # warm
    api_s, api_app_s = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        yrdopt.solve(inst)
        api_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        yrdopt.solve(inst, options=solver_options(inst, None))  # the options the workbench uses
        api_app_s.append(time.perf_counter() - t0)

    tmp = Path(tempfile.mkdtemp(prefix="app-bench-"))
    extra = [args.instance] if args.instance else []
    proc, url = start_server(tmp / "ws", *extra)
    driver = None
    try:
        wait_idle(url.rstrip("/"), timeout=600)
        driver = make_driver(tmp)
        loads = []
        for _ in range(args.runs):
            driver.get(url)
            wait(driver, lambda d: d.execute_script("return performance.getEntriesByName('ready').length") > 0, 60, "ready")
            loads.append(driver.execute_script("return performance.getEntriesByName('ready')[0].startTime") / 1000)
        solves = []
        land0 = float(driver.find_element(By.CSS_SELECTOR, 'input[data-path="regions[0].quotas.land"]').get_attribute("value") or 1)
        for k in range(args.runs):
            driver.execute_script("performance.clearMarks('solve-clicked'); performance.clearMarks('map-updated')")
            land = driver.find_element(By.CSS_SELECTOR, 'input[data-path="regions[0].quotas.land"]')
            land.clear()
            land.send_keys(f"{land0 * (1.5 + k):.4g}")
            wait(driver, lambda d: d.find_element(By.ID, "solve-btn").is_enabled(), 30, "validated")
            time.sleep(0.3)  # let the validation request finish: it is not part of the solve
            driver.find_element(By.ID, "solve-btn").click()
            wait(driver, lambda d: d.execute_script("return performance.getEntriesByName('map-updated').length") > 0, 600, "map")
            solves.append(driver.execute_script(
                "return performance.measure('s', 'solve-clicked', 'map-updated').duration") / 1000)
    finally:
        if driver is not None:
            driver.quit()
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    med = statistics.median
    res = {"instance": inst.name, "runs": args.runs, "page_load_s": loads, "solve_to_map_s": solves, "api_solve_s": api_s,
           "api_solve_app_options_s": api_app_s,
           "median": {"page_load_s": med(loads), "solve_to_map_s": med(solves), "api_solve_s": med(api_s),
                      "api_solve_app_options_s": med(api_app_s)},
           "ratio_solve_to_map_over_api_solve": med(solves) / med(api_s),
           "ratio_solve_to_map_over_api_solve_app_options": med(solves) / med(api_app_s),
           "versions": {"python": platform.python_version(), "yrdopt": yrdopt.__version__ if hasattr(yrdopt, "__version__") else "",
                        "highspy": metadata.version("highspy"), "selenium": selenium.__version__},
           "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    RESULTS.mkdir(exist_ok=True)
    stem = "app-latency" + ("" if args.instance is None else "-" + inst.name)
    (RESULTS / f"{stem}.json").write_text(json.dumps(res, indent=2))
    f = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    md = (f"# Workbench latency ({inst.name}, {res['when']}, {args.runs} runs, 2 shared cores)\n\n"
          f"| measure | median (s) | runs (s) |\n|---|---:|---|\n"
          f"| page load (navigation start to both maps drawn) | {med(loads):.2f} | {f(loads)} |\n"
          f"| click Solve to updated map | {med(solves):.2f} | {f(solves)} |\n"
          f"| baseline: `yrdopt.solve` in process, default options | {med(api_s):.2f} | {f(api_s)} |\n"
          f"| baseline: `yrdopt.solve` in process, the workbench's options | {med(api_app_s):.2f} | {f(api_app_s)} |\n\n"
          f"Solve-to-map / API solve: {res['ratio_solve_to_map_over_api_solve']:.2f}x (default options), "
          f"{res['ratio_solve_to_map_over_api_solve_app_options']:.2f}x (same options). Versions: {res['versions']}.\n")
    (RESULTS / f"{stem}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
