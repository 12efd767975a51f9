"""What an analysis gives each LP after a stage's MIP: its search and polish recorded (time-limit tests)."""

from __future__ import annotations

import time


def record_polishes(monkeypatch, module) -> list[tuple[float | None, float | None, float]]:
    """Wrap ``module``'s ``search`` and ``lp_polish`` (as the module calls them); the returned list
    gets one ``(time_limit given, what the stage's deadline had left, seconds taken)`` per polish."""
    stage, polishes = {}, []
    search, lp_polish = module.search, module.lp_polish

    def recording_search(solver, cm, deadline, **kw):
        stage["deadline"] = deadline
        return search(solver, cm, deadline, **kw)

    def recording_polish(*args, time_limit=None, **kw):
        given, left, t = time_limit, stage["deadline"].left(), time.perf_counter()
        out = lp_polish(*args, time_limit=time_limit, **kw)
        polishes.append((given, left, time.perf_counter() - t))
        return out

    monkeypatch.setattr(module, "search", recording_search)
    monkeypatch.setattr(module, "lp_polish", recording_polish)
    return polishes
