"""The workbench's server: scenarios on disk, the solver queue, validation, the safety rules.

Real solves with HiGHS through the HTTP API of a server running in this process (and, for the
kill test, in a child process killed with SIGKILL).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import yrdopt
from app_helpers import HEADERS, call, serving, start_server, wait_idle, wait_job
from conftest import ROOT
from yrdopt.app.server import ClientError, Workbench, make_server, scenario_about, serve_in_thread
from yrdopt.app.wording import change_words
from yrdopt.app.workspace import SOLUTION_FILES, Workspace
from yrdopt.checker import check_layout, read_layout_dir
from yrdopt.cli import app as cli_app
from yrdopt.io import content_hash, instance_dict, load_instance
from yrdopt.progress import DIAGNOSE, HIGHS, PHASES


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ws = tmp_path_factory.mktemp("ws")
    wb = Workbench(None, ws)  # the embedded default; solves it at start
    with serving(wb) as base:
        yield wb, base


def edited(wb, land: float) -> dict:
    inst = json.loads(json.dumps(wb.instance_json))
    inst["regions"][0]["quotas"]["land"] = land
    return inst


def solve_via_api(base, inst, name):
    status, job = call(base, "POST", "/api/solve", {"instance": inst, "name": name})
    assert status == 202, job
    job = wait_job(base, job)
    assert job["state"] == "done", job
    return job


def test_bootstrap_has_the_instance_map_and_todays_layout(server):
    wb, base = server
    status, boot = call(base, "GET", "/api/bootstrap")
    assert status == 200
    assert boot["instance_name"] == "yrd-default"
    regions = {r["id"]: r for r in boot["geometry"]["regions"]}
    assert set(regions) == {r.id for r in wb.instance.regions}
    assert all(r["d"].startswith("M") and r["anchor"] for r in regions.values())
    scen = {s["id"]: s for s in boot["scenarios"]}
    base_sc = scen[boot["baseline_id"]]
    assert base_sc["kind"] == "baseline"
    # today's objective as the checker evaluates the shipped baseline file
    layout, flows, exps = read_layout_dir(ROOT / "src/yrdopt/data/yrd-default.baseline.csv")
    rep = check_layout(wb.instance, layout, flows, exps)
    assert base_sc["objective"] == pytest.approx(rep.objective, rel=1e-9)
    # the opened instance was solved at start: its optimum, verified
    first = [s for s in boot["scenarios"] if s["kind"] == "solve"]
    assert len(first) == 1 and first[0]["verified"] and first[0]["status"] == "optimal"
    assert first[0]["name"] == "opened instance (yrd-default)"  # what it is, optimal or not (its status says)
    assert first[0]["objective"] == pytest.approx(yrdopt.solve(wb.instance).objective, rel=1e-6)


def test_page_and_assets_are_served_locally(server):
    _, base = server
    status, html = call(base, "GET", "/", headers={})
    assert status == 200
    text = html.decode()
    refs = [r for r in re.findall(r'(?:src|href)="([^"]+)"', text) if r != "#"]
    assert refs and all(r.startswith("/static/") for r in refs), refs
    for r in refs:
        st, body = call(base, "GET", r, headers={})
        assert st == 200 and body
        # no script or style reaches for the network (the SVG namespace is a name, not a request)
        urls = set(re.findall(r"https?://[^\s\"'`)]+", body.decode())) - {"http://www.w3.org/2000/svg"}
        assert not urls, (r, urls)


def test_solve_saves_a_scenario_with_the_files_yrdopt_solve_writes(server):
    wb, base = server
    inst = edited(wb, 60.0)
    job = solve_via_api(base, inst, "more land for Shanghai")
    sid = job["result"]["scenario"]
    d = wb.workspace.dir / sid
    for f in SOLUTION_FILES:
        assert (d / f).exists(), f
    summary = json.loads((d / "summary.json").read_text())
    assert summary["verified"] and "baseline" in summary
    # the files read back by the library: the instance solved is the edited one, the layout checks
    assert content_hash(load_instance(d / "instance.json")) == content_hash(load_instance(inst))
    assert yrdopt.check(d / "instance.json", d).verified
    # same optimum as solving the edited instance directly
    assert summary["objective"] == pytest.approx(yrdopt.solve(load_instance(inst)).objective, rel=1e-6)
    meta = json.loads((d / "scenario.json").read_text())
    assert meta["name"] == "more land for Shanghai"
    assert meta["changes"] == ["regions[id=shanghai].quotas.land: 28.48 -> 60.0"]
    status, view = call(base, "GET", f"/api/scenarios/{sid}")
    assert status == 200 and view["check"]["verified"]
    assert view["objective"] == pytest.approx(summary["objective"])
    # the overview map: each region in the colour of the chain with the largest value it hosts
    lay = pd.read_csv(d / "layout.csv")
    lay = lay[lay["sited"].astype(bool)]
    vpu = {(c.id, s.id): s.value_per_unit for c in wb.instance.chains for s in c.segments}
    lay["value"] = [a * vpu[(c, s)] for a, c, s in zip(lay["activity"], lay["chain"], lay["segment"])]
    lead = lay.groupby(["region", "chain"])["value"].sum().unstack(fill_value=0).idxmax(axis=1).to_dict()
    overview = view["panels"][0]
    assert overview["key"] == "overview:lead-chain"
    assert overview["region_category"] == {r.id: lead.get(r.id, "none") for r in wb.instance.regions}
    sh = view["regions"]["shanghai"]
    land = next(u for u in sh["resources"] if u["resource"] == "land")
    assert land["quota"] == 60.0 and land["use"] <= 60.0 + 1e-6


def test_invalid_edit_is_reported_with_its_field_path(server):
    wb, base = server
    inst = edited(wb, 60.0)
    inst["regions"][1]["quotas"]["energy"] = -5
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert status == 200 and not res["ok"]
    assert [p["path"] for p in res["problems"]] == ["regions[1].quotas.energy"]
    assert "greater than or equal to 0" in res["problems"][0]["expected"]
    status, res = call(base, "POST", "/api/solve", {"instance": inst})
    assert status == 400 and res["problems"][0]["path"] == "regions[1].quotas.energy"
    # cross-checks too: a guarantee for a province that no region names
    inst = edited(wb, 60.0)
    inst["policy"]["province_min_share"] = {"Atlantis": 0.1}
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert res["problems"][0]["path"] == "policy.province_min_share.Atlantis"


def test_an_invalid_edit_names_the_region_as_the_planner_knows_it(server):
    """regions[17].quotas.land meant nothing to a planner: the region's name comes first, the path kept."""
    wb, base = server
    k = len(wb.instance.regions) - 1
    inst = json.loads(json.dumps(wb.instance_json))
    inst["regions"][k]["quotas"]["land"] = -1
    region = wb.instance.regions[k]
    where = f"{region.name_en} (regions[{k}]) land quota"
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert status == 200 and [p["where"] for p in res["problems"]] == [where], res
    assert res["problems"][0]["path"] == f"regions[{k}].quotas.land"  # the editor finds the field by it
    assert f"{where}: got -1; expected greater than or equal to 0" in res["problems"][0]["message"]
    status, res = call(base, "POST", "/api/solve", {"instance": inst, "name": "negative land"})
    assert status == 400 and res["problems"][0]["where"] == where and where in res["error"], res
    # a segment by its chain's and its own name
    inst = json.loads(json.dumps(wb.instance_json))
    inst["chains"][0]["segments"][0]["activity"] = -3
    chain, seg = wb.instance.chains[0], wb.instance.chains[0].segments[0]
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert res["problems"][0]["where"].startswith(f"{chain.name_en or chain.id} / {seg.name or seg.id} "
                                                   "(chains[0].segments[0]) activity"), res
    # a province's minimum share as the percentage it means, and a weight by its term (they were
    # "policy.province_min_share.Shanghai: got 150; expected less than or equal to 1", "weights.site_cost")
    inst = json.loads(json.dumps(wb.instance_json))
    inst["policy"]["province_min_share"] = {"Shanghai": 150}
    inst["weights"]["site_cost"] = -1
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    said = {p["where"]: (p.get("got"), p["expected"]) for p in res["problems"]}
    assert said["Shanghai minimum share"] == ("15,000 %", "at most 100 %"), said
    assert "weight of site cost" in said, said
    # the change list says shares as percentages, never "1.5e+04 %"
    assert change_words(inst, 'policy.province_min_share.Shanghai: null -> 150') == \
        "Shanghai minimum share of the area's value none → 15,000 %"


def test_knock_on_problems_reach_the_page_under_their_cause(server):
    """The problems JSON had no ``follows``: what follows from a mistake was only in its message text.
    A region id misspelt where it is defined is one problem; each place naming the id follows from it,
    by its path (the editor's) and in the planner's words."""
    wb, base = server
    inst = json.loads(json.dumps(wb.instance_json))
    assert inst["regions"][0]["id"] == "shanghai"
    inst["regions"][0]["id"] = "shanghia"
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert status == 200 and not res["ok"]
    (problem,) = res["problems"]
    assert problem["path"] == "regions[0].id" and problem["value"] == "shanghia"
    follows = {f["path"]: f["where"] for f in problem["follows"]}
    chain, seg = wb.instance.chains[0], wb.instance.chains[0].segments[0]
    assert follows["chains[0].segments[0].site_cost.shanghai"] == (
        f"{chain.name_en} / {seg.name} (chains[0].segments[0]) site_cost.shanghai")
    assert len(follows) > 8 and all(p.startswith(("chains[", "economic_distance.")) for p in follows), follows
    # refused by Solve: the same, and the reason in the job bar names the places in words too
    status, res = call(base, "POST", "/api/solve", {"instance": inst, "name": "misspelt"})
    assert status == 400 and [len(p["follows"]) for p in res["problems"]] == [len(follows)]
    assert f"follow from this one: {chain.name_en} / {seg.name} (chains[0].segments[0])" in res["error"]
    # a problem nothing follows from has an empty list
    inst = edited(wb, -1.0)
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert [p["follows"] for p in res["problems"]] == [[]]


def test_the_browser_can_name_no_files(server):
    wb, base = server
    inst = edited(wb, 60.0)
    inst["regions_csv"] = "/etc/passwd"
    status, res = call(base, "POST", "/api/solve", {"instance": inst})
    assert status == 400 and res["problems"][0]["path"] == "regions_csv"
    inst = edited(wb, 60.0)
    inst["economic_distance"]["matrix_csv"] = "../../secret.csv"
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert res["problems"][0]["path"] == "economic_distance.matrix_csv"
    for bad in ("..%2F..%2Fetc", "%2Fetc%2Fpasswd", "001-x%2F..%2F..", "UPPER"):
        assert call(base, "GET", f"/api/scenarios/{bad}")[0] == 404
    assert call(base, "GET", "/static/..%2Fserver.py", headers={})[0] == 404
    assert call(base, "GET", "/api/compare?a=/etc&b=/tmp")[0] == 404


def test_requests_from_other_pages_and_hosts_are_refused(server):
    wb, base = server
    # a DNS-rebinding page reaches 127.0.0.1 under another name
    assert call(base, "GET", "/api/bootstrap", headers={"Host": "evil.example:80"})[0] == 421
    # a cross-site form can send neither the custom header nor a JSON content type
    body = {"instance": wb.instance_json}
    assert call(base, "POST", "/api/solve", body, headers={"Content-Type": "application/json"})[0] == 403
    assert call(base, "POST", "/api/solve", body, headers={"X-Yrdopt": "1", "Content-Type": "text/plain"})[0] == 415
    status, _ = call(base, "GET", "/", headers={})
    assert status == 200


def test_serving_beyond_the_machine_needs_a_token(tmp_path):
    wb = Workbench(None, tmp_path, token="s3cret-token", solve_on_start=False)
    with pytest.raises(ClientError):
        make_server(wb, "0.0.0.0", 0, allow_remote=False)
    wb_no_token = Workbench(None, tmp_path, solve_on_start=False)
    with pytest.raises(ClientError):
        make_server(wb_no_token, "0.0.0.0", 0, allow_remote=True)
    srv, _ = serve_in_thread(wb)  # loopback here; the token rule is the same on any address
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        assert call(base, "GET", "/api/bootstrap", headers={})[0] == 401
        assert call(base, "GET", "/", headers={})[0] == 401
        assert call(base, "GET", "/api/bootstrap", headers={"X-Yrdopt-Token": "wrong"})[0] == 401
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1])
        conn.request("GET", "/?token=s3cret-token")
        r = conn.getresponse()
        cookie = r.getheader("Set-Cookie")
        assert r.status == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        conn.close()
        token_cookie = cookie.split(";")[0]
        assert call(base, "GET", "/api/bootstrap", headers={"Cookie": token_cookie})[0] == 200
        assert call(base, "GET", "/api/bootstrap", headers={"X-Yrdopt-Token": "s3cret-token"})[0] == 200
    finally:
        srv.shutdown()
        srv.server_close()
    res = CliRunner().invoke(cli_app, ["app", "--host", "0.0.0.0", "--workspace", str(tmp_path)])
    assert res.exit_code == 2 and "--allow-remote" in res.output


def test_two_tabs_solving_at_once_are_queued(server):
    wb, base = server
    results = {}

    def tab(name, land):
        results[name] = call(base, "POST", "/api/solve", {"instance": edited(wb, land), "name": name})

    threads = [threading.Thread(target=tab, args=(f"tab {i}", 10.0 + i)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(st == 202 for st, _ in results.values())
    assert sorted(j["position"] for _, j in results.values()) == [0, 1, 2]  # one runs, the others wait
    jobs = [wb.jobs.get(j["id"]) for _, j in results.values()]
    for j in jobs:
        wait_job(base, {"id": j.id})
    assert all(j.state == "done" for j in jobs)
    spans = sorted((j.started, j.finished) for j in jobs)
    assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:]))  # one at a time, never overlapping


def test_progress_is_reported_and_stop_keeps_the_best_layout(server):
    wb, base = server
    cities = instance_dict(load_instance(ROOT / "instances" / "yrd-cities.yaml"))  # about a minute of CPU to optimality
    status, job = call(base, "POST", "/api/solve", {"instance": cities, "name": "stopped early"})
    assert status == 202
    t0 = time.time()
    while True:
        job = call(base, "GET", f"/api/jobs/{job['id']}")[1]
        # with a MIP start HiGHS has a best layout before its first bound: wait for both
        if job["progress"].get("best") is not None and job["progress"].get("bound") is not None:
            break
        assert time.time() - t0 < 60 and job["state"] in ("queued", "running"), job
        time.sleep(0.05)
    p = job["progress"]
    assert p["bound"] <= p["best"] and 0 <= p["gap"] <= 1 and p["solver_elapsed"] >= 0
    assert p["phase"] in PHASES  # the job bar names it (yrdopt.progress)
    t_stop = time.time()
    assert call(base, "POST", f"/api/jobs/{job['id']}/stop", {})[0] == 200
    job = wait_job(base, job)
    assert time.time() - t_stop < 15
    assert job["state"] == "stopped" and job["result"]["status"] == "interrupted"
    d = wb.workspace.dir / job["result"]["scenario"]
    summary = json.loads((d / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["verified"]  # the best layout so far, checked
    assert summary["objective"] <= p["best"] + 1e-6 * abs(p["best"])


def test_compare_with_todays_layout(server):
    wb, base = server
    job = solve_via_api(base, edited(wb, 15.0), "compare me")
    sid = job["result"]["scenario"]
    status, cmp = call(base, "GET", f"/api/compare?a={wb.baseline_id}&b={sid}")
    assert status == 200
    terms = {t["term"]: t for t in cmp["terms"]}
    a_dir, b_dir = wb.workspace.dir / wb.baseline_id, wb.workspace.dir / sid
    ra = yrdopt.check(a_dir / "instance.json", a_dir)
    rb = yrdopt.check(b_dir / "instance.json", b_dir)
    assert terms["total"]["a"] == pytest.approx(ra.objective) and terms["total"]["b"] == pytest.approx(rb.objective)
    # the shipped instances are calibrated to today's layout (issue 14): it fits their limits
    assert terms["verified"]["a"] is ra.verified is True and terms["verified"]["b"] is True
    dup = pd.DataFrame(cmp["duplicated"])
    assert (dup["layout"] == cmp["a"]["name"]).sum() == ra.duplicated_segments
    assert cmp["moved"], "the optimized layout moves segments away from today's"
    assert set(cmp["categories"]) == {r.id for r in wb.instance.regions}
    # the legend says each colour in words (before: its category key, "none", "unchanged host")
    assert set(cmp["labels"]) == set(cmp["colours"]) and cmp["labels"]["none"] == "hosts nothing in either layout"
    assert cmp["interregional_mean"]["b"] > cmp["interregional_mean"]["a"]  # less duplication, more division of labour
    # each side's status; the what-if's effect is no solver noise: no warning (one proven, one not solved)
    assert (cmp["a"]["status"], cmp["b"]["status"], cmp["b"]["gap"]) == ("baseline", "optimal", job["result"]["gap"])
    assert cmp["warning"] is None


def test_export_excel_and_report(server, tmp_path):
    wb, base = server
    sid = next(s.id for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    status, data = call(base, "GET", f"/api/scenarios/{sid}/export.xlsx", headers={})
    assert status == 200 and data[:2] == b"PK"
    (tmp_path / "x.xlsx").write_bytes(data)
    book = openpyxl.load_workbook(tmp_path / "x.xlsx", read_only=True)
    layout = pd.read_csv(wb.workspace.dir / sid / "layout.csv")
    assert "layout" in book.sheetnames
    assert book["layout"].max_row == len(layout) + 1
    status, html = call(base, "GET", f"/api/scenarios/{sid}/report.html", headers={})
    assert status == 200 and b"Checker" in html and b"VERIFIED" in html


def test_the_excel_export_says_which_scenario_it_is_and_its_edits(server, tmp_path):
    """The workbook carried the tables only: no scenario name, no time, no status, no what-if edits."""
    wb, base = server
    job = solve_via_api(base, edited(wb, 15.0), "less land for the first region")
    sid = job["result"]["scenario"]
    sc = wb.workspace.get(sid)
    first = wb.instance.regions[0]
    for scenario, edits in ((sid, [f"{first.name_en} land quota {first.quotas['land']:g} → 15.0 km2"]),
                            (wb.baseline_id, [])):
        status, data = call(base, "GET", f"/api/scenarios/{scenario}/export.xlsx", headers={})
        assert status == 200
        (tmp_path / "x.xlsx").write_bytes(data)
        book = openpyxl.load_workbook(tmp_path / "x.xlsx", read_only=True)
        assert book.sheetnames[0] == "scenario" and "layout" in book.sheetnames
        rows = [(w, v) for w, v in book["scenario"].iter_rows(min_row=2, values_only=True)]
        about = dict(rows)
        meta, summary = wb.workspace.get(scenario).meta, wb.workspace.get(scenario).summary()
        # today's layout was recorded, never solved (its export said "solved at")
        when = "solved at (UTC)" if edits else "recorded at (UTC)"
        assert about["scenario"] == meta["name"] and about[when] == meta["created"]
        from yrdopt.solver import summary_status_words

        assert about["status"] == summary_status_words(summary)  # its words re-derived, as the report's
        listed = [v for w, v in rows if w.startswith("what-if edit ")]
        assert listed == edits, rows
        if edits:
            assert about["gap"].endswith("(the layout is proven within it of the best possible)") and " % " in about["gap"]
            assert about["objective"] == pytest.approx(summary["objective"])
            assert about["time limit (s)"] == sc.meta["time_limit"]
        else:
            assert about["what-if edits"] == "none: the opened instance as it is"
            assert about["kind"] == "today's layout, not a solve" and "solved at (UTC)" not in about


def test_why_here_and_alternatives(server):
    wb, base = server
    sid = next(s.id for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    status, job = call(base, "POST", f"/api/scenarios/{sid}/explain", {"segment": "ic/rd"})
    job = wait_job(base, job)
    assert job["state"] == "done"
    rows = job["result"]["rows"]
    assert {r["region"] for r in rows} == {r.id for r in wb.instance.regions}
    assert all(r["change"] is None or r["change"] >= -1e-6 for r in rows)  # the optimum: no move is cheaper
    assert job["result"]["base_status"] == "optimal"  # what every change is measured against, said
    # the page's own time limit field: no time for the reference, said in the page's words (no --time-limit)
    status, job = call(base, "POST", f"/api/scenarios/{sid}/explain", {"segment": "ic/rd", "time_limit": 1e-6})
    job = wait_job(base, job)
    assert job["state"] != "done" and "the time limit field" in json.dumps(job["error"])
    assert "--time-limit" not in json.dumps(job["error"])
    assert call(base, "POST", f"/api/scenarios/{sid}/explain", {"segment": "no/such"})[0] == 400
    status, err = call(base, "POST", f"/api/scenarios/{sid}/explain", {"segment": "ic/rd", "period": 2030})
    assert status == 400 and "not a plan over periods" in err["error"]
    before = {s.id for s in wb.workspace.scenarios()}
    status, job = call(base, "POST", f"/api/scenarios/{sid}/alternatives", {"n": 2, "slack": 0.05})
    job = wait_job(base, job)
    assert job["state"] == "done", job
    new = [s for s in wb.workspace.scenarios() if s.id not in before]
    assert [s.id for s in new] == job["result"]["scenarios"] and len(new) == 1
    assert new[0].name.endswith(" · alternative 1"), new[0].name  # numbered from 1 (was 2: layout 1 is the optimum)
    optimum = job["result"]["optimum"]
    for s in new:
        assert s.meta["kind"] == "alternative" and s.meta["parent"] == sid
        rep = yrdopt.check(s.path / "instance.json", s.path)
        assert rep.verified and rep.objective <= optimum + 0.05 * abs(optimum) + 1e-6
        # said as what it is: near-optimal, so far above its parent's optimum, the parent's status
        # and gap beside (before: "optimal: the layout is proven best ...; gap 0.0 %", its distance MIP's)
        above = 100 * s.meta["above_optimum"]
        view = call(base, "GET", f"/api/scenarios/{s.id}")[1]
        assert view["status"] == "alternative" and view["gap"] is None, view["status"]
        assert view["status_text"].startswith(f"near-optimal alternative: {above:.3g} % above its parent's optimum "
                                              "(the parent: optimal, gap "), view["status_text"]
        assert "proven best" not in view["status_text"]
        listed = next(x for x in call(base, "GET", "/api/scenarios")[1] if x["id"] == s.id)
        assert listed["status_text"] == view["status_text"]


def test_the_html_report_of_a_what_if_says_its_edits_in_words_and_no_server_path(server):
    """The page's HTML report had no what-if edits, named the solution's folder on the server
    (`solution: /…/scenarios/003-…`) and its terms as `site_cost`: now a Scenario section with the
    edits in words first, the scenario instead of the folder, the terms by their names."""
    wb, base = server
    sid = solve_via_api(base, edited(wb, 15.0), "report: less land")["result"]["scenario"]
    status, raw = call(base, "GET", f"/api/scenarios/{sid}/report.html", headers={})
    assert status == 200
    text = raw.decode("utf-8")
    first = wb.instance.regions[0]
    assert f"{first.name_en} land quota {first.quotas['land']:g} → 15.0 km2" in text
    assert text.index('id="scenario"') < text.index('id="instance"')  # the scenario first
    assert str(wb.workspace.root) not in text and "solution: " not in text
    assert "scenario “report: less land” of the workbench" in text
    terms = text[text.index('id="objective"'):text.index("</section>", text.index('id="objective"'))]
    assert "<td>site cost</td>" in terms and "<td>site_cost</td>" not in terms, terms[:2000]


def test_guarantees_chains_gaps_and_alternatives_are_said_in_words(server):
    """Summary's "guaranteed" column was empty where min_chains guarantees exist; legends named chains
    by id (`ic`); a proven optimum's gap of 1.4e-16 read "1.4e-14 %"; the job said "1 alternatives
    within 5% of …"."""
    from yrdopt.app.views import gap_words
    from yrdopt.app.workspace import gap_percent

    wb, base = server
    sid = next(s.id for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    view = call(base, "GET", f"/api/scenarios/{sid}")[1]
    said = {p["province"]: p["other_guarantees"] for p in view["provinces"]}
    assert said == {g.province: [g.description] for g in wb.instance.policy.guarantees}, said
    names = {c.id: c.name_en for c in wb.instance.chains}
    overview = view["panels"][0]
    assert overview["labels"] == names and all(h.split(" ")[0] not in names for hs in overview["region_hosts"].values()
                                               for h in hs), overview["region_hosts"]
    chain_panel = next(p for p in view["panels"] if p["key"] == "chain:ic")
    assert chain_panel["title"] == "Integrated circuits" and chain_panel["labels"]["rd"] == "R&D 研发"
    assert gap_percent(1.4e-16) == "0.0 %" and gap_words(1.4e-16, "optimal").startswith("0 % between")
    assert gap_percent(0.0123) == "1.2 %"
    job = wb.submit_alternatives(wb.workspace.get(sid), 2, 0.05, None)
    assert job.title.startswith("1 alternative within 5 % of "), job.title
    wait_idle(base)


def test_rename_and_delete(server):
    wb, base = server
    job = solve_via_api(base, edited(wb, 12.0), "to rename")
    sid = job["result"]["scenario"]
    status, listing = call(base, "POST", f"/api/scenarios/{sid}/rename", {"name": "renamed"})
    assert status == 200 and listing["name"] == "renamed"
    assert json.loads((wb.workspace.dir / sid / "scenario.json").read_text())["name"] == "renamed"
    assert call(base, "DELETE", f"/api/scenarios/{sid}")[0] == 200
    assert not (wb.workspace.dir / sid).exists()
    assert sid not in {s["id"] for s in call(base, "GET", "/api/scenarios")[1]}


def test_a_scenario_appears_whole_or_not_at_all(tmp_path):
    ws = Workspace(tmp_path)
    inst = load_instance(None)
    sol = yrdopt.solve(inst)

    def half_then_crash(d):
        (d / "layout.csv").write_text("chain,segment\n")
        raise KeyboardInterrupt  # the write dies half way

    with pytest.raises(KeyboardInterrupt):
        ws.save(half_then_crash, "dies", inst)
    assert ws.scenarios() == [] and not any(tmp_path.joinpath("scenarios").iterdir())
    ok = ws.save(sol.write, "lives", inst)
    # a server SIGKILLed between writing and renaming leaves a hidden directory: the next start removes it
    left = tmp_path / "scenarios" / ".tmp-002-half-abcd"
    left.mkdir()
    (left / "layout.csv").write_text("partial")
    ws2 = Workspace(tmp_path)
    assert [s.id for s in ws2.scenarios()] == [ok.id] and not left.exists()


def _digest(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


@pytest.mark.timeout(300)
def test_killed_during_a_solve_loses_no_saved_scenario(tmp_path):
    ws = tmp_path / "ws"
    proc, url = start_server(ws)
    base = url.rstrip("/")
    try:
        wait_idle(base)
        boot = call(base, "GET", "/api/bootstrap")[1]
        inst = boot["instance"]
        inst["regions"][0]["quotas"]["land"] = 25.0
        solve_via_api(base, inst, "saved before the kill")
        saved = {s["id"]: s for s in call(base, "GET", "/api/scenarios")[1]}
        assert len(saved) == 3  # today's layout, the optimum solved at start, this one
        digests = {sid: _digest(ws / "scenarios" / sid) for sid in saved}
        # a long solve (the 41-city instance), killed while HiGHS works on it: waited for as the
        # job's reported phase, not for a time (a loaded machine may still be building the model)
        cities = instance_dict(load_instance(ROOT / "instances" / "yrd-cities.yaml"))
        status, job = call(base, "POST", "/api/solve", {"instance": cities, "name": "killed mid-solve"})
        assert status == 202
        t0 = time.time()
        while (job := call(base, "GET", f"/api/jobs/{job['id']}")[1])["progress"].get("phase") != HIGHS:
            assert job["state"] in ("queued", "running") and time.time() - t0 < 120, job
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    proc, url = start_server(ws, "--no-solve")
    base = url.rstrip("/")
    try:
        after = {s["id"]: s for s in call(base, "GET", "/api/scenarios")[1]}
        assert set(after) == set(saved)
        for sid, s in saved.items():
            assert _digest(ws / "scenarios" / sid) == digests[sid]
            assert after[sid]["objective"] == s["objective"] and after[sid]["name"] == s["name"]
            if s["kind"] != "baseline":
                assert yrdopt.check(ws / "scenarios" / sid / "instance.json", ws / "scenarios" / sid).verified
        assert not [p for p in (ws / "scenarios").iterdir() if p.name.startswith(".")]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def phased_server(tmp_path_factory):
    """A workbench opened on the default instance over two milestones (app_helpers.phased_default);
    it solves the plan at start."""
    from app_helpers import phased_default

    tmp = tmp_path_factory.mktemp("phased")
    inst_file = phased_default(tmp / "default-phased.yaml")
    wb = Workbench(inst_file, tmp / "ws")
    with serving(wb) as base:
        yield wb, base, load_instance(inst_file)


def phased_plan(base) -> str:
    status, boot = call(base, "GET", "/api/bootstrap")
    return next(s["id"] for s in boot["scenarios"] if s["kind"] != "baseline")


def test_a_phased_plan_is_shown_period_by_period_with_its_changes(phased_server):
    wb, base, inst = phased_server
    status, boot = call(base, "GET", "/api/bootstrap")
    # today's layout is the instance's existing sites (no NAME.baseline.csv beside it)
    assert boot["baseline_id"], "the existing sites are today's layout"
    status, today = call(base, "GET", f"/api/scenarios/{boot['baseline_id']}")
    assert today["check"]["verified"] and today["periods"] is None
    existing = {(e.chain, e.segment, e.region): e.activity for e in inst.brownfield.existing}
    assert {(p["chain"], p["segment"], p["region"]): p["activity"] for p in today["placements"]} == pytest.approx(existing)
    plan = next(s for s in boot["scenarios"] if s["kind"] != "baseline")
    assert plan["periods"] == [2025, 2030]
    assert next(s for s in boot["scenarios"] if s["kind"] == "baseline")["periods"] is None
    status, view = call(base, "GET", f"/api/scenarios/{plan['id']}")
    assert status == 200 and view["check"]["verified"], view["check"]
    assert [p["year"] for p in view["periods"]] == [2025, 2030]
    first, last = view["periods"]
    # budget 0 into 2025: today's sites, as they are
    assert {(p["chain"], p["segment"], p["region"]): p["activity"] for p in first["placements"]} == pytest.approx(existing)
    # the shown layout is one period's (the last), never the periods summed
    assert view["placements"] == last["placements"]
    grown = {(c.id, s.id): 1.2 * s.activity for c in inst.chains for s in c.segments}
    per_segment = pd.DataFrame(last["placements"]).groupby(["chain", "segment"])["activity"].sum()
    assert per_segment.to_dict() == pytest.approx(grown)
    # quotas of the period, not today's
    r0 = inst.regions[0]
    land = next(u for u in last["regions"][r0.id]["resources"] if u["resource"] == "land")
    assert land["quota"] == pytest.approx(1.1 * r0.quotas["land"])
    # the changes are transition.csv's rows; 2025 has none but kept sites
    table = pd.read_csv(wb.workspace.get(plan["id"]).path / "transition.csv")
    assert len(view["changes"]) == len(table)
    assert {c["status"] for c in view["changes"] if c["period"] == 2025} == {"kept"}
    assert first["transition"]["opened"] == first["transition"]["closed"] == 0
    assert view["myopic"]["foresight_saves"] >= -1e-6


def test_why_here_on_a_phased_plan_answers_for_one_period(phased_server):
    wb, base, inst = phased_server
    sid = phased_plan(base)
    layout = pd.read_csv(wb.workspace.get(sid).path / "layout.csv")
    sited = layout[layout["sited"].astype(bool) & (layout["activity"] > 0)
                   & (layout["chain"] == "ic") & (layout["segment"] == "rd")]
    regions = {r.id for r in inst.regions}
    answers = {}
    for year in (2025, 2030):
        status, job = call(base, "POST", f"/api/scenarios/{sid}/explain", {"segment": "ic/rd", "period": year})
        assert status == 202, job
        job = wait_job(base, job)
        assert job["state"] == "done", job
        r = answers[year] = job["result"]
        assert r["period"] == year and str(year) in job["title"]
        # the hosts of that period's layout, not of the other period's
        assert sorted(r["hosts"]) == sorted(sited.loc[sited["period"] == year, "region"])
        assert {row["region"] for row in r["rows"]} == regions
    # 2030: the plan is optimal, so no move of the segment in 2030 (the rest of the plan kept) is cheaper
    rows = answers[2030]["rows"]
    assert all(row["change"] is not None and row["change"] >= -1e-6 for row in rows), rows
    assert [row["change"] for row in rows if row["current"]] == [pytest.approx(0.0, abs=1e-6)]
    # 2025 has budget 0 (nothing opens, nothing closes): every move is infeasible, and says so for 2025
    assert all(row["change"] is None and "2025" in row["why"] for row in answers[2025]["rows"]), answers[2025]["rows"]
    # the budgets that block them as the planner says them (before: periods.milestones[0].budget.max_closed)
    for row in answers[2025]["rows"]:
        assert "periods." not in row["blocked_by"] and "2025 milestone: at most 0 sites closed" in row["blocked_by"], row
        assert "periods.milestones[0].budget.max_closed" in row["blocked_by_fields"]  # the fields kept as the tooltip
    # a plan is explained one milestone at a time: no period, or one it does not have, is a 400
    for body in ({"segment": "ic/rd"}, {"segment": "ic/rd", "period": 1999}, {"segment": "ic/rd", "period": "x"}):
        status, err = call(base, "POST", f"/api/scenarios/{sid}/explain", body)
        assert status == 400 and "2025, 2030" in err["error"], (body, err)


def test_an_infeasible_phased_what_if_says_which_periods_limits_to_raise(phased_server):
    wb, base, inst = phased_server
    tight = json.loads(json.dumps(wb.instance_json))
    tight["periods"]["milestones"][1]["quota_factor"]["land"] = 0.3  # 2030 with 30 % of today's land
    status, job = call(base, "POST", "/api/solve", {"instance": tight, "name": "too little land in 2030"})
    assert status == 202, job
    job = wait_job(base, job)
    assert job["state"] == "failed" and job["error"]["infeasible"], job
    # the diagnosis of `yrdopt diagnose` (elastic quotas and budgets per period), not only "no plan exists"
    msg = job["error"]["message"]
    # each region by its name alone, "2030: Shanghai land +69.99 km2" (the planner's words; the
    # library's "Shanghai (shanghai)" keeps the id for the command line)
    raised = re.findall(r"2030: ([^(;:]+) land \+[0-9.]+ km2", msg)
    assert raised and set(raised) <= {r.name_en for r in inst.regions}, msg
    assert not any(f"({r.id})" in msg for r in inst.regions), msg
    assert "2025" not in msg  # 2025's limits hold: today's land quotas, today's sites
    assert "yrdopt" not in msg and "--" not in msg, msg  # the page's words: no commands, no flags
    # what to raise first, rounded, with units (then the detail); the rule that picks one raise among equals is
    # no planner's question (the page said "the rule that picks one where others share its total …")
    raises = job["error"]["listed"]["raises"]
    assert msg.startswith(f"The least raise that makes a plan possible: {'; '.join(raises)}. "), msg
    assert raises and all(re.fullmatch(r"2030: [A-Z][a-z]+ land \+\d+(\.\d{1,2})? km2", r) for r in raises), raises
    assert "rule" not in msg and not re.search(r"\+\d+\.\d{4}", msg), msg
    # listed among the scenarios as a failed solve with this reason, and no layout (before: not listed)
    kept = [s for s in wb.workspace.scenarios() if s.name == "too little land in 2030"]
    assert [(s.failed, s.listing()["reason"], (s.path / "layout.csv").exists()) for s in kept] == [(True, msg, False)]
    # Stop pressed as the diagnosis begins: the bar named that phase (it said "HiGHS" for the diagnosis's 20 s);
    # the job is stopped, not failed, and says so; no raise the cut-short elastic solve found is shown as the
    # answer (the page showed energy +3,562.9 for Taizhou when only land was cut); kept, with that reason
    real = wb._solver_kwargs
    phases = []

    def stop_at_diagnosis(job):
        kw = real(job)

        def progress(elapsed, best, bound, gap, phase=None, **extra):
            kw["progress"](elapsed, best, bound, gap, phase=phase, **extra)
            phases.append(phase)
            if phase == DIAGNOSE:
                wb.jobs.stop(job.id)
        return {**kw, "progress": progress}

    wb._solver_kwargs = stop_at_diagnosis
    try:
        job = wait_job(base, call(base, "POST", "/api/solve", {"instance": tight, "name": "stopped while explained"})[1])
    finally:
        del wb._solver_kwargs
    assert phases[-1] == DIAGNOSE and job["progress"]["phase"] == DIAGNOSE, (phases, job["progress"])
    said = job["error"]["message"]
    assert job["state"] == "stopped" and job["error"]["infeasible"], job
    assert said.startswith("stopped by you while finding why no layout exists.") and "+" not in said, said
    kept = [s for s in wb.workspace.scenarios() if s.name == "stopped while explained"]
    assert [(s.failed, s.listing()["reason"]) for s in kept] == [(True, said)]


def test_a_phased_what_if_needing_more_change_budget_says_it_in_words(phased_server):
    """A site that exists today forbidden, with 2025's change budget 0: the page's reason named
    `(periods.milestones[0].budget.max_closed)` and "too small by 2.97 units"; now the budget in words
    only, the activity said as such."""
    wb, base, inst = phased_server
    forbid = json.loads(json.dumps(wb.instance_json))
    e = forbid["brownfield"]["existing"][0]
    forbid["policy"]["forbidden"].append({"chain": e["chain"], "segment": e["segment"], "region": e["region"]})
    job = wait_job(base, call(base, "POST", "/api/solve", {"instance": forbid, "name": "no site where one is"})[1])
    assert job["state"] == "failed" and job["error"]["infeasible"], job
    msg = job["error"]["message"]
    assert "2025: the budget of 0 sites closed in the whole area is too small by 1" in msg, msg
    assert "periods.milestones" not in msg and "budget.max" not in msg, msg
    # activity in the instance's unit (it said "units of activity"), figures rounded, periods in order, said first
    assert re.search(r"the budget of activity moved in the whole area is too small by [0-9.]+ \(in 10 bn CNY of 2021 profit\)", msg), msg
    assert msg.startswith("The least raise that makes a plan possible: 2025: most sites closed in the whole area +1; "
                          "2025: most activity moved in the whole area +"), msg


def test_analyses_of_whole_phased_plans_are_refused_at_once(phased_server):
    wb, base, inst = phased_server
    sid = phased_plan(base)
    reasons = call(base, "GET", "/api/bootstrap")[1]["not_for_phased"]
    assert set(reasons) == {"alternatives", "compare"} and all("phased plan" in r for r in reasons.values())
    jobs_before = len(call(base, "GET", "/api/jobs")[1])
    # alternatives: a 400 with the library's refusal, no job queued that can only fail
    status, err = call(base, "POST", f"/api/scenarios/{sid}/alternatives", {"n": 2, "slack": 0.05})
    assert status == 400 and "alternatives" in err["error"] and "periods" in err["error"], err
    assert err["problems"] and err["problems"][0]["path"] == "periods"
    assert len(call(base, "GET", "/api/jobs")[1]) == jobs_before
    # compare: a plan with a one-period layout (today's) is refused, with or without a period
    for q in ("", "&period=2030"):
        status, err = call(base, "GET", f"/api/compare?a={wb.baseline_id}&b={sid}{q}")
        assert status == 400 and "compares only with another plan" in err["error"], err


def test_two_phased_plans_are_compared_in_one_milestone(phased_server):
    from yrdopt.checker import check_period
    from yrdopt.phasing import period_years

    wb, base, inst = phased_server
    a = phased_plan(base)
    more_land = json.loads(json.dumps(wb.instance_json))
    more_land["regions"][0]["quotas"]["land"] = 60.0
    b = solve_via_api(base, more_land, "plan: more land for Shanghai")["result"]["scenario"]
    assert call(base, "GET", "/api/scenarios")[1][-1]["periods"] == [2025, 2030]
    dirs = {sid: wb.workspace.get(sid).path for sid in (a, b)}
    sited = {sid: pd.read_csv(d / "layout.csv").query("sited == 1 and activity > 0") for sid, d in dirs.items()}
    moved = {}
    for year in (2025, 2030):
        status, cmp = call(base, "GET", f"/api/compare?a={a}&b={b}&period={year}")
        assert status == 200, cmp
        assert cmp["period"] == year and any(str(year) in n for n in cmp["notes"])
        # what moved: the segments whose sited regions differ in that year's layouts
        hosts = {sid: t[t["period"] == year].groupby(["chain", "segment"])["region"].apply(frozenset).to_dict()
                 for sid, t in sited.items()}
        differ = {k for k in hosts[a].keys() | hosts[b].keys() if hosts[a].get(k) != hosts[b].get(k)}
        assert {(m["chain"], m["segment"]) for m in cmp["moved"]} == differ
        moved[year] = cmp
        # terms: that period's, each plan checked under its own instance, from its own period before
        terms = {t["term"]: t for t in cmp["terms"]}
        for side, sid in (("a", a), ("b", b)):
            rep = check_period(wb.workspace.get(sid).instance(), dirs[sid], year)
            assert terms["total"][side] == pytest.approx(rep.objective) and terms["verified"][side] is True
    assert moved[2030]["moved"] and moved[2030]["distance"] > 0, "2030: more land for Shanghai moves segments"
    assert moved[2025]["moved"] == [] and moved[2025]["distance"] == 0  # budget 0 into 2025: both keep today's sites
    # the periods' terms add up to the plan's objective (discounted), as the checker of the whole plan has it
    _, _, disc = period_years(inst)
    per_period = [check_period(inst, dirs[a], y).objective for y in (2025, 2030)]
    assert float(disc @ per_period) == pytest.approx(json.loads((dirs[a] / "summary.json").read_text())["objective"])
    # one milestone both have: none, or one they lack, is a 400 naming the years
    for q in ("", "&period=1999"):
        status, err = call(base, "GET", f"/api/compare?a={a}&b={b}{q}")
        assert status == 400 and "2025, 2030" in err["error"], err


def test_odd_periods_and_pairs_get_a_400_not_a_dropped_connection(phased_server):
    """str.isdigit() accepted '²' and digit strings int() refuses: the server dropped the
    connection; so did comparing a scenario with itself; and why here? on today's layout of a
    phased instance queued a job that could only fail."""
    wb, base, inst = phased_server
    sid = phased_plan(base)
    jobs_before = len(call(base, "GET", "/api/jobs")[1])
    for period in ("²", "9" * 5000, "٢٠٣٠"):
        status, err = call(base, "POST", f"/api/scenarios/{sid}/explain", {"segment": "ic/rd", "period": period})
        assert status == 400 and "2025, 2030" in err["error"], (period, err)
        status, err = call(base, "GET", f"/api/compare?a={sid}&b={sid}&period={urllib.parse.quote(period)}")
        assert status == 400, (period, err)
    status, err = call(base, "GET", f"/api/compare?a={sid}&b={sid}&period=2030")
    assert status == 400 and "two different scenarios" in err["error"], err
    status, err = call(base, "POST", f"/api/scenarios/{wb.baseline_id}/explain", {"segment": "ic/rd"})
    assert status == 400 and "plans" in err["error"], err
    assert len(call(base, "GET", "/api/jobs")[1]) == jobs_before


def test_an_infeasible_what_if_is_explained_in_the_pages_words(server):
    """The browser told the planner to run `yrdopt diagnose INSTANCE`: the page has no commands."""
    wb, base = server
    bare = json.loads(json.dumps(wb.instance_json))
    for r in bare["regions"]:
        r["quotas"]["land"] = 1.0
    status, job = call(base, "POST", "/api/solve", {"instance": bare, "name": "no land anywhere"})
    job = wait_job(base, job)
    msg = job["error"]["message"]
    assert job["state"] == "failed" and job["error"]["infeasible"], job
    assert "land: the segments need at least" in msg and "(Found before solving, by comparing totals.)" in msg, msg
    assert "yrdopt" not in msg and "--" not in msg, msg
    # kept among the scenarios (before: said once by the job, never listed), read from disk as every one
    # is on a reload: marked failed, its reason as the job said it, no figures; its instance to edit from;
    # nothing else to open; deleted as any other
    listed = [s for s in call(base, "GET", "/api/bootstrap")[1]["scenarios"] if s["name"] == "no land anywhere"]
    assert [(s["kind"], s["status"], s["reason"]) for s in listed] == [("failed", "failed", msg)], listed
    assert (listed[0]["objective"], listed[0]["gap"], listed[0]["verified"], listed[0]["periods"]) == (None,) * 4
    sid = listed[0]["id"]
    assert call(base, "GET", f"/api/scenarios/{sid}/instance")[1]["regions"][0]["quotas"]["land"] == 1.0
    for method, path in (("GET", ""), ("GET", "/export.xlsx"), ("POST", "/prices")):
        status, err = call(base, method, f"/api/scenarios/{sid}{path}", {} if method == "POST" else None)
        assert status == 409 and "found no layout" in err["error"], (path, err)
    status, err = call(base, "GET", f"/api/compare?a={wb.baseline_id}&b={sid}")
    assert status == 409 and "found no layout" in err["error"], err
    assert call(base, "DELETE", f"/api/scenarios/{sid}")[0] == 200
    assert sid not in {s["id"] for s in call(base, "GET", "/api/scenarios")[1]}


def test_a_stop_that_comes_after_the_solve_leaves_the_job_done_as_its_scenario_says(server, monkeypatch):
    """Stop pressed while a finished solve was checked and saved (the phased instance, 6 s) gave a
    job "stopped" beside a saved scenario "optimal": the stop had cut nothing short."""
    wb, base = server
    save = wb.workspace.save

    def stop_then_save(*args, **kwargs):  # the planner presses Stop while the solved layout is saved
        for j in wb.jobs.all():
            if j["state"] == "running":
                wb.jobs.stop(j["id"])
        return save(*args, **kwargs)

    monkeypatch.setattr(wb.workspace, "save", stop_then_save)
    status, job = call(base, "POST", "/api/solve", {"instance": edited(wb, 57.0), "name": "stop too late"})
    job = wait_job(base, job)
    summary = json.loads((wb.workspace.dir / job["result"]["scenario"] / "summary.json").read_text())
    assert job["stop_requested"] and summary["status"] == job["result"]["status"] == "optimal"
    assert job["state"] == "done" and job["stop_too_late"], job


# ---------------------------------------------------------------------- job options (usability review)
BAD_JOB_OPTIONS = [  # (endpoint, body, the form's field named, what is expected)
    ("solve", {"time_limit": "abc"}, "Time limit (s)", "seconds > 0"),
    ("solve", {"time_limit": -1}, "Time limit (s)", "seconds > 0"),
    ("solve", {"time_limit": 0}, "Time limit (s)", "seconds > 0"),
    ("solve", {"time_limit": True}, "Time limit (s)", "seconds > 0"),
    ("alternatives", {"time_limit": -1}, "Time limit (s)", "seconds > 0"),
    ("alternatives", {"n": 100000}, "Layouts (n)", "1..20"),
    ("alternatives", {"n": 0}, "Layouts (n)", "1..20"),
    ("alternatives", {"n": "abc"}, "Layouts (n)", "1..20"),
    ("alternatives", {"n": 2.5}, "Layouts (n)", "1..20"),
    ("alternatives", {"slack": -0.1}, "(slack)", ">= 0"),
    ("alternatives", {"slack": "5%"}, "(slack)", ">= 0"),
    ("explain", {"time_limit": -5}, "why here? tab: Time limit (s)", "seconds > 0"),  # was queued
    ("explain", {"time_limit": "abc"}, "why here? tab: Time limit (s)", "seconds > 0"),
]


@pytest.mark.parametrize("endpoint,body,field,expected", BAD_JOB_OPTIONS)
def test_a_bad_job_option_is_a_400_naming_the_field_value_and_range(server, endpoint, body, field, expected):
    """"abc" answered 500 (a ValueError), -1 was queued and failed later, n=100000 held the solver
    for 10 minutes, and errors named the CLI's flags (-n) in the browser."""
    wb, base = server
    sid = next(s.id for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    jobs_before = len(call(base, "GET", "/api/jobs")[1])
    path = "/api/solve" if endpoint == "solve" else f"/api/scenarios/{sid}/{endpoint}"
    payload = {**({"instance": wb.instance_json} if endpoint == "solve" else
                  {"segment": "ic/rd"} if endpoint == "explain" else {}), **body}
    status, err = call(base, "POST", path, payload)
    assert status == 400, (status, err)
    (value,) = body.values()
    assert field in err["error"] and repr(value) in err["error"] and expected in err["error"], err
    assert "command line" not in err["error"] and "-n:" not in err["error"] and ">= 0" not in err["error"].replace(
        "slack >= 0", ""), err
    assert len(call(base, "GET", "/api/jobs")[1]) == jobs_before  # nothing queued


def test_an_internal_error_reaches_the_server_log(server, capsys, monkeypatch):
    wb, base = server

    def broken():
        raise RuntimeError("a bug in bootstrap")

    monkeypatch.setattr(wb, "bootstrap", broken)
    status, err = call(base, "GET", "/api/bootstrap")
    assert status == 500 and "the server log has the details" in err["error"]
    logged = capsys.readouterr().err
    assert "GET /api/bootstrap" in logged and "RuntimeError: a bug in bootstrap" in logged and "Traceback" in logged


def test_stopped_alternatives_report_the_scenarios_they_saved(server):
    """Stop used to answer "stopped before a layout was found", result null, after 64 were saved."""
    wb, base = server
    sid = next(s.id for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    before = {s.id for s in wb.workspace.scenarios()}
    status, job = call(base, "POST", f"/api/scenarios/{sid}/alternatives", {"n": 20, "slack": 0.3})
    assert status == 202, job
    t0 = time.time()
    while (job := call(base, "GET", f"/api/jobs/{job['id']}")[1])["progress"].get("found", 0) < 2:
        assert job["state"] in ("queued", "running") and time.time() - t0 < 120, job
        time.sleep(0.05)
    assert call(base, "POST", f"/api/jobs/{job['id']}/stop", {})[0] == 200
    job = wait_job(base, job)
    assert job["state"] == "stopped" and job["error"] is None, job
    new = sorted(s.id for s in wb.workspace.scenarios() if s.id not in before)
    assert len(new) >= 2 and sorted(job["result"]["scenarios"]) == new
    n_layouts = len(new) + 1  # the optimum is the scenario asked about
    assert job["result"]["stopped"] == f"stopped by the user after {n_layouts} of 20 layouts"
    for s in new:
        assert yrdopt.check(wb.workspace.dir / s / "instance.json", wb.workspace.dir / s).verified


def test_what_each_limit_costs(server):
    """The Limits tab's job (`yrdopt prices` of the scenario): every finite quota, guarantee and its
    worth as `shadow_prices` gives them for the scenario's files, the limits used to the end first;
    the page's options are checked before anything is queued."""
    from yrdopt.analysis.explain import shadow_prices

    wb, base = server
    sc = next(s for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    status, job = call(base, "POST", f"/api/scenarios/{sc.id}/prices", {})
    assert status == 202, job
    job = wait_job(base, job)
    assert job["state"] == "done", job
    r = job["result"]
    expected = shadow_prices(sc.path / "instance.json", sc.path)
    assert r["objective"] == pytest.approx(expected.objective, rel=1e-9)
    rows = r["quotas"]["rows"]
    got = {(q["region"], q["resource"]): q for q in rows}
    want = expected.quotas.set_index(["region", "resource"])
    assert set(got) == set(want.index)
    for key, q in got.items():
        assert q["value_per_unit"] == pytest.approx(want.loc[key, "value_per_unit"], abs=1e-9)
        assert q["binding"] == bool(want.loc[key, "binding"])
    used_up = [bool(q["binding"] or q["tight"]) for q in rows]
    assert any(used_up) and used_up == sorted(used_up, reverse=True)  # the limits used to the end come first
    assert len(r["guarantees"]["rows"]) == len(expected.guarantees)
    status, err = call(base, "POST", f"/api/scenarios/{sc.id}/prices", {"time_limit": -1})
    assert status == 400 and "limits tab" in err["error"] and "Time limit (s)" in err["error"], err
    status, err = call(base, "POST", f"/api/scenarios/{sc.id}/prices", {"period": 2030})
    assert status == 400 and "not a plan over periods" in err["error"]
    assert not r["reoptimised"] and "kept" not in (call(base, "GET", f"/api/scenarios/{sc.id}")[1]["limits_kept"] or {})
    # "re-solve each limit used to the limit" (`yrdopt prices --reoptimise`, the same shadow_prices call): Jiangsu's
    # energy, whose LP price is the fixed-placement LP's, and the R&D guarantees the LP cannot price, each re-solved
    # with its unit and status; the job bar counted the re-solves; the answer is kept in the scenario's folder
    status, job = call(base, "POST", f"/api/scenarios/{sc.id}/prices", {"reoptimise": True, "time_limit": 60})
    assert status == 202 and job["asked"]["reoptimise"], job
    job = wait_job(base, job)
    assert job["state"] == "done" and job["result"]["reoptimised"], job
    assert job["progress"]["phase"] == "re-solve 4 of 4"  # 1 quota + 3 guarantees used to the limit
    quotas = {(q["region"], q["resource"]): q for q in job["result"]["quotas"]["rows"]}
    guarantees = {g["guarantee"]: g for g in job["result"]["guarantees"]["rows"]}
    # proven: the layout's bound meets its objective (a positive objective - bound would make each an interval:
    # explain.layout_above_optimum, test_prices_never_say_a_guarantee_used_to_the_limit_is_worth_0)
    assert sc.summary()["status"] == "optimal" and sc.summary()["objective"] == sc.summary()["bound"]
    assert quotas["jiangsu", "energy"]["resolved"] == "0.00990666 per 10k tce of energy, proven"
    assert guarantees["Anhui hosts R&D in at least one chain"]["resolved"] == "22.7953 per chain, proven"
    assert guarantees["Anhui hosts R&D in at least one chain"]["worth"] == "n/a"
    assert guarantees["Jiangsu hosts R&D in at least one chain"]["resolved"] == ""  # not used to the limit
    # checked twice: the instance solved with one 10k tce more of Jiangsu's energy, and without Anhui's guarantee
    optimum = sc.summary()["objective"]  # the opened instance's, solved at start (proven optimal)
    more = json.loads(json.dumps(wb.instance_json))
    next(x for x in more["regions"] if x["id"] == "jiangsu")["quotas"]["energy"] += 1
    assert optimum - yrdopt.solve(load_instance(more)).objective == pytest.approx(0.00990666, abs=1e-7)
    fewer = json.loads(json.dumps(wb.instance_json))
    fewer["policy"]["guarantees"] = [x for x in fewer["policy"]["guarantees"] if "Anhui" not in x.get("description", "")]
    assert optimum - yrdopt.solve(load_instance(fewer)).objective == pytest.approx(22.7953, abs=1e-4)
    kept = call(base, "GET", f"/api/scenarios/{sc.id}")[1]["limits_kept"]  # read from the folder: a restart keeps it
    assert kept["result"] == job["result"] and kept["state"] == "done" and kept["asked"] == job["asked"]
    status, err = call(base, "POST", f"/api/scenarios/{sc.id}/prices", {"reoptimise": True, "time_limit": "x"})
    assert status == 400 and "Time limit (s)" in err["error"], err


def test_limits_re_solved_from_a_layout_not_proven_best_are_never_proven(server):
    """Re-solved from today's layout (no bound: not optimised), one km2 more of Shanghai's land was
    "2,907.14 per km2 of land, proven": the re-solve's gain was the whole optimisation of the layout, not
    the km2 (the optimum leaves Shanghai's land unused to the limit: worth 0 there). A layout not
    proven best gives an interval from 0 (no bound) and says why above the tables."""
    wb, base = server
    job = wait_job(base, call(base, "POST", f"/api/scenarios/{wb.baseline_id}/prices",
                              {"reoptimise": True, "time_limit": 60})[1])
    assert job["state"] == "done", job
    r = job["result"]
    land = next(q for q in r["quotas"]["rows"] if (q["region"], q["resource"]) == ("shanghai", "land"))
    assert land["use"] == "used up" and land["resolved"].startswith("≥ 0, ≤ 2,907.1"), land
    assert land["resolved"].endswith("per km2 of land: the interval its bounds prove (not proven: this layout is "
                                     "not proven best)"), land
    assert not any("proven" in x["resolved"] and "not proven" not in x["resolved"]
                   for t in ("quotas", "guarantees") for x in r[t]["rows"])
    assert r["unproven"].startswith("This layout is not proven best (today's layout, not optimised; no bound says "
                                    "how far above its own optimum)"), r["unproven"]
    # kept as figures (gain, bounds, status; how far the layout may lie above its optimum: null, unknown), said in
    # words when read, as the page says them now; a file kept before (its words) is shown as it was kept
    sc = wb.workspace.get(wb.baseline_id)
    record = json.loads((sc.path / "limits-resolved.json").read_text(encoding="utf-8"))
    assert "result" not in record and record["prices"]["layout_above"] is None, record.keys()
    q = record["prices"]["quotas"]
    land = next(row for row in q["rows"] if row[:2] == ["shanghai", "land"])
    figures = dict(zip(q["columns"], land))
    assert figures["resolved_value_per_unit"] == 0 and figures["resolved_status"] == "optimal", figures
    assert call(base, "GET", f"/api/scenarios/{sc.id}")[1]["limits_kept"]["result"] == r
    (sc.path / "limits-resolved.json").write_text(json.dumps({**record, "prices": None, "result": {"said": "then"}}))
    assert call(base, "GET", f"/api/scenarios/{sc.id}")[1]["limits_kept"]["result"] == {"said": "then"}


def test_limits_say_an_unproven_re_solve_is_not_proven(server):
    """A quota's re-solve stopped at its limit is shown with its bounds and "not proven" (as the
    CLI's `prices` says it), never as its worth, and does not sort the table; a period's prices say
    that a plan is not re-solved (before: "0 | time_limit_with_incumbent", and the page's note
    promised a re-solve for plans too)."""
    from dataclasses import replace

    from yrdopt.analysis.explain import shadow_prices, within_layout
    from yrdopt.app.views import LIMIT_NOTES, prices_view

    wb, _ = server
    sc = next(s for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    p = shadow_prices(sc.path / "instance.json", sc.path)
    q = p.quotas.copy()
    i = int(q["value_per_unit"].abs().idxmin())  # a quota worth 0 at the LP, whose re-solve stopped
    q.loc[i, ["tight", "resolved_value_per_unit", "resolved_value_most", "resolved_status"]] = \
        [True, 0.0, 29.23, "time_limit_with_incumbent"]
    p.quotas = q
    view = prices_view(p)
    row = next(r for r in view["quotas"]["rows"] if (r["region"], r["resource"]) == (q.loc[i, "region"], q.loc[i, "resource"]))
    assert row["resolved"] == ("≥ 0, ≤ 29.23 per unit of land: the interval its bounds prove (not proven: stopped at "
                               "its share of the time limit field)") and row["use"].startswith("nearly")
    # the planner's Stop: the re-solve it cut short says so, one it left without a layout was not re-solved
    stopped = {r["resolved"] for r in prices_view(p, stopped=True)["quotas"]["rows"]}
    assert "≥ 0, ≤ 29.23 per unit of land: the interval its bounds prove (not proven: stopped by you)" in stopped
    # a layout stopped 4.5 above its bound: an optimal re-solve gaining 9.19 proves the unit worth 4.69 to 9.19
    q.loc[i, ["resolved_value_per_unit", "resolved_value_most", "resolved_status"]] = [9.19, 9.19, "optimal"]
    # (the figures by the CLI's rule, explain.within_layout, as shadow_prices gives them for such a layout)
    unproven = prices_view(replace(p, quotas=within_layout(q, 4.5), layout_above=4.5,
                                   layout_status="stopped at the time limit with a feasible layout"))
    assert ("≥ 4.69, ≤ 9.19 per unit of land: the interval its bounds prove (not proven: this layout is not proven "
            "best)") in {r["resolved"] for r in unproven["quotas"]["rows"]}
    assert "(stopped at the time limit with a feasible layout; up to 4.5 above its own optimum)" in unproven["unproven"]
    assert prices_view(p)["unproven"] is None
    q.loc[i, ["resolved_value_per_unit", "resolved_value_most", "resolved_status"]] = [np.nan, np.nan, "time_limit_no_incumbent"]
    assert "not re-solved: stopped by you" in {r["resolved"] for r in prices_view(p, stopped=True)["quotas"]["rows"]}
    assert view["notes"]["quotas"] == LIMIT_NOTES["quotas"]
    assert prices_view(p, 2030)["notes"]["quotas"] == LIMIT_NOTES["quotas_plan"]
    # a guarantee used to the limit that the LP cannot price (a number of chains: NaN; or 0 at the limit) is
    # "n/a", never worth 0 (before: the page's note said "a guarantee on a number of chains is worth 0"), and
    # one re-solved says its figure per its step; the LP price says its unit
    g = pd.DataFrame([{"guarantee": "c", "path": "x", "measure": "min_chains", "binding": True, "unit": "chain",
                       "value_per_unit": np.nan, "value_per_point": np.nan, "resolved_step": "",
                       "resolved_value_per_unit": np.nan, "resolved_value_most": np.nan, "resolved_status": ""},
                      {"guarantee": "s", "path": "y", "measure": "max_share", "binding": True, "unit": "unit of value",
                       "value_per_unit": 3.28, "value_per_point": 20.06, "resolved_step": "1 percentage point",
                       "resolved_value_per_unit": 20.5, "resolved_value_most": 20.5, "resolved_status": "optimal"}])
    p.guarantees = g
    rows = {r["guarantee"]: r for r in prices_view(p)["guarantees"]["rows"]}
    assert rows["c"]["worth"] == "n/a" and rows["c"]["resolved"] == "", rows
    assert rows["s"]["worth"] == "3.28 per unit of value (20.06 per percentage point)", rows
    assert rows["s"]["resolved"] == "20.5 per percentage point, proven", rows
    assert "worth 0" not in LIMIT_NOTES["guarantees"] and "n/a" in LIMIT_NOTES["guarantees"]


def test_stop_ends_a_why_here_job_at_once(server):
    """Stop on "why here?" (re-optimised: one MIP per region) ends the MIP running and skips the
    rest: the job stops in well under the time the whole job takes (before: Stop set the job's
    flag, which no solve read, and the job ran to its end, then said "stopped")."""
    wb, base = server
    wait_idle(base)
    sid = next(s.id for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    body = {"segment": "ic/rd", "reoptimise": True, "time_limit": 120}
    t0 = time.perf_counter()
    full = wait_job(base, call(base, "POST", f"/api/scenarios/{sid}/explain", body)[1])
    whole = time.perf_counter() - t0
    assert full["state"] == "done", full
    status, job = call(base, "POST", f"/api/scenarios/{sid}/explain", body)
    t0 = time.perf_counter()
    while job["state"] != "running":
        job = call(base, "GET", f"/api/jobs/{job['id']}")[1]
    time.sleep(0.2)
    call(base, "POST", f"/api/jobs/{job['id']}/stop")
    job = wait_job(base, job)
    stopped = time.perf_counter() - t0
    assert job["state"] == "stopped", job
    assert stopped < 0.5 * whole, (stopped, whole)
    # said as the user's Stop after so many seconds, naming the moves not evaluated, in words (before:
    # "no layout within its share of the time limit (time_limit_no_incumbent): give it more time")
    from yrdopt.solver import STATUS_TEXT

    if job["result"] is None:  # stopped while the layout was re-solved as the reference
        said = [job["error"]["message"]]
        assert said[0].startswith("stopped by the user after ") and "no move was evaluated" in said[0], said
    else:
        r = job["result"]
        assert r["stopped"]["after_s"] > 0 and r["stopped"]["not_evaluated"], r["stopped"]
        said = [row["why"] for row in r["rows"]]
        for row in r["rows"]:
            assert (row["why"] == "not evaluated (stopped by the user)") == (row["region"] in r["stopped"]["not_evaluated"])
    assert not any("more time" in w or any(f"({code})" in w for code in STATUS_TEXT) for w in said), said


@pytest.fixture(scope="module")
def unproven(tmp_path_factory):
    """A workbench on yrd-cities with a 2 s time limit: its layouts stop at the limit, unproven."""
    wb = Workbench(ROOT / "instances" / "yrd-cities.yaml", tmp_path_factory.mktemp("ws"), time_limit=2.0)
    try:
        settle(wb)
        yield wb
    finally:
        wb.jobs.close()


def settle(wb):
    while not wb.jobs.idle():
        time.sleep(0.05)


@pytest.mark.timeout(120)
def test_an_alternative_of_an_unproven_layout_says_so(unproven):
    """Alternatives of a layout stopped at its time limit (yrd-cities in 2 s): each says it is a
    near-optimal alternative so far above its parent's *cost*, the parent's status and gap beside,
    and the Excel export says neither "optimal" nor "above its optimum" (before: "optimal: the
    layout is proven best ...; gap 0.0 %" and "(1.51 % above its optimum)")."""
    wb = unproven
    parent = next(s for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    assert parent.summary()["status"] == "time_limit_with_incumbent"  # no proof in 2 s
    job = wb.submit_alternatives(parent, 2, 0.05, 2.0)
    settle(wb)
    assert job.state == "done", job.error
    alt = wb.workspace.get(job.result["scenarios"][0])
    ref = alt.meta["reference"]
    # under load the parent's 2 s may end before HiGHS has any bound: then there is no gap to say
    assert ref["status"] != "optimal" and (ref["gap"] is None or ref["gap"] > 0)
    text = wb.view(alt)["status_text"]
    # against the cost the page shows for the parent (before: against the search's own re-solve of the parent's
    # instance, its layout 1: 4.79 % beside a parent shown 4.69 % below)
    parent_cost = parent.summary()["objective"]
    above = 100 * (alt.summary()["objective"] - parent_cost) / abs(parent_cost)
    cheaper = ref["objective"] < parent_cost - 1e-6 * abs(parent_cost)  # the 2-s re-solve found a cheaper layout
    assert text.startswith(f"near-optimal alternative: {above:.3g} % above its parent's cost ("
                           + ("the parent's instance solved again by the search: " if cheaper else "the parent: ")
                           + "stopped at the time limit"), text
    assert ("so the parent is not proven best)" if cheaper else "; not proven best)") in text, text
    assert "optimal:" not in text and "optimum" not in text, text
    # a re-solve cheaper than the parent (whichever the 2-s solves gave here) is said with both costs
    from yrdopt.app.workspace import alternative_words

    said = alternative_words({**alt.meta, "reference": {**ref, "objective": parent_cost - 0.01 * abs(parent_cost)}})
    assert f"a layout costing {parent_cost * 0.99:,.2f}, 1 % below the parent's {parent_cost:,.2f}, so the parent " \
           "is not proven best)" in said and f"{above:.3g} % above its parent's cost (the parent's instance" in said, said
    # a re-solve that proved its layout optimal at the parent's cost: the parent's own status beside, not the
    # re-solve's (before: "(the parent: optimal, gap 0.0 %)" beside a parent stopped at its time limit)
    resolved = {**ref, "status": "optimal", "status_text": "optimal: proven", "gap": 0.0, "objective": parent_cost}
    said = alternative_words({**alt.meta, "reference": resolved})
    assert "(the parent: stopped at the time limit" in said and said.endswith("; not proven best)"), said
    assert "optimum" not in said, said  # its parent is not proven optimal
    old = {k: v for k, v in alt.meta.items() if k not in ("parent_status_text", "parent_gap")}  # saved before
    said = alternative_words({**old, "reference": resolved})
    assert "(the parent's instance solved again by the search: optimal, gap 0.0 %)" in said, said
    about = dict(scenario_about(alt, wb.instance_json))  # the export's first sheet
    assert about["status"] == text
    unproven_words = "not proven optimal" if ref["gap"] is not None else "no bound on the best layout"
    assert about["gap"].startswith("its parent's: ") and unproven_words in about["gap"], about["gap"]
    assert "above its optimum" not in about["alternative of"] and "not proven best" in about["alternative of"]


@pytest.mark.timeout(180)
def test_an_alternatives_excel_summary_sheet_says_its_status_not_optimal(unproven, tmp_path):
    """The Excel export of an alternative (of a layout stopped at its time limit): its "summary"
    sheet said "optimal: the layout is proven best", gap 0 (its distance MIP's, from summary.json)
    while its "scenario" sheet said what it is. Now both say the same: a near-optimal alternative,
    its parent's status and gap."""
    wb = unproven
    parent = next(s for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    job = wb.submit_alternatives(parent, 2, 0.05, 2.0)
    settle(wb)
    assert job.state == "done", job.error
    alt = wb.workspace.get(job.result["scenarios"][0])
    with serving(wb) as base:
        status, data = call(base, "GET", f"/api/scenarios/{alt.id}/export.xlsx")
    assert status == 200
    (tmp_path / "alt.xlsx").write_bytes(data)
    book = openpyxl.load_workbook(tmp_path / "alt.xlsx", read_only=True)
    about = {k: v for k, v in book["scenario"].iter_rows(min_row=2, values_only=True)}
    summary = {k: v for _, v, k in book["summary"].iter_rows(min_row=2, values_only=True)}  # what, value, key
    assert summary["status"] == "alternative" and summary["status_text"] == about["status"], summary
    assert summary["status_text"].startswith("near-optimal alternative") and "not proven best" in summary["status_text"]
    assert summary["gap"] is None and summary["bound"] is None  # the distance MIP's are no gap of this layout
    ref = alt.meta["reference"]
    assert summary["parent_status"] == ref["status"] != "optimal" and summary["parent_gap"] == pytest.approx(ref["gap"])
    words = [str(v) for k, v in summary.items() if "status" in str(k)]
    assert not any(w.startswith("optimal") for w in words), words


@pytest.mark.timeout(300)
def test_a_stopped_why_here_never_calls_what_it_did_not_evaluate_infeasible(unproven, monkeypatch):
    """"Why here?" of ic/process with the rest re-optimised on yrd-cities, stopped by the user once
    the moves are solved (each proven infeasible: the whole segment in one city) and the search for
    the rules that block them begins: the page said 41 regions were "infeasible; the rules that block
    it were not found within the time limit". Now what the Stop left unsearched is said as not
    evaluated (stopped by the user), beside the heading's count."""
    import yrdopt.analysis.explain as explain_mod

    wb = unproven
    sc = next(s for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    submitted, asked = threading.Event(), []
    search = explain_mod.BlockingSearch.__call__

    def stop_at_the_first_search(self, *args, **kwargs):  # the user's Stop, at a point the test knows
        submitted.wait(30)
        asked[0].stop.set()
        return search(self, *args, **kwargs)

    monkeypatch.setattr(explain_mod.BlockingSearch, "__call__", stop_at_the_first_search)
    asked.append(wb.submit_explain(sc, "ic/process", True, None, 120.0))
    submitted.set()
    settle(wb)
    job = asked[0]
    assert job.state == "stopped" and job.result is not None, (job.state, job.error)
    rows, stopped = job.result["rows"], job.result["stopped"]
    unsearched = [r for r in rows if r["why"].startswith("proven infeasible; the rules that block it: not evaluated "
                                                         "(stopped by the user)")]
    assert unsearched, [r["why"] for r in rows]
    for r in rows:
        assert "within the time limit" not in r["why"] and not r["why"].startswith("infeasible"), r["why"]
        assert r["change"] is not None or r["why"].startswith(("not evaluated (stopped by the user)",
                                                              "proven infeasible", "quota too small")), r["why"]
        if r["why"].startswith("not evaluated"):
            assert r["region"] in stopped["not_evaluated"]
    assert stopped["text"].startswith("Stopped by the user after ")
    assert f"for {len(unsearched)} moves proven infeasible, the rules that block them were not all evaluated" in stopped["text"]


@pytest.mark.timeout(120)
def test_compare_shows_each_sides_status_and_warns_within_their_gaps(unproven):
    """Two layouts of the same instance, each stopped at its time limit: what differs between them
    is the solver's doing, and the comparison says so beside each side's status and gap (before:
    "18 segments moved ... total difference +151.76", no status, no gap)."""
    from yrdopt.app.server import compare

    wb = unproven
    first = next(s for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    job = wb.submit_solve(wb.instance_json, "the same again", 1.0)
    settle(wb)
    again = wb.workspace.get(job.result["scenario"])
    c = compare(first, again)
    gaps = []
    for side, sc in (("a", first), ("b", again)):
        summary = sc.summary()
        assert (c[side]["status"], c[side]["gap"]) == (summary["status"], summary["gap"])
        assert summary["status"] == "time_limit_with_incumbent" and (summary["gap"] is None or summary["gap"] > 0)
        # its words say the gap only where one is reported (before: "(gap reported)" without a gap too)
        assert ("(no proven bound yet, so no gap)" in summary["status_text"]) == (summary["gap"] is None), summary
        gaps.append(summary["gap"])
    total = next(t for t in c["terms"] if t["term"] == "total")
    assert c["warning"] and "may be solver noise" in c["warning"] and f"{total['change']:+,.2f}" in c["warning"]
    if None in gaps:  # a 1-s solve may stop before HiGHS's first bound: the warning says the gap is unknown
        assert "before the solver had a bound" in c["warning"]
    else:
        noise = sum(abs(s.summary()["gap"] * s.summary()["objective"]) for s in (first, again))
        assert abs(total["change"]) <= noise  # the same instance: any difference is within the gaps


def test_compare_warns_when_a_layout_stopped_before_any_bound(unproven):
    """A layout stopped before the solver had any bound (gap unknown) may lie anywhere above its
    optimum: the comparison says the difference may be solver noise (before: no gap, so no
    warning; CI on a quiet machine met it when a 1-s solve stopped before its root bound)."""
    from yrdopt.app.server import compare

    wb = unproven
    first = next(s for s in wb.workspace.scenarios() if s.meta["kind"] == "solve")
    job = wb.submit_solve(wb.instance_json, "stopped early", 1.0)
    settle(wb)
    again = wb.workspace.get(job.result["scenario"])
    summary_path = again.path / "summary.json"
    saved = summary_path.read_text()
    try:  # the same layout as the solver leaves it when stopped before its root LP: no bound, no gap
        s = json.loads(saved)
        s.update(bound=None, gap=None, status="time_limit_with_incumbent")
        summary_path.write_text(json.dumps(s))
        c = compare(first, again)
    finally:
        summary_path.write_text(saved)
    assert c["b"]["gap"] is None and c["warning"] and "layout B stopped at the time limit before the solver had a bound" in c["warning"]
