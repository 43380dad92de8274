"""Where the tasks of a build run: this process, a pool of worker processes, or a Dask cluster.

Each executor offers ``submit(fn, *args, priority=0) -> future``, ``wait(futures) -> (done,
not_done)`` (returns as soon as one is done) and ``close()``; the runner needs nothing else, so
the same tasks run unchanged on all three:

``serial``
    In the calling process, one after the other (``--jobs 1``), highest priority first.
``process``
    :class:`concurrent.futures.ProcessPoolExecutor` with ``jobs`` worker processes
    (started with ``spawn``: a worker never inherits the parent's threads or browser).
``dask``
    :class:`distributed.Client`: connected to the scheduler at ``scheduler`` when given
    (``tcp://host:8786``; the workers must see the same project folder and reports folder),
    else a :class:`distributed.LocalCluster` of ``jobs`` single-threaded worker processes.

Examples
--------
>>> ex = make_executor("serial")
>>> fut = ex.submit(pow, 2, 10)
>>> [f.result() for f in ex.wait([fut])[0]]
[1024]
>>> ex.close()
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future
from concurrent.futures import wait as _cf_wait

__all__ = ["EXECUTORS", "default_jobs", "make_executor", "SerialExecutor", "ProcessExecutor",
           "DaskExecutor"]

#: Names accepted by ``softskills run --executor``.
EXECUTORS: tuple[str, ...] = ("process", "dask")


def default_jobs() -> int:
    """Number of worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class SerialExecutor:
    """Runs the tasks in this process, one at a time, when the runner waits for them.

    The task with the highest ``priority`` goes first (ties: the first submitted), so a build
    finishes one report before it starts the next: exports before notebooks before preparing
    another year.
    """

    def __init__(self) -> None:
        self._queue: list[tuple[int, int, Future, Callable, tuple]] = []
        self._seq = 0

    def submit(self, fn: Callable, *args, priority: int = 0) -> Future:
        fut: Future = Future()
        heapq.heappush(self._queue, (-priority, self._seq, fut, fn, args))
        self._seq += 1
        return fut

    def wait(self, futures: list) -> tuple[list, list]:
        done = [f for f in futures if f.done()]
        while not done and self._queue:
            _, _, fut, fn, args = heapq.heappop(self._queue)
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn(*args))
            except Exception as exc:  # Ctrl-C stops the build, it is not a task's failure
                fut.set_exception(exc)
            done = [f for f in futures if f.done()]
        return done, [f for f in futures if not f.done()]

    def close(self) -> None:
        from .tasks import close_printers

        for _, _, fut, _, _ in self._queue:
            fut.cancel()
        self._queue.clear()
        close_printers()


def _worker_init() -> None:
    """Worker processes: no progress bars, no interactive backends."""
    os.environ.setdefault("MPLBACKEND", "Agg")


class ProcessExecutor:
    """A pool of ``jobs`` worker processes (:class:`concurrent.futures.ProcessPoolExecutor`)."""

    def __init__(self, jobs: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init,
                                        mp_context=multiprocessing.get_context("spawn"))

    def submit(self, fn: Callable, *args, priority: int = 0) -> Future:
        return self.pool.submit(fn, *args)

    def wait(self, futures: list) -> tuple[list, list]:
        done, _ = _cf_wait(futures, return_when=FIRST_COMPLETED)
        return [f for f in futures if f in done], [f for f in futures if f not in done]

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Dask's distributed scheduler: an existing cluster at ``scheduler``, or a LocalCluster."""

    def __init__(self, jobs: int, scheduler: str | None = None) -> None:
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            self.client = Client(scheduler, set_as_default=False)
        else:
            self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster, set_as_default=False)

    def submit(self, fn: Callable, *args, priority: int = 0):
        return self.client.submit(fn, *args, pure=False, priority=priority)

    def wait(self, futures: list) -> tuple[list, list]:
        from distributed import wait

        with self.client.as_current():
            done, _ = wait(futures, return_when="FIRST_COMPLETED")
        return [f for f in futures if f in done], [f for f in futures if f not in done]

    def close(self) -> None:
        from .tasks import close_printers

        try:  # each worker closes the browser it started, in the thread that started it
            workers = list(self.client.scheduler_info().get("workers", {}))
            futures = [self.client.submit(close_printers, workers=[w], allow_other_workers=False,
                                          pure=False) for w in workers]
            self.client.gather(futures)
        except Exception:  # best effort: a worker that went away took its browser along
            pass
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(kind: str = "process", *, jobs: int | None = None, scheduler: str | None = None):
    """The executor for ``softskills run --executor KIND --jobs N [--scheduler ADDRESS]``.

    ``process`` with one job runs in this process: no pool to start.
    """
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if kind == "serial":
        return SerialExecutor()
    if kind == "dask":
        return DaskExecutor(jobs, scheduler)
    if kind != "process":
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}; got {kind!r}")
    if jobs == 1:
        return SerialExecutor()
    return ProcessExecutor(jobs)
