"""CPU extraction with windows in parallel: each worker thread runs its own windows through the
model with few torch threads, instead of every core sharing one window's small matrix products.

Each window is computed independently, so the split changes nothing but speed (and float
rounding inside the matrix libraries). On GPU there is one worker: the batch goes through whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThreadPlan:
    """How a job's threads are used: `workers` window groups at once, each op on `torch_threads`."""

    workers: int
    torch_threads: int


def thread_plan(device: str, threads: int, batch_size: int) -> ThreadPlan:
    """On CPU, one worker per thread up to the batch's windows, the remaining threads shared out
    to each worker's torch ops; elsewhere one worker with every thread."""
    threads = max(int(threads), 1)
    if device != "cpu":
        return ThreadPlan(workers=1, torch_threads=threads)
    workers = min(threads, max(int(batch_size), 1))
    return ThreadPlan(workers=workers, torch_threads=max(threads // workers, 1))


def split_evenly(items: Sequence, parts: int) -> list[Sequence]:
    """`items` in at most `parts` consecutive runs whose lengths differ by at most one."""
    parts = min(parts, len(items))
    edges = [round(index * len(items) / parts) for index in range(parts + 1)]
    return [items[start:stop] for start, stop in zip(edges, edges[1:])]


@contextmanager
def parallel_runs(plan: ThreadPlan) -> Iterator[Callable[[Callable, Sequence], list]]:
    """A function `run(work, items)`: `work` of each of the plan's consecutive runs of `items`,
    in order, computed on the plan's worker threads. torch uses `torch_threads` threads
    meanwhile; the previous count is restored on exit."""
    before = torch.get_num_threads()
    torch.set_num_threads(plan.torch_threads)
    log.info("%d window worker(s), %d torch thread(s) each", plan.workers, plan.torch_threads)
    try:
        if plan.workers == 1:
            yield lambda work, items: [work(items)]
        else:
            with ThreadPoolExecutor(plan.workers, thread_name_prefix="windows") as executor:
                yield lambda work, items: list(executor.map(work, split_evenly(items, plan.workers)))
    finally:
        torch.set_num_threads(before)
