"""Feature extraction: the extractor contract and registry, the extractors, and the extraction runner.

>>> from vadkit.features import create_extractor, run_extraction
>>> summary = run_extraction(["videos/"], "features/", "motion")  # doctest: +SKIP
"""

from vadkit.features import motion as _motion  # noqa: F401  (registers "motion")
from vadkit.features.base import EXTRACTORS, Extractor, create_extractor, list_extractors
from vadkit.features.runner import ExtractionSummary, run_extraction

# The neural backbones import torch / transformers: registered by their modules on first use.
EXTRACTORS.register_lazy("clip", "vadkit.features.clip")
EXTRACTORS.register_lazy("i3d", "vadkit.features.i3d")

__all__ = [
    "EXTRACTORS",
    "ExtractionSummary",
    "Extractor",
    "create_extractor",
    "list_extractors",
    "run_extraction",
]
