"""The dataset registry and its single entry point, :func:`build_ground_truth`.

``DATASETS`` maps a dataset name to its ground-truth builder; every builder takes the annotation file or
folder and keyword options. The CLI passes ``--gt`` and ``--gt-option key=value`` pairs straight through, so
options may arrive as strings: paths stay strings (the builders accept them), ``"true"``/``"false"`` become
booleans, and unknown option names are rejected with the list of the builder's options.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from vadkit.data.avenue import build_avenue_gt
from vadkit.data.ped2 import build_ped2_gt
from vadkit.data.shanghaitech import build_shanghaitech_gt
from vadkit.data.synthetic import build_synthetic_gt
from vadkit.data.ucf_crime import build_ucf_crime_gt
from vadkit.data.xd_violence import build_xd_violence_gt
from vadkit.errors import ValidationError
from vadkit.registry import Registry
from vadkit.types import GroundTruth

DATASETS: Registry[dict[str, GroundTruth]] = Registry("dataset")
"""Ground-truth builders by name: ``ucf_crime``, ``xd_violence``, ``shanghaitech``, ``ped2``, ``avenue``,
``synthetic`` (vadkit's own benchmark, see :mod:`vadkit.data.synthetic`)."""

DATASETS.register("ucf_crime")(build_ucf_crime_gt)
DATASETS.register("xd_violence")(build_xd_violence_gt)
DATASETS.register("shanghaitech")(build_shanghaitech_gt)
DATASETS.register("ped2")(build_ped2_gt)
DATASETS.register("avenue")(build_avenue_gt)
DATASETS.register("synthetic")(build_synthetic_gt)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _as_bool(name: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    key = value.strip().lower()
    if key in _TRUE | _FALSE:
        return key in _TRUE
    raise ValidationError(f"option {name} expects true or false, got {value!r}")


def build_ground_truth(dataset: str, source: str | Path, **options: object) -> dict[str, GroundTruth]:
    """Build the per-video ground truth of ``dataset`` from ``source`` (annotation file or folder).

    ``options`` are the keyword parameters of the dataset's builder (see its docstring, e.g.
    :func:`~vadkit.data.ucf_crime.build_ucf_crime_gt`): ``list_file``, ``convention``, ``length``,
    ``frame_counts``, ``snippet_counts``, ``snippet_length``, ``check_counts``…; string values are accepted.

    Raises:
        ValidationError: unknown dataset or option, or a malformed option value.
        AnnotationError: the annotation or a file named in an option is missing or malformed.
    """
    if dataset not in DATASETS:
        raise ValidationError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS.names())}")
    builder = DATASETS.get(dataset)
    parameters = inspect.signature(builder).parameters
    accepted = [name for name, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValidationError(
            f"{dataset}: unknown ground-truth option(s) {', '.join(unknown)}; accepted: {', '.join(accepted)}"
        )
    coerced = {
        name: _as_bool(name, value) if isinstance(parameters[name].default, bool) else value
        for name, value in options.items()
    }
    return builder(source, **coerced)
