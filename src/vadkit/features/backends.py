"""Where :func:`~vadkit.features.task.extract_one` runs: in this process, in a local process pool, or on Ray.

Every backend runs the same function on the same tasks, and each video's output depends only on the video and
the extractor, so the arrays written are byte-identical whatever the backend and the number of workers.
Records come back in completion order.

Worker processes (pool and Ray) limit OpenCV and torch to ``worker_threads`` threads each (default 1), so
N workers do not oversubscribe the cores with N times the library thread pools. The pool starts its workers
with ``spawn`` (no forked torch/OpenCV/FFmpeg thread state); the extractor is pickled once per worker.
Ray workers receive the extractor through the object store and must be able to import its class (an
installed module); they write into the output folder themselves, which on a cluster must be a filesystem
every node shares.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Literal

import cv2

from vadkit.features.base import Extractor
from vadkit.features.manifest import VideoRecord
from vadkit.features.task import VideoTask, describe_error, extract_one, record_failure

Backend = Literal["local", "ray"]

_pool_worker: dict[str, Any] = {}
"""The extractor and thread budget of this pool worker process (set once by :func:`_start_pool_worker`)."""


def limit_threads(threads: int) -> None:
    """Cap OpenCV's and (when imported) torch's thread pools of this process at ``threads``."""
    cv2.setNumThreads(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def _record_crash(task: VideoTask, extractor: Extractor, where: str, error: BaseException) -> VideoRecord:
    """Record as failed a task whose worker died or whose result was lost."""
    return record_failure(task, extractor, f"{where}: {describe_error(error)}")


def run_sequential(tasks: Sequence[VideoTask], extractor: Extractor) -> Iterator[VideoRecord]:
    """Extract ``tasks`` one after the other in this process (its thread settings untouched)."""
    for task in tasks:
        yield extract_one(task, extractor)


def _start_pool_worker(extractor: Extractor, threads: int) -> None:
    limit_threads(threads)
    _pool_worker.update(extractor=extractor, threads=threads)


def _extract_in_pool_worker(task: VideoTask) -> VideoRecord:
    return extract_one(task, _pool_worker["extractor"], decoder_threads=_pool_worker["threads"])


def run_process_pool(
    tasks: Sequence[VideoTask], extractor: Extractor, workers: int, worker_threads: int
) -> Iterator[VideoRecord]:
    """Extract ``tasks`` in ``workers`` spawned processes; tasks not started are cancelled if the caller
    stops."""
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_pool_worker,
        initargs=(extractor, worker_threads),
    )
    try:
        futures: dict[Future[VideoRecord], VideoTask] = {
            pool.submit(_extract_in_pool_worker, task): task for task in tasks
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    record = future.result()
                except Exception as error:
                    record = _record_crash(futures[future], extractor, "worker process failed", error)
                yield record
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _extract_on_ray(task: VideoTask, extractor: Extractor, threads: int) -> VideoRecord:
    limit_threads(threads)
    return extract_one(task, extractor, decoder_threads=threads)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise ImportError("the Ray backend needs Ray: pip install 'vadkit[ray]'") from error
    return ray


def run_ray(
    tasks: Sequence[VideoTask],
    extractor: Extractor,
    *,
    address: str | None,
    workers: int,
    worker_threads: int,
) -> Iterator[VideoRecord]:
    """Extract ``tasks`` as Ray tasks (one CPU each).

    Uses the Ray instance already initialised in this process if there is one; otherwise calls
    ``ray.init`` with ``address`` (e.g. ``"auto"``, ``"ray://head:10001"``), or without one (Ray then joins
    the cluster of ``RAY_ADDRESS`` or one started on this machine, else starts a local instance with
    ``workers`` CPUs, all CPUs when ``workers`` is 1), and shuts down what it initialised. At most twice
    ``workers`` (when above 1, else the free CPUs) tasks are in flight, so a long list does not flood the
    scheduler.
    """
    ray = _import_ray()
    started = not ray.is_initialized()
    if started:
        local_cpus = workers if address is None and workers > 1 else None
        ray.init(address=address, num_cpus=local_cpus, include_dashboard=False)
    try:
        remote = ray.remote(num_cpus=1)(_extract_on_ray)
        extractor_ref = ray.put(extractor)
        capacity = workers if workers > 1 else int(ray.available_resources().get("CPU", 1))
        window = 2 * max(1, capacity)
        queue = iter(tasks)
        in_flight: dict[Any, VideoTask] = {}
        for task in queue:
            in_flight[remote.remote(task, extractor_ref, worker_threads)] = task
            if len(in_flight) >= window:
                break
        while in_flight:
            (ref,), _ = ray.wait(list(in_flight), num_returns=1)
            task = in_flight.pop(ref)
            try:
                record = ray.get(ref)
            except Exception as error:
                record = _record_crash(task, extractor, "Ray task failed", error)
            yield record
            following = next(queue, None)
            if following is not None:
                in_flight[remote.remote(following, extractor_ref, worker_threads)] = following
    finally:
        if started:
            ray.shutdown()


def run_tasks(
    tasks: Sequence[VideoTask],
    extractor: Extractor,
    *,
    backend: Backend = "local",
    workers: int = 1,
    worker_threads: int = 1,
    ray_address: str | None = None,
) -> Iterator[VideoRecord]:
    """The records of ``tasks`` as they complete, on ``backend`` (``"local"``: in this process when
    ``workers`` is 1, else a process pool; ``"ray"``: see :func:`run_ray`)."""
    if backend == "ray":
        return run_ray(tasks, extractor, address=ray_address, workers=workers, worker_threads=worker_threads)
    if workers > 1 and len(tasks) > 1:
        return run_process_pool(tasks, extractor, min(workers, len(tasks)), worker_threads)
    return run_sequential(tasks, extractor)
