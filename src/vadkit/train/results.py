"""Results over seeds: the mean and spread of every metric, and the ``results.csv`` table of an experiment.

**Spread.** ``std`` is the *sample* standard deviation over seeds (``ddof=1``, numpy's
``np.std(values, ddof=1)``), the estimate of seed-to-seed variation papers report as "± std". With one seed it
is undefined and reported as NaN (``null`` in JSON, empty in CSV), never as 0. A metric undefined for some
seed (NaN, e.g. an AUC without positives) makes its mean and std NaN too.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from vadkit.errors import ValidationError

STD_KIND = "sample (ddof=1); undefined (null) with one seed"
"""How ``std`` is computed, as recorded in ``metrics.json``."""


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """``(mean, sample std)`` of per-seed values (module docstring); std is NaN for a single value.

    Raises:
        ValidationError: no values.
    """
    if not values:
        raise ValidationError("mean_std: no values to aggregate")
    array = np.asarray(values, dtype=np.float64)
    std = float(np.std(array, ddof=1)) if array.size > 1 else math.nan
    return float(np.mean(array)), std


def aggregate_metrics(
    per_seed: Sequence[Mapping[str, float]], names: Sequence[str]
) -> dict[str, dict[str, float]]:
    """``{metric: {"mean": m, "std": s}}`` over the per-seed metric mappings, for every name in ``names``.

    Raises:
        ValidationError: no seeds, or a seed without one of the metrics.
    """
    for index, metrics in enumerate(per_seed):
        missing = [name for name in names if name not in metrics]
        if missing:
            raise ValidationError(
                f"aggregate_metrics: seed entry {index} lacks metric(s) {', '.join(missing)}"
            )
    aggregated = {}
    for name in names:
        mean, std = mean_std([float(metrics[name]) for metrics in per_seed])
        aggregated[name] = {"mean": mean, "std": std}
    return aggregated


def csv_number(value: float) -> str:
    """A CSV cell: the number in full precision (``repr``), an empty cell for NaN (undefined)."""
    return "" if math.isnan(value) else repr(float(value))


def format_mean_std(values: Mapping[str, float | None] | None, digits: int = 4) -> str:
    """``"m ± s"`` with ``digits`` decimals from ``{"mean": m, "std": s}``; ``"m"`` when the std is undefined
    (NaN or ``None``, e.g. one seed), ``"undefined"`` for an undefined mean, ``"n/a"`` for ``None`` (metric
    not reported)."""
    if values is None:
        return "n/a"
    mean, std = values["mean"], values["std"]
    if mean is None or math.isnan(mean):
        return "undefined"
    if std is None or math.isnan(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def write_results_csv(
    path: str | Path,
    per_seed: Mapping[int, Mapping[str, Mapping[str, float]]],
    aggregate: Mapping[str, Mapping[str, Mapping[str, float]]],
    names: Sequence[str],
) -> Path:
    """Write ``results.csv``: columns ``seed, checkpoint, <metric>...``.

    One row per seed and checkpoint kind (``seed`` the integer), then per kind a ``mean`` and a ``std`` row
    (``seed`` = ``mean`` / ``std``). Undefined values are empty cells; numbers are written in full precision.

    Args:
        path: the CSV file.
        per_seed: ``{seed: {kind: {metric: value}}}``, kinds ``"last"`` and ``"selected"``.
        aggregate: ``{kind: {metric: {"mean": m, "std": s}}}`` (:func:`aggregate_metrics`).
        names: the metric columns, in order.
    """
    path = Path(path)
    rows: list[list[str]] = [["seed", "checkpoint", *names]]
    for seed, kinds in per_seed.items():
        for kind, metrics in kinds.items():
            rows.append([str(seed), kind, *(csv_number(metrics[name]) for name in names)])
    for kind, metrics in aggregate.items():
        for statistic in ("mean", "std"):
            rows.append([statistic, kind, *(csv_number(metrics[name][statistic]) for name in names)])
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    temporary.replace(path)
    return path
