"""The HTML report: one self-contained file, rendered by headless Chromium with the network cut."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

import yrdopt
from conftest import ROOT
from yrdopt.analysis.baseline import compare_with_baseline
from yrdopt.cli import app
from yrdopt.analysis.explain import shadow_prices
from yrdopt.io import load_instance
from yrdopt.report import charts
from yrdopt.report.html import build_report, resolve_instance

runner = CliRunner()
IMG = re.compile(r'<figure class="fig" data-figure="(\w+)"><img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars",
                  # no network: any request that is not a file would go to a dead proxy
                  "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


@pytest.fixture(scope="module")
def city_solution(tmp_path_factory):
    """The shipped 41-city instance solved (real HiGHS), compared with its baseline (today's
    layout), with quota prices, written as `solve` does."""
    d = tmp_path_factory.mktemp("city")
    path = ROOT / "instances" / "yrd-cities.yaml"
    inst = load_instance(path)
    # a verified layout within 5 % is all the report needs (about 4 s; within 1 %, 30-55 s of the
    # suite's time at exact quota shares, issue 13)
    sol = yrdopt.solve(inst, time_limit=90, gap=0.05)
    assert sol.summary["verified"]
    sol.summary["baseline"] = compare_with_baseline(sol, path.with_name("yrd-cities.baseline.csv"))
    sol.write(d)
    prices = shadow_prices(inst, d)
    prices.quotas.to_csv(d / "prices.csv", index=False)
    return inst, sol, d


def _rgb(png: bytes | Path) -> np.ndarray:
    """(H, W, 3) uint8 pixels of a PNG (PIL directly: a tall screenshot decodes in a blink)."""
    src = io.BytesIO(png) if isinstance(png, bytes) else png
    with Image.open(src) as im:
        return np.asarray(im.convert("RGB"))


def _images(text: str) -> list[tuple[str, str, np.ndarray]]:
    return [(kind, alt, _rgb(base64.b64decode(data))) for kind, alt, data in IMG.findall(text)]


def _ink(a: np.ndarray) -> float:
    """Share of pixels that are not (near) white."""
    return float(((a[..., :3] < 240).any(axis=-1)).mean())


@pytest.fixture(scope="module")
def city_report(city_solution, tmp_path_factory):
    d = city_solution[2]
    out = tmp_path_factory.mktemp("report") / "report.html"
    r = runner.invoke(app, ["report", str(d), "--out", str(out)])  # the instance is found by its hash
    assert r.exit_code == 0, r.output
    return out


def test_report_is_one_self_contained_file(city_solution, city_report):
    inst, sol, d = city_solution
    text = city_report.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)\s*=\s*"(?!data:|#)', text), "a reference outside the file"
    assert "<script" not in text and "<link" not in text and "url(" not in text and "@import" not in text
    imgs = _images(text)
    kinds = [k for k, _, _ in imgs]
    assert kinds.count("map") >= 3 and kinds.count("chart") >= 4  # layout by chain, by kind, vs baseline
    for kind, alt, a in imgs:
        assert a.shape[0] > 200 and a.shape[1] > 300, alt
        assert _ink(a) > 0.02, f"{alt}: blank image"
    # bilingual names wherever a region is named: every host (the two Suzhous included, told apart)
    for rid in set(sol.placements()["region"]):
        r = inst.region(rid)
        assert f"{r.name_en} {r.name_zh}" in html.unescape(text)  # "Huai'an" is written Huai&#x27;an
    assert "VERIFIED" in text and "NOT VERIFIED" not in text
    # the status in the words yrdopt solve writes (summary.json's status_text), with the gap its bound proves
    # (before: "Solver status: optimal, gap 3.2 %", the bare word)
    s = sol.summary
    words = s["status_text"] + (f" (relative gap {s['gap']:.3g} to a proven bound)" if s["status"] == "optimal" else "")
    assert f"Status: {words}." in html.unescape(text) and "Solver status" not in text, s["status_text"]
    # every placement of the layout is in the layout table
    table = text[text.index('<section id="layout">'):text.index("</section>", text.index('<section id="layout">'))]
    assert table.count("<tr>") - 1 >= len(sol.placements())
    assert "Comparison with the baseline" in text and "duplicated segments" in text
    # chains and segments by name, never their ids (before: "ic", "rd"); the layout's kinds in words
    cells = set(re.findall(r"<td>([^<]*)</td>", table))
    assert not cells & {c.id for c in inst.chains} and "R&amp;D 研发" in cells and "rd" not in cells, sorted(cells)[:40]
    # summary.json's baseline entry as the file has it, each key with what it is (before: the keys alone)
    folded = text[text.index("<details>"):text.index("</details>")]
    assert "the machine-readable file" in folded and "<td>token_sites</td><td>sites with &lt; 1 % of their segment</td>" in folded
    assert "<td>guarantee_shortfall</td><td>guarantee shortfall</td>" in folded and "<h4>change (optimized minus baseline)</h4>" in folded
    assert "Relative specialization index per province" in text
    assert "Binding limits and their prices" in text and "prices.csv" in text
    assert "Placements that moved" in text


@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed (Debian: apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(city_report, tmp_path):
    report = city_report
    chromium = find_chromium()
    # 1. where Chromium lays out each figure, and whether it decoded the image
    probe = tmp_path / "probe.html"
    script = ("<script>window.addEventListener('load',()=>{const r=[...document.querySelectorAll('figure img')]"
              ".map(i=>{const b=i.getBoundingClientRect();return {kind:i.parentElement.dataset.figure,x:b.left+scrollX,"
              "y:b.top+scrollY,w:b.width,h:b.height,natural:i.naturalWidth,complete:i.complete}});"
              "const p=document.createElement('pre');p.id='probe';p.textContent=JSON.stringify({figs:r,"
              "height:document.documentElement.scrollHeight});document.body.appendChild(p);});</script>")
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8")
    width = 1280
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile1'}",
                          f"--window-size={width},1000", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=60)
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert m, dom.stderr[-2000:]
    info = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    figs = info["figs"]
    assert all(f["complete"] and f["natural"] > 0 for f in figs), "Chromium could not decode an embedded image"
    # 2. a screenshot of the report itself, tall enough to hold the whole page
    height = int(info["height"]) + 20
    shot = tmp_path / "shot.png"
    res = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}",
                          f"--window-size={width},{height}", f"--screenshot={shot}", report.as_uri()],
                         capture_output=True, text=True, timeout=60)
    assert shot.exists(), res.stderr[-2000:]
    img = _rgb(shot)
    assert img.shape[1] == width and img.shape[0] >= height - 40
    # 3. the map and the charts are on screen and not blank where Chromium put them
    drawn = {"map": 0, "chart": 0}
    for f in figs:
        x0, y0 = int(f["x"]), int(f["y"])
        crop = img[y0:y0 + int(f["h"]), x0:x0 + int(f["w"])]
        assert crop.size and f["w"] > 200 and f["h"] > 150, f
        assert _ink(crop) > 0.02, f"blank {f['kind']} at {f}"
        rgb = crop[::3, ::3, :3].astype(np.int64)
        assert len(np.unique(rgb[..., 0] * 65536 + rgb[..., 1] * 256 + rgb[..., 2])) > 8, f  # a picture, not a fill
        drawn[f["kind"]] += 1
    assert drawn["map"] >= 1 and drawn["chart"] >= 3


def test_report_without_geography_or_instance_copy(tmp_path, williams_path):
    """Williams' English cities have no boundary: the maps say what they could not draw; --instance is honoured."""
    d = tmp_path / "sol"
    yrdopt.solve(williams_path, out=d)
    (d / "instance.json").unlink()
    # its summary.json as an older version wrote a layout stopped at the time limit before a bound: "(gap
    # reported)" without a gap, no gap_requested nor tolerances; the report says what yrdopt solve says now
    # (before: "Solver status: time_limit_with_incumbent")
    import json

    summary = json.loads((d / "summary.json").read_text())
    summary["solver"].pop("tolerances")
    older = {k: v for k, v in summary.items() if k != "gap_requested"}
    (d / "summary.json").write_text(json.dumps({
        **older, "status": "time_limit_with_incumbent", "bound": None, "gap": None,
        "status_text": "stopped at the time limit with a feasible layout (gap reported)"}))
    r = runner.invoke(app, ["report", str(d), "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "--instance" in r.output  # not found: say how to give it
    r = runner.invoke(app, ["report", str(d), "--out", str(tmp_path / "r.html"), "--instance", str(williams_path)])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "not drawn" in text and "Bristol" in text
    assert "VERIFIED" in text
    assert "Status: stopped at the time limit with a feasible layout (no proven bound yet, so no gap)." in text
    assert "gap reported" not in text and "Solver status" not in text
    # the same words from the figures of other summaries older versions wrote (solver.summary_status_words, the
    # report's): "optimal" with the bound 10 % below is no optimum; a rejected layout kept "optimal" beside
    # verified false; HiGHS's loosened tolerances prove no bound
    from yrdopt.solver import STATUS_TEXT, summary_status_words

    obj = summary["objective"]
    said = summary_status_words({**summary, "bound": obj - 0.1 * abs(obj), "gap": 0.0})
    assert said.startswith(STATUS_TEXT["unproven"]) and "gap from the layout's own objective to the bound, 0.1, " in said
    assert summary_status_words({**summary, "verified": False}) == f"{STATUS_TEXT['not_verified']} (the solve alone said optimal)"
    said = summary_status_words({**summary, "solver": {"options": {"highs": {"mip_feasibility_tolerance": 0.01}}}})
    assert said.startswith(STATUS_TEXT["unproven"] + "; HiGHS ran with loosened tolerances (mip_feasibility_tolerance 0.01"), said
    # false claims of summary.json (a bound above the objective, a gap that does not follow, "optimal" beyond the
    # requested gap): the report runs `yrdopt check`'s claims check and says them beside the verdict (before: the
    # layout alone was re-checked, so VERIFIED beside the claims `yrdopt check` rejects)
    (d / "summary.json").write_text(json.dumps({**summary, "bound": obj + 100.0, "gap": 0.5}))
    text = html.unescape(build_report(d, williams_path))
    assert "NOT VERIFIED" in text and "Claims of summary.json that do not hold: the stated lower bound " in text
    assert "a lower bound above the objective of a feasible layout" in text and "the stated gap 0.5" in text
    assert f"Status: {STATUS_TEXT['not_verified']} (the solve alone said optimal)." in text
    assert runner.invoke(app, ["check", str(williams_path), str(d)]).exit_code == 5
    (d / "summary.json").write_text(json.dumps({**summary, "bound": obj - 0.1 * abs(obj), "gap": 0.1}))
    text = html.unescape(build_report(d, williams_path))
    assert "NOT VERIFIED" in text and "the stated status optimal, the layout gives 0.1: 'optimal' needs the bound" in text
    # a different instance than the one solved: reported, not hidden
    other = load_instance(williams_path).model_copy(update={"name": "other"})
    assert "is not the one summary.json names" in resolve_instance(d, other)[1][0]


def test_charts_compute_what_they_show(tmp_path):
    pts = pd.DataFrame({"distance": [1.0, 2.0, 3.0, 2.5, 4.0], "duplication": [5.0, 3.0, 1.0, 3.5, 1.0],
                        "weight": [0, 0.25, 0.5, 0.75, 1.0]})
    assert list(charts.nondominated(pts[["distance", "duplication"]].to_numpy())) == [True, True, True, False, False]
    fig = charts.pareto_chart(pts)  # columns chosen: the weight column is bookkeeping
    assert fig.axes[0].get_xlabel() == "distance (logistics)" and fig.axes[0].get_ylabel() == "duplication"  # term names
    # a front whose stages stopped at their limit (yrdopt pareto's proven column): those points are marked
    legend = [t.get_text() for t in charts.pareto_chart(pts.assign(proven=[True, False, True, True, True]))
              .axes[0].get_legend().get_texts()]
    assert "not proven (1: a stage stopped at its limit)" in legend
    # a point "unproven" (no bound proves it: HiGHS's tolerances loosened) is not said to have stopped at a limit
    legend = [t.get_text() for t in charts.pareto_chart(pts.assign(proven=[True, False, True, True, True],
                                                                    status=["optimal", "unproven"] + ["optimal"] * 3))
              .axes[0].get_legend().get_texts()]
    assert "not proven (1: no bound proves it)" in legend, legend
    assert not any("not proven" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
    # a point the checker rejected (2, 3) is off the front, and the confirmed (2.5, 3.5) it
    # dominates is on it, not grey (before: the rejected point on the line, the confirmed one "dominated")
    ax = charts.pareto_chart(pts.assign(verified=[True, False, True, True, True])).axes[0]
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [1.0, 2.5, 3.0], line.get_xdata()
    grey, crossed = (next(c for c in ax.collections if c.get_label() == lab).get_offsets().tolist()
                     for lab in ("dominated", "rejected by the independent checker (1)"))
    assert grey == [[4.0, 1.0]] and crossed == [[2.0, 3.0]]
    long = pd.DataFrame({"parameter": ["land", "land", "land", "energy", "energy"],
                         "objective": [10.0, 12.0, 9.0, 10.5, 10.2]})
    t, base = charts.tornado_table(long, base=10.0)
    assert list(t["parameter"]) == ["energy", "land"]  # widest range last (top of the chart)
    assert t.set_index("parameter").loc["land", ["low", "high"]].tolist() == [9.0, 12.0]
    # the sweep's own tornado.csv: low/high are the parameter's values, objective_low/high the objectives
    sweep = pd.DataFrame({"parameter": ["land", "energy"], "low": [0.8, 0.9], "high": [1.2, 1.1],
                          "objective_low": [100.0, 99.0], "objective_high": [90.0, 101.0]})
    t, _ = charts.tornado_table(sweep, base=100.0)
    assert t["low"].tolist() == [99.0, 100.0] and t["high"].tolist() == [101.0, 90.0]
    assert t["parameter"].tolist() == ["energy (0.9 / 1.1)", "land (0.8 / 1.2)"]
    share = pd.DataFrame({"chain": "ic", "segment": "rd", "region": ["a", "b"], "scenarios": [3, 1], "share": [0.75, 0.25]})
    assert charts.frequency_matrix(share).loc["ic/rd"].tolist() == [0.75, 0.25]
    runs = pd.DataFrame({"run": [1, 1, 2, 2, 3], "chain": "ic", "segment": ["rd", "fab", "rd", "fab", "rd"],
                         "region": ["sh", "ah", "sh", "js", "js"], "sited": True})
    m = charts.frequency_matrix(runs)
    assert m.loc["ic/rd", "sh"] == pytest.approx(2 / 3) and m.loc["ic/fab", "js"] == pytest.approx(1 / 3)
    assert m.loc["ic/rd", "js"] == pytest.approx(1 / 3) and m.loc["ic/fab", "sh"] == 0.0
    for fig in (charts.tornado_chart(long, 10.0), charts.frequency_heatmap(runs),
                charts.objective_terms_chart({"a": {"distance": 1, "site_cost": 2}, "b": {"distance": 2, "site_cost": 1}})):
        assert _ink(_rgb(_png(fig))) > 0.02


def test_resource_use_matches_the_checker(city_solution):
    inst, sol, d = city_solution
    t = charts.resource_use_table(inst, sol.layout, sol.expansions)
    # recompute from the instance objects directly: activity x use per unit, summed per region
    want = {}
    for row in sol.placements().itertuples():
        seg = inst.segment(row.chain, row.segment)
        for res in [r.id for r in inst.resources]:
            use = seg.resource_use_by_region.get(row.region, {}).get(res, seg.resource_use.get(res, 0.0))
            want[(row.region, res)] = want.get((row.region, res), 0.0) + row.activity * use
    got = {(r, k): u for r, k, u in zip(t["region"], t["resource"], t["use"])}
    for key, v in want.items():
        assert got[key] == pytest.approx(v, rel=1e-9, abs=1e-9)
    assert (t["use"] <= t["quota"] * (1 + 1e-6) + 1e-6).all()  # a verified layout stays within quota


def test_sweep_and_pareto_files_in_the_directory_join_the_report(tmp_path, williams_path):
    d2 = tmp_path / "sol"
    sol = yrdopt.solve(williams_path, out=d2)
    pd.DataFrame({"distance": [1.0, 2.0, 3.0], "duplication": [3.0, 2.0, 1.0]}).to_csv(d2 / "pareto.csv", index=False)
    sweep = tmp_path / "sweep"  # what `yrdopt sweep` writes
    sweep.mkdir()
    pd.DataFrame({"parameter": ["land", "energy"], "low": [0.8, 0.9], "high": [1.2, 1.1],
                  "objective_low": [90.0, 94.0], "objective_high": [99.0, 95.0]}).to_csv(sweep / "tornado.csv", index=False)
    runs = sol.placements().assign(scenario=1)
    pd.concat([runs, runs.assign(scenario=2)]).to_csv(d2 / "sweep_layouts.csv", index=False)
    text = build_report(d2, tornado=sweep)
    alts = [alt for _, alt, _ in _images(text)]
    assert {"Trade-off front", "Sensitivity (tornado)", "Segment x region frequency over the sweep"} <= set(alts)


def test_a_front_not_finished_is_said_so_in_the_report(tmp_path, williams_path):
    """``report --pareto DIR`` reads front.json's status: a front in progress or incomplete is said so
    beside its chart and in the chart's title and legend (before: drawn as a finished "trade-off
    front (1 points)").  A finished front keeps its plain title."""
    d2 = tmp_path / "sol"
    yrdopt.solve(williams_path, out=d2)
    front = tmp_path / "front"
    front.mkdir()
    pd.DataFrame({"distance": [1.0], "duplication": [3.0], "proven": [True]}).to_csv(front / "front.csv", index=False)
    # front.json keeps the term keys and status codes; the report says them as it names the objective's terms
    # (before: "the distance-best end", "(time_limit_no_incumbent)", axes "distance" and "duplication")
    why = "no layout minimising distance (time_limit_no_incumbent): the distance-best end is missing"
    for status, why in (("incomplete", why), ("in_progress", None), ("exact", None)):
        (front / "front.json").write_text(json.dumps({"status": status, "incomplete": why}))
        text = build_report(d2, pareto=front)
        said = f"The trade-off front is {charts.UNFINISHED_FRONT[status]}" if status != "exact" else None
        assert (said in text if said else "The trade-off front is" not in text), (status, text[:2000])
        if why:
            assert ("no layout minimising distance (logistics) (stopped at the time limit before any feasible layout "
                    "was found): the end best in distance (logistics) is missing") in text, text
        fig = charts.pareto_chart(front / "front.csv", status=status)
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        title = fig.axes[0].get_title()
        assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("distance (logistics)", "duplication")
        if status == "exact":  # a count agrees with its noun (before: "(1 points)")
            assert title == "Trade-off front" and "trade-off front (1 point)" in legend
        else:
            assert title.startswith("Trade-off front: ") and "points found so far (1)" in legend, (title, legend)


def _png(fig) -> bytes:
    from yrdopt.report.maps import figure_png

    return figure_png(fig)


def test_export_html_paths_are_clear_errors(tmp_path):
    r = runner.invoke(app, ["report", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "layout.csv" in r.output
    assert Path(tmp_path / "r.html").exists() is False
