"""The workbench's job queue: what a poll sees while a job ends (no server, no solver: the queue alone)."""

from __future__ import annotations

import threading
import time

from yrdopt.app.jobs import FINISHED, JobQueue
from yrdopt.errors import YrdoptError


class SlowToSay(YrdoptError):
    """An error whose message takes a while to put into words (as a diagnosis's long explanation
    does): it signals when its wording starts and finishes only when told to."""

    def __init__(self, entered: threading.Event, release: threading.Event):
        super().__init__("no layout within the time limit: give it more time (--time-limit)")
        self.entered, self.release = entered, release

    def __str__(self):
        self.entered.set()
        self.release.wait(10)
        return super().__str__()


def wait_finished(jobs: JobQueue, job, timeout: float = 10.0) -> dict:
    t_end = time.time() + timeout
    while time.time() < t_end:
        view = jobs.view(job)
        if view["state"] in FINISHED:
            return view
        time.sleep(0.01)
    raise TimeoutError(job.id)


def test_a_failed_job_is_never_seen_without_its_message():
    entered, release = threading.Event(), threading.Event()

    def run(job):
        raise SlowToSay(entered, release)

    jobs = JobQueue()
    try:
        job = jobs.submit("solve", "slow to say why", run)
        assert entered.wait(10)
        seen = jobs.view(job)  # polled while the error is being put into words
        release.set()
        final = wait_finished(jobs, job)
    finally:
        release.set()
        jobs.close()
    # before the message exists the job is still running; once failed, its message is there, in the page's words
    assert seen["state"] == "running" and seen["error"] is None, seen
    assert final["state"] == "failed" and final["error"]["message"].startswith("no layout within the time limit")
    assert "--" not in final["error"]["message"]


def test_stop_cancels_a_waiting_job_for_good():
    gate = threading.Event()
    jobs = JobQueue()
    try:
        first = jobs.submit("solve", "holds the worker", lambda job: gate.wait(10))
        second = jobs.submit("solve", "waits", lambda job: "ran")
        jobs.stop(second.id)
        gate.set()
        wait_finished(jobs, first)
        time.sleep(0.05)
        view = jobs.view(second)
    finally:
        gate.set()
        jobs.close()
    assert view["state"] == "cancelled" and view["result"] is None
