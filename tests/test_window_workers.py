"""Sharing a job's threads between window workers, and splitting a batch between them."""

from __future__ import annotations

import threading

import pytest
import torch

from speech_encoding.features.window_workers import ThreadPlan, parallel_runs, split_evenly, thread_plan


@pytest.mark.parametrize("device, threads, batch_size, expected", [
    ("cpu", 8, 8, ThreadPlan(8, 1)),
    ("cpu", 2, 8, ThreadPlan(2, 1)),
    ("cpu", 16, 8, ThreadPlan(8, 2)),
    ("cpu", 7, 2, ThreadPlan(2, 3)),
    ("cpu", 4, 1, ThreadPlan(1, 4)),
    ("cpu", 1, 8, ThreadPlan(1, 1)),
    ("cuda", 8, 8, ThreadPlan(1, 8)),
])
def test_thread_plan_never_uses_more_threads_than_given(device, threads, batch_size, expected):
    plan = thread_plan(device, threads, batch_size)
    assert plan == expected
    assert plan.workers * plan.torch_threads <= threads


@pytest.mark.parametrize("length, parts", [(8, 3), (8, 8), (2, 5), (1, 1), (10, 4)])
def test_split_evenly_keeps_order_and_balances(length, parts):
    items = list(range(length))
    runs = split_evenly(items, parts)
    assert [item for run in runs for item in run] == items
    assert len(runs) == min(length, parts)
    assert max(map(len, runs)) - min(map(len, runs)) <= 1


def test_parallel_runs_use_the_workers_and_restore_torch_threads():
    before = torch.get_num_threads()
    all_started = threading.Barrier(3, timeout=30)  # passes only if 3 runs are in flight at once
    names = set()

    def work(run):
        names.add(threading.current_thread().name)
        all_started.wait()
        return sum(run), torch.get_num_threads()

    with parallel_runs(ThreadPlan(workers=3, torch_threads=1)) as run:
        results = run(work, list(range(7)))
    assert [total for total, _ in results] == [0 + 1, 2 + 3 + 4, 5 + 6]
    assert {threads for _, threads in results} == {1}
    assert len(names) == 3 and all(name.startswith("windows") for name in names)
    assert torch.get_num_threads() == before


def test_parallel_runs_restore_torch_threads_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="bad window"):
        with parallel_runs(ThreadPlan(workers=2, torch_threads=1)) as run:
            run(lambda _: (_ for _ in ()).throw(ValueError("bad window")), [1, 2])
    assert torch.get_num_threads() == before
