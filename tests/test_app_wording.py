"""Every message the page can show says what the page offers: no --flag, no command, nothing cut short.

The messages are collected from the code, not listed by hand: every string (f-strings with their
fields as ``{}``, concatenations joined) of the library modules the app imports, directly or not,
that names a flag or a `yrdopt ...` command.  The app's own modules are left out: they write in the
page's words already, and their few command-line words go to the terminal (``--allow-remote``) or to
a visitor without the token (401: the address `yrdopt app` printed).
"""

from __future__ import annotations

import ast
import re
import threading
import time
from pathlib import Path

import pytest

import yrdopt
from yrdopt.analysis.diagnose import within_round_off
from yrdopt.app.jobs import FINISHED, JobQueue
from yrdopt.app.wording import CLI_ONLY, FLAG, FLAG_WORDS, PHRASES, page_words

PACKAGE = Path(yrdopt.__file__).parent
COMMAND = re.compile(r"`yrdopt [^`]*`")


def module_files() -> dict[str, Path]:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = ["yrdopt", *p.relative_to(PACKAGE).with_suffix("").parts]
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def imported(mod: str, files: dict[str, Path]) -> set[str]:
    """The yrdopt modules ``mod`` imports anywhere in its code (function-level imports too)."""
    path = files[mod]
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)] if node.level else []
            src = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                found |= {m for m in (f"{src}.{alias.name}", src) if m in files}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in files}
    return found


def reached_by_the_app() -> list[str]:
    files = module_files()
    seen, todo = set(), [m for m in files if m.startswith("yrdopt.app")]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += imported(m, files)
    return sorted(m for m in seen if not m.startswith("yrdopt.app"))


def _text(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = _text(node.left), _text(node.right)
        if a is not None and b is not None:
            return a + b
    return None


def messages() -> list[tuple[str, int, str]]:
    """(module, line, text) of every string of the app's library code that names a flag or a command."""
    files, out = module_files(), []
    for mod in reached_by_the_app():
        tree = ast.parse(files[mod].read_text(encoding="utf-8"))
        docs = {id(n.value) for n in ast.walk(tree)
                if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
        taken: set[int] = set(docs)
        for node in ast.walk(tree):  # outermost string expressions first: a concatenation before its parts
            if id(node) in taken:
                continue
            text = _text(node)
            if text is not None:
                taken |= {id(n) for n in ast.walk(node)}
                if FLAG.search(text) or COMMAND.search(text):
                    out.append((mod, node.lineno, text))
    return out


MESSAGES = messages()
def phrase_pattern(cli) -> str:
    return cli.pattern if isinstance(cli, re.Pattern) else re.escape(cli)


def has_phrase(text: str) -> bool:
    return any(re.search(phrase_pattern(cli), text) for cli, _ in PHRASES)


DECLARED = re.compile("|".join([phrase_pattern(cli) for cli, _ in PHRASES] + [FLAG.pattern]))


def test_the_collection_finds_the_messages_it_is_about():
    """The collector sees the library's CLI advice (else every test below passes on nothing)."""
    texts = [t for _, _, t in MESSAGES]
    assert len(texts) >= 20, texts
    assert any("--reoptimise lets it change" in t for t in texts)
    assert any("give --period YEAR" in t for t in texts)  # inside a call statement's arguments
    assert any("`yrdopt solve` may find no" in t for t in texts)


def cli_words(text: str) -> set[str]:
    """The flags and commands ``text`` names, but those inside a phrase the page rewrites whole."""
    rest = text
    for cli, _ in PHRASES:
        rest = re.sub(phrase_pattern(cli), " ", rest)
    return set(FLAG.findall(rest)) | set(COMMAND.findall(rest))


def test_every_flag_and_command_the_page_can_show_has_page_words():
    unknown = sorted({(w, mod, line) for mod, line, t in MESSAGES for w in cli_words(t)
                      if w not in FLAG_WORDS and w not in CLI_ONLY})
    assert not unknown, f"library messages' flags and commands with neither page words nor a reason the page never shows them: {unknown}"


def shown(text: str) -> bool:
    """A message the page can show: it has a phrase or flag the page rewrites (not only CLI-only words)."""
    return has_phrase(text) or not cli_words(text) <= set(CLI_ONLY)


@pytest.mark.parametrize("mod,line,text", [m for m in MESSAGES if shown(m[2])],
                         ids=lambda v: str(v)[:40])
def test_a_message_in_the_pages_words_keeps_every_other_word(mod, line, text):
    out = page_words(text)
    assert not [w for w in FLAG.findall(out) + COMMAND.findall(out) if w not in CLI_ONLY], (mod, line, out)
    # nothing but the listed phrases and flags changes: every stretch between them is kept, in order
    at = 0
    for chunk in (c.strip() for c in DECLARED.split(text)):
        if chunk:
            found = out.find(chunk, at)
            assert found >= 0, f"{mod}:{line}: {chunk!r} lost from {text!r}: {out!r}"
            at = found + len(chunk)


def test_a_real_round_off_diagnosis_keeps_its_advice():
    """within_round_off's advice, as a diagnosis writes it: the earlier rule cut it to 'so.'."""
    out = page_words(within_round_off(True, "plan"))
    assert out.endswith("so Solve may find no plan: raise them by that much, or a little more."), out


def test_a_jobs_result_and_error_reach_the_page_in_its_words():
    """A Why here? answer's "why" column and a failed job's message, through the queue as the page polls them."""
    jobs = JobQueue()
    try:
        answer = jobs.submit("explain", "why here?", lambda job: {"rows": [{"why": "blocked by: land in sh with the "
                                                                            "rest of the layout kept (--reoptimise lets it change)"}]})
        failed = jobs.submit("explain", "why here?", lambda job: (_ for _ in ()).throw(
            yrdopt.errors.SolverError("no layout within its share of the time limit (time_limit): give it more time (--time-limit)")))
        t_end = time.time() + 10
        while not all(jobs.view(j)["state"] in FINISHED for j in (answer, failed)) and time.time() < t_end:
            time.sleep(0.01)
        why = jobs.view(answer)["result"]["rows"][0]["why"]
        msg = jobs.view(failed)["error"]["message"]
    finally:
        jobs.close()
    assert why.endswith("(“re-optimise the rest” lets it change)"), why
    assert msg.endswith("give it more time (the time limit field)"), msg


def test_a_long_list_of_a_diagnosis_points_at_nothing_the_page_lacks():
    """"… and 4 more (all in the details' quota_increase; `yrdopt diagnose INSTANCE --out DIR` writes
    them to a file)": the page has neither the details nor a file."""
    from yrdopt.analysis.diagnose import SHORT_LIST, short_list

    items = [f"region{i} land +{i}" for i in range(SHORT_LIST + 4)]
    text, _ = short_list(items, [{"item": x} for x in items], None, "quota_increase.csv", "quota_increase")
    assert page_words(text).endswith("; and 4 more (not listed here)"), page_words(text)
