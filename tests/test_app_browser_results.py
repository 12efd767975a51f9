"""What the workbench page shows after a job ends, after a reload, while a problem is open and on the
Limits tab: yrd-provinces-2035 (a phased plan) in headless Chromium (Debian's chromium and
chromium-driver, through Selenium; skipped where they are not installed)."""

from __future__ import annotations

import json

import pytest

from app_helpers import call
from conftest import ROOT
from test_app_browser import CHROMEDRIVER, CHROMIUM, browser_on, open_page, retype, wait

pytestmark = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                reason="Chromium or chromedriver is not installed (Debian: apt-get install -y chromium chromium-driver)")

PHASED = ROOT / "instances" / "yrd-provinces-2035.yaml"
LAND = '#ed-quotas tr[data-region="shanghai"] input[data-path="regions[0].quotas.land"]'


@pytest.fixture(scope="module")
def provinces(tmp_path_factory):
    """`yrdopt app` on yrd-provinces-2035 (its plan solved at start), and a browser: (driver, url, base, ws)."""
    tmp = tmp_path_factory.mktemp("provinces-browser")
    with browser_on(tmp, str(PHASED), "--time-limit", "120", idle_within=600) as (driver, url):
        yield driver, url, url.split("?")[0].rstrip("/"), tmp / "ws"


def reset(driver, url):
    from selenium.webdriver.common.by import By

    open_page(driver, url)
    driver.find_element(By.ID, "reset-btn").click()


def text(driver, css: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css).text


def bar_state(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "job-bar").get_attribute("data-state")


def solve_draft(driver, name: str, timeout: float = 500) -> None:
    """Name the draft, press Solve and wait for the job to end."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "scenario-name").send_keys(name)
    wait(driver, lambda d: d.find_element(By.ID, "solve-btn").is_enabled(), what="the draft validated")
    driver.find_element(By.ID, "solve-btn").click()
    wait(driver, lambda d: d.find_element(By.ID, "job-status").text.startswith("solve ") and name in d.find_element(By.ID, "job-status").text,
         what="the solve queued")
    wait(driver, lambda d: bar_state(d) not in ("idle", "queued", "running"), timeout=timeout, what="the solve ends")


@pytest.mark.timeout(900)
def test_the_job_bar_ends_with_the_scenarios_bound_and_gap(provinces):
    """Shanghai land 25 solved: the job bar's best, bound and gap are those of the scenario's
    summary (the Summary's Checker line), not HiGHS's last progress report (the bar said "bound
    68,265.64 | gap 0.061 %" beside "gap 0.0099 %" in the Summary); a layout the checker rejected
    keeps no gap in the bar."""
    driver, url, base, ws = provinces
    reset(driver, url)
    retype(driver, LAND, "25")
    solve_draft(driver, "Shanghai land 25 (phased)")
    job = call(base, "GET", "/api/jobs")[1][-1]
    summary = json.loads((ws / "scenarios" / job["result"]["scenario"] / "summary.json").read_text())
    said = driver.execute_script("return [fmt(arguments[0]), fmt(arguments[1]), gapPct(arguments[2])]",
                                 summary["objective"], summary["bound"], summary["gap"])
    said = [x.replace("\xa0", " ") for x in said]  # Selenium's .text says a no-break space as a space
    wait(driver, lambda d: d.find_element("id", "map-main").get_attribute("data-scenario") == job["result"]["scenario"],
         what="the scenario shown")
    shown = [text(driver, "#prog-best"), text(driver, "#prog-bound"), text(driver, "#prog-gap")]
    assert shown == said, (shown, said, job["progress"])
    # the Summary's status line names the gap once, in the status words (before: "(relative gap … to a proven
    # bound); gap … %" for an optimal layout)
    verdict = text(driver, "#verdict")
    assert verdict.count("relative gap") == 1 and "; gap" not in verdict, verdict
    # a layout the checker rejected: its objective, no bound, no gap (whatever HiGHS last reported)
    driver.execute_script("showJob(arguments[0])", {
        "id": "x", "kind": "solve", "state": "done", "title": "rejected", "elapsed": 3.0,
        "progress": {"best": 100.0, "bound": 90.0, "gap": 0.1},
        "result": {"scenario": "x", "status": "not_verified", "status_text": "rejected by the independent checker",
                   "objective": 101.0, "bound": None, "gap": None}})
    assert [text(driver, "#prog-best"), text(driver, "#prog-bound"), text(driver, "#prog-gap")] == ["101", "–", "–"]


@pytest.mark.timeout(600)
def test_a_failed_solves_reason_survives_a_reload(provinces):
    """Shanghai land 15 has no plan: the red box above the maps says why; after a reload it still
    does, and the job bar says the solve failed (it said "idle", the reason gone)."""
    from selenium.webdriver.common.by import By

    driver, url, _, _ = provinces
    reset(driver, url)
    retype(driver, LAND, "15")
    solve_draft(driver, "Shanghai land 15 (phased)")
    box = driver.find_element(By.ID, "solve-failure")
    wait(driver, lambda d: box.is_displayed(), what="the reason shown")
    said = box.text
    assert said.startswith("The solve of “Shanghai land 15 (phased)” found no layout: ") and "Shanghai land" in said, said
    driver.refresh()
    open_page(driver, url)
    wait(driver, lambda d: d.find_element(By.ID, "solve-failure").is_displayed(), what="the reason shown again")
    assert driver.find_element(By.ID, "solve-failure").text == said
    assert bar_state(driver) == "failed"
    assert text(driver, "#job-status").startswith("solve failed: Shanghai land 15 (phased)"), text(driver, "#job-status")
    # the planner opens another scenario from the list: the box goes, and stays away after a reload (it came back
    # on every page load while they worked on other scenarios; the failed solve is listed with its reason)
    driver.find_element(By.CSS_SELECTOR, '#side-tabs button[data-tab="scenarios"]').click()
    driver.find_element(By.CSS_SELECTOR, "#scenario-table a.open").click()
    wait(driver, lambda d: not d.find_element(By.ID, "solve-failure").is_displayed(), what="the box left")
    driver.refresh()
    open_page(driver, url)
    assert not driver.find_element(By.ID, "solve-failure").is_displayed()
    assert driver.find_elements(By.CSS_SELECTOR, '#scenario-table tr[data-kind="failed"]')
    reset(driver, url)


@pytest.mark.timeout(300)
def test_the_edits_stay_listed_while_a_problem_is_open(provinces):
    """A guarantee removed, 2035's most sites closed set to 3, a province budget for "Anhwei": the
    province is refused and the list of edits keeps all three (it emptied until the typo was fixed)."""
    from selenium.webdriver.common.by import By

    driver, url, _, _ = provinces
    reset(driver, url)
    driver.execute_script("document.querySelectorAll('#tab-whatif details').forEach((d) => { d.open = true; })")
    gone = driver.find_element(By.CSS_SELECTOR, 'fieldset[data-path="policy.guarantees"] > .item')
    title = gone.find_element(By.TAG_NAME, "legend").text
    gone.find_element(By.XPATH, "./button[text()='remove']").click()
    retype(driver, 'input[data-path="periods.milestones[2].budget.max_closed"]', "3")
    by_province = driver.find_element(By.CSS_SELECTOR, 'fieldset[data-path="periods.milestones[2].budget.by_province"]')
    by_province.find_element(By.CSS_SELECTOR, "input.new-key").send_keys("Anhwei")
    by_province.find_element(By.XPATH, ".//button[text()='add']").click()
    wait(driver, lambda d: "Anhwei" in d.find_element(By.ID, "validation").text, what="the typo refused")
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#changes li")) == 3, what="three edits listed")
    listed = text(driver, "#changes")
    assert f"removed guarantee: {title}" in listed and "2035 milestone: most sites closed 6 → 3" in listed, listed
    assert "Anhwei, 2035 milestone" in listed, listed
    reset(driver, url)


@pytest.mark.timeout(900)
def test_limits_shown_scenario_and_period_survive_a_period_switch_and_a_reload(provinces):
    """Limits priced in 2030 of a plan: after switching to 2035 and back, and after a reload, the
    page shows the same scenario, 2030 and its Limits answer (the answer was lost, the reload showed
    the latest scenario's last period)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, url, base, _ = provinces
    reset(driver, url)
    plans = [s for s in call(base, "GET", "/api/scenarios")[1] if s["periods"]]
    first = plans[0]["id"]  # not the latest, when earlier tests solved more
    Select(driver.find_element(By.ID, "scenario-select")).select_by_value(first)
    wait(driver, lambda d: d.find_element(By.ID, "map-main").get_attribute("data-scenario") == first, what="shown")
    Select(driver.find_element(By.ID, "period-select")).select_by_visible_text("2030")
    driver.find_element(By.CSS_SELECTOR, '#main-tabs button[data-tab="limits"]').click()
    driver.find_element(By.ID, "limits-btn").click()
    wait(driver, lambda d: d.find_elements(By.ID, "limits-heading"), timeout=600, what="the limits priced")
    heading = text(driver, "#limits-heading")
    assert heading.startswith("In 2030, with this layout's sites kept"), heading
    answer = text(driver, "#limits-result")
    # guarantees and budgets by what they are, as the Summary says them (were "Shanghai min_chains [rd] 1", "max_closed area")
    guarantees, budgets = text(driver, "#limits-guarantees"), text(driver, "#limits-budgets")
    assert "Shanghai hosts R&D in at least one chain 1 chain" in guarantees, guarantees
    assert "min_chains" not in guarantees and "max_share" not in guarantees, guarantees
    assert "2030 milestone: at most 6 sites closed 6" in budgets and "max_closed" not in budgets, budgets
    assert "2030 milestone: at most 15 % of 2025's activity moved" in budgets, budgets
    Select(driver.find_element(By.ID, "period-select")).select_by_visible_text("2035")
    assert text(driver, "#limits-result") == ""  # 2030's answer is not 2035's
    Select(driver.find_element(By.ID, "period-select")).select_by_visible_text("2030")
    assert text(driver, "#limits-result") == answer
    driver.refresh()
    open_page(driver, url)
    assert driver.find_element(By.ID, "map-main").get_attribute("data-scenario") == first
    assert Select(driver.find_element(By.ID, "period-select")).first_selected_option.text == "2030"
    driver.find_element(By.CSS_SELECTOR, '#main-tabs button[data-tab="limits"]').click()
    assert text(driver, "#limits-result") == answer
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


@pytest.mark.timeout(300)
def test_the_changes_tab_names_segments_regions_units_and_parks(provinces):
    """2035 of the opened instance's plan: the Changes tab names each segment and region, gives
    activity's unit and the cost's, the park built by its regions, foresight as the report says it
    (it showed "ai | rd | shanghai | closed | 2.027 | 0 | 9.933", "4.14e-4", "park shanghai_jiangsu_north")."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from yrdopt.io import load_instance
    from yrdopt.report.periods import foresight_text
    from yrdopt.schema import region_names, segment_names

    driver, url, base, ws = provinces
    reset(driver, url)
    inst = load_instance(PHASED)
    plan = next(s for s in call(base, "GET", "/api/scenarios")[1] if s["periods"])
    Select(driver.find_element(By.ID, "scenario-select")).select_by_value(plan["id"])
    Select(driver.find_element(By.ID, "period-select")).select_by_visible_text("2035")
    driver.find_element(By.CSS_SELECTOR, '#main-tabs button[data-tab="changes"]').click()
    driver.find_element(By.ID, "changes-kept").click()  # every site, kept ones too
    heading = text(driver, "#changes-heading")
    assert "the park in Jiangsu co-built with Shanghai 60.00" in heading and "_" not in heading, heading
    summary = json.loads((ws / "scenarios" / plan["id"] / "summary.json").read_text())
    assert text(driver, "#changes-foresight") == foresight_text(summary)
    headers = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#changes-table th")]
    unit = "(10 bn CNY of 2021 profit)"  # every segment's: said once, in the headings
    assert headers == ["segment", "region", "status", f"activity before {unit}", f"activity after {unit}",
                       "cost (objective's units)"], headers
    cells = driver.execute_script("return [...document.querySelectorAll('#changes-table tr[data-status]')]"
                                  ".map((tr) => [...tr.children].map((td) => td.textContent))")
    assert cells and {c[0] for c in cells} <= set(segment_names(inst).values()), cells[:3]
    assert {c[1] for c in cells} <= set(region_names(inst).values()), cells[:3]
    assert not [c for c in cells if "e-" in c[3] + c[4]], cells  # decimals, never 4.14e-4
    driver.find_element(By.ID, "changes-kept").click()


@pytest.mark.timeout(300)
def test_segments_panels_and_guarantees_are_said_as_the_planner_knows_them(provinces):
    """Pickers list segments by name (were "ic/rd"), Colour by says what each panel shows (was "kind:
    rd (kind)"), the Region tab says the plan's year and that today's layout beside it is not grown to
    it, and the province guarantees table shows the minimum shares set by guarantees (its fields were blank)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from yrdopt.io import load_instance
    from yrdopt.schema import segment_names

    driver, url, base, _ = provinces
    reset(driver, url)
    names = set(segment_names(load_instance(PHASED)).values())
    driver.execute_script("document.querySelectorAll('#tab-whatif details').forEach((d) => { d.open = true; })")
    placement = Select(driver.find_element(By.ID, "placement-segment"))
    assert {o.text for o in placement.options} == names
    assert placement.first_selected_option.get_attribute("value") == "ic/rd"
    assert placement.first_selected_option.text == "Integrated circuits R&D"
    why = [o.get_attribute("textContent") for o in Select(driver.find_element(By.ID, "explain-segment")).options]
    assert why and set(why) <= names, why
    panels = [o.text for o in Select(driver.find_element(By.ID, "panel-select")).options]
    assert "R&D sites (colour: chain)" in panels and "Integrated circuits (colour: segment)" in panels, panels
    assert not [p for p in panels if "(kind)" in p or p.startswith("kind:")], panels
    shanghai = driver.find_element(By.CSS_SELECTOR, 'tr[data-province="Shanghai"]').text
    assert "≥ 12.0 %" in shanghai, shanghai
    year = Select(driver.find_element(By.ID, "period-select")).first_selected_option.text
    driver.execute_script("clickRegion('shanghai')")
    heads = [h.get_attribute("textContent") for h in driver.find_elements(By.CSS_SELECTOR, "#region-info h4.region-heading")]
    assert heads[0].startswith(f"opened instance (yrd-provinces-2035) in {year}: value ") or f" in {year}: value " in heads[0], heads
    assert f"today's layout (today's activity, not grown to {year}: not comparable): value " in heads[1], heads
    cells = {td.get_attribute("textContent") for td in driver.find_elements(By.CSS_SELECTOR, "#region-info tr[data-segment] td:first-child")}
    assert cells and cells <= names, cells
    # a province's minimum share is typed as a percentage, kept in the instance as its fraction (the field
    # said "min share (0–1)" and took the fraction: a planner's 15 asked for 1,500 %)
    share = 'input[data-path="policy.province_min_share.Anhui"]'
    assert "min share (%)" in text(driver, "#ed-shares table"), text(driver, "#ed-shares table")
    retype(driver, share, "150")
    wait(driver, lambda d: "“150 %” is not a percentage from 0 to 100" in d.find_element(By.ID, "validation").text,
         what="a share above 100 % refused")
    assert driver.execute_script("return (S.draft.policy.province_min_share || {}).Anhui") is None
    retype(driver, share, "15")
    wait(driver, lambda d: d.find_element(By.ID, "validation").is_displayed() is False, what="15 % taken")
    assert driver.execute_script("return S.draft.policy.province_min_share.Anhui") == 0.15
    driver.execute_script("S.draft.policy.province_min_share.Anhui = 0.12; renderEditor()")  # drawn as the percentage
    assert driver.find_element(By.CSS_SELECTOR, share).get_attribute("value") == "12"
    # an unnamed park by its host and partner, as the report and the Changes tab say it (it was "enclaves 2")
    parks = [lg.get_attribute("textContent") for lg in driver.find_elements(By.CSS_SELECTOR, '#ed-other [data-path="enclaves"] > .item > fieldset > legend')]
    assert "park in Jiangsu co-built with Shanghai" in parks and not [p for p in parks if p.startswith("enclaves")], parks


@pytest.mark.timeout(300)
def test_the_what_if_panel_never_overflows_sideways(provinces):
    """At 1366×768, every editor open (today's sites, parks, milestones) and a mistyped region beside
    its field: nothing in the What-if panel is wider than the panel, and scrolling to the field does
    not shift it (the brownfield editor pushed it 58 px out: "hat-if", "ario name")."""
    from selenium.webdriver.common.by import By

    driver, url, _, _ = provinces
    driver.set_window_size(1366, 768)
    try:
        reset(driver, url)
        driver.execute_script("document.querySelectorAll('#tab-whatif details').forEach((d) => { d.open = true; })")
        field = 'input[data-path="brownfield.existing[0].region"]'
        retype(driver, field, "shanghia")
        wait(driver, lambda d: "shanghia" in d.find_element(By.ID, "validation").text, what="the typo refused")
        driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", field)
        side = driver.execute_script("const a = document.querySelector('#side'), r = a.getBoundingClientRect();"
                                     "return [a.scrollWidth, a.clientWidth, a.scrollLeft, Math.round(r.right)]")
        assert side[0] <= side[1] and side[2] == 0, side
        wider = driver.execute_script(
            "const right = document.querySelector('#side').getBoundingClientRect().right;"
            "return [...document.querySelectorAll('#tab-whatif *')].filter((e) => e.getBoundingClientRect().right > right + 0.5)"
            ".map((e) => e.tagName + ' ' + (e.dataset.path || e.className))")
        assert not wider, wider
        assert driver.find_element(By.CSS_SELECTOR, '#side-tabs button[data-tab="whatif"]').text == "What-if"
    finally:
        driver.set_window_size(1600, 1000)
        reset(driver, url)


@pytest.mark.timeout(300)
def test_a_typo_in_todays_sites_is_named_as_the_planner_knows_it(provinces):
    """A mistyped region of today's first site: the problem names the site by its segment and asks
    "did you mean 'shanghai'?" (it said "brownfield.existing[0].region … regions[0].id is 'shanghai',
    is one of them misspelt?", ids the page cannot edit)."""
    from selenium.webdriver.common.by import By

    from yrdopt.io import load_instance
    from yrdopt.schema import segment_names

    driver, url, _, _ = provinces
    reset(driver, url)
    first = load_instance(PHASED).brownfield.existing[0]
    seg = segment_names(load_instance(PHASED))[f"{first.chain}/{first.segment}"]
    driver.execute_script("document.querySelectorAll('#tab-whatif details').forEach((d) => { d.open = true; })")
    retype(driver, 'input[data-path="brownfield.existing[0].region"]', "shanghia")
    wait(driver, lambda d: "shanghia" in d.find_element(By.ID, "validation").text, what="the typo refused")
    said = text(driver, "#validation")
    assert f"today's site of {seg} (brownfield.existing[0]) region: got \"shanghia\"" in said, said
    assert "did you mean 'shanghai'?" in said and "misspelt" not in said, said
    reset(driver, url)
