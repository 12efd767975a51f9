"""The CLI's tables (``commands/planning._df_table``) on a terminal narrower than the frame: a
number is never cut across lines (a planner read "-136." and "1" as two figures), no line is
wider than the terminal, and every column is shown (in blocks that repeat the index)."""

import io
import re

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

import yrdopt.commands.planning as planning


def render(df, width, monkeypatch, **kw):
    out = Console(file=io.StringIO(), width=width)
    monkeypatch.setattr(planning, "console", out)
    out.print(planning._df_table(df, "Moving ic/standards entirely to each region", **kw))
    return out.file.getvalue()


def cells(text):
    return [c.strip() for line in text.splitlines() if line.startswith("│") for c in line.strip("│").split("│")]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_numbers_stay_whole_and_lines_fit(monkeypatch, width):
    rng = np.random.default_rng(3)
    df = pd.DataFrame({f"change of objective {i}": rng.normal(0, 10.0 ** (i % 7), 4) for i in range(14)},
                      index=pd.Index([f"ic/standards@region_{i}" for i in range(4)], name="site"))
    text = render(df, width, monkeypatch)
    assert max(len(line) for line in text.splitlines()) <= width
    shown = cells(text)
    for v in df.to_numpy().ravel():
        assert planning.fmt_num(v) in shown  # the whole figure in one cell, on one line
    blocks = 1 + text.count("(continued)")
    assert blocks > 1 if width < 120 else True
    for label in df.index:
        assert sum(c == label for c in shown) == blocks  # the index is repeated in every block
    headers = re.sub(r"[┃\s]+", " ", "".join(line for line in text.splitlines() if line.startswith("┃")))
    assert all(w in headers for c in df.columns for w in c.split())


def test_a_narrow_frame_is_one_table_with_whole_headers(monkeypatch):
    df = pd.DataFrame({"objective": [3633.8151], "duplicated segments": [12]}, index=["base"])
    text = render(df, 80, monkeypatch)
    assert "(continued)" not in text and "duplicated segments" in text and planning.fmt_num(3633.8151) in text


@pytest.mark.parametrize("width", [30, 60])
def test_long_text_folds_but_labels_and_numbers_stay_whole(monkeypatch, width):
    """A reason wider than the terminal folds within it; the index label and the numbers beside
    it stay whole (before: the label went down the screen one letter a line, and at 30 columns
    numbers split)."""
    df = pd.DataFrame({"objective": [12345678.9, 3.25], "reason": ["the layout " * 12, "ok"]},
                      index=["base", "moved"])
    text = render(df, width, monkeypatch)
    assert max(len(line) for line in text.splitlines()) <= width
    shown = cells(text)
    assert {"base", "moved", planning.fmt_num(12345678.9), "3.25"} <= set(shown)
    # a label longer than the terminal folds, and the number beside it keeps its room
    df = pd.DataFrame({f"col {i}": [-136.123456, 12345678.9] for i in range(3)}, index=["a" * 70, "b"])
    text = render(df, width, monkeypatch)
    assert max(len(line) for line in text.splitlines()) <= width
    assert planning.fmt_num(12345678.9) in cells(text)


def test_numbers_are_printed_with_six_significant_digits_as_the_readme_says(monkeypatch):
    """compare, explain and prices print their frames through _df_table: six significant digits
    (before: four, "3,634" for 3,633.82 — a cost of 0.82 lost in the rounding)."""
    df = pd.DataFrame({"A": [3633.8151, 0.0123456789], "B": [3633.0, 1234567.89]}, index=["total", "gap"])
    shown = cells(render(df, 80, monkeypatch))
    assert {"3,633.82", "0.0123457", "3,633", "1,234,568"} <= set(shown), shown  # no digit before the point dropped


def test_benefit_table_headers_wrap_between_words_only():
    """The benefit table of `yrdopt solve` at 80 columns (a plan with today's shares beside): before,
    the header "high-value" was cut as "high-valu" / "e"."""
    from yrdopt.analysis.benefits import benefit_rich_table

    table = pd.DataFrame({"province": ["Shanghai", "Jiangsu"], "hosted_value": [161.1, 604.1],
                          "credited_value": [171.0, 594.2], "credited_share": [0.144, 0.5],
                          "high_value_share": [0.58, 0.47], "chains_present": [6, 7], "high_value_chains": [6, 5]})
    today = pd.DataFrame({"province": ["Shanghai", "Jiangsu"], "credited_share": [0.24, 0.414]})
    out = Console(file=io.StringIO(), width=80)
    out.print(benefit_rich_table(table, today))
    text = out.file.getvalue()
    heads = [c.strip() for line in text.splitlines() if line.startswith("┃") for c in line.strip("┃").split("┃")]
    assert "high-value" in heads and not any(h in ("high-valu", "e") for h in heads), text
    assert max(len(line) for line in text.splitlines()) <= 80
