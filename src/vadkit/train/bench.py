"""``vadkit bench``: methods x datasets x seeds, each an experiment, summarised as one results table.

A benchmark is a YAML file::

    out: ../runs/synthetic-standard       # the bench folder
    seeds: [0, 1, 2, 3, 4]                # every experiment runs these seeds
    defaults:                             # ExperimentConfig fields shared by every experiment
      steps: 1000
      batch_size: 16
    datasets:                             # name -> ExperimentConfig fields of that dataset
      synthetic-standard:
        data_root: ../data/synthetic-standard
        feature_dir: ../features/synthetic-standard
    methods:                              # name -> method, method_config and ExperimentConfig overrides
      mil: {}                             # ``method`` defaults to the name
      mil-paired: {method: mil, method_config: {variant: paired}}
      rtfm: {method_config: {dropout: 0.7}, steps: 500}

**Experiments.** Dataset ``d`` and method ``m`` run :func:`~vadkit.train.experiment.run_experiment` on
``ExperimentConfig.from_dict({**defaults, **datasets[d], **overrides[m], "method": ..., "method_config": ...,
"seeds": seeds})`` (later mappings win) into ``out/<d>/<m>/``, so a rerun reuses finished seeds and resumes
interrupted ones. Entries are passed through as they are: any
:class:`~vadkit.train.experiment.ExperimentConfig` field may appear in ``defaults``, a dataset or a method,
except ``method``, ``method_config`` (methods only) and ``seeds`` (top level only). Every experiment is
validated when the configuration is built, so a typo fails before any training.

**Paths.** ``out`` and every string value whose key ends in ``_root``, ``_dir`` or ``_list`` or is ``gt`` (in
``defaults``, datasets and methods) are paths; relative ones are resolved against the YAML file's folder
(:func:`load_bench_config`; a :class:`BenchConfig` built in Python keeps them relative to the working
directory). Those input paths must exist; ``out`` is created.

**Files written** in ``out``: ``bench.yaml`` (the resolved configuration, before anything runs), the
experiment folders, ``results.md``, ``results.csv`` and ``results.png``
(:mod:`vadkit.train.bench_tables`, :mod:`vadkit.report.bench_plot`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from rich.console import Console

from vadkit.errors import ValidationError
from vadkit.report.bench_plot import plot_grouped_bars
from vadkit.train.bench_tables import (
    ExperimentSummary,
    headline_panels,
    summarise_experiment,
    write_long_csv,
    write_markdown,
)
from vadkit.train.experiment import ExperimentConfig, ExperimentResult, run_experiment

PATH_KEY_SUFFIXES: tuple[str, ...] = ("_root", "_dir", "_list")
"""Experiment-field keys ending in one of these hold paths (see the module docstring)."""

PATH_KEYS: tuple[str, ...] = ("gt",)
"""Experiment-field keys that hold paths whatever their ending."""

TOP_LEVEL_KEYS: tuple[str, ...] = ("out", "seeds", "defaults", "datasets", "methods")
"""Keys of a bench YAML file; all but ``defaults`` are required."""

METHOD_KEYS: tuple[str, ...] = ("method", "method_config")
"""Keys of a method entry besides experiment-field overrides."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def is_path_key(key: str) -> bool:
    """Whether experiment field ``key`` holds a path (:data:`PATH_KEY_SUFFIXES`, :data:`PATH_KEYS`)."""
    return key in PATH_KEYS or key.endswith(PATH_KEY_SUFFIXES)


def _experiment_fields() -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(ExperimentConfig))


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class BenchMethod:
    """One row of the benchmark tables.

    Attributes:
        method: registered method name.
        method_config: its keyword arguments (``feature_dim`` defaults to the data's feature size).
        overrides: ExperimentConfig fields that differ for this method (e.g. ``steps``).
    """

    method: str
    method_config: Mapping[str, Any] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method_config", _frozen(self.method_config))
        object.__setattr__(self, "overrides", _frozen(self.overrides))

    def to_dict(self) -> dict[str, Any]:
        """The YAML entry: ``method``, ``method_config`` and the overrides, flat."""
        return {"method": self.method, "method_config": dict(self.method_config), **self.overrides}


@dataclass(frozen=True)
class BenchConfig:
    """Which methods run on which datasets over which seeds, and where the results go (module docstring).

    Attributes:
        out: the bench folder.
        seeds: the seeds of every experiment.
        datasets: ``{name: ExperimentConfig fields}``, in table order; names are folder names.
        methods: ``{name: BenchMethod}``, in table order; names are folder names.
        defaults: ExperimentConfig fields shared by every experiment.

    Raises:
        ValidationError: no datasets or methods, a name that is not a plain folder name, a misplaced or
            unknown field (named with where it appears), a missing input path, or an invalid experiment.
    """

    out: Path
    seeds: tuple[int, ...]
    datasets: Mapping[str, Mapping[str, Any]]
    methods: Mapping[str, BenchMethod]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "seeds", tuple(self.seeds))
        object.__setattr__(self, "defaults", _frozen(self.defaults))
        object.__setattr__(
            self, "datasets", MappingProxyType({name: _frozen(e) for name, e in self.datasets.items()})
        )
        object.__setattr__(self, "methods", MappingProxyType(dict(self.methods)))
        for section in ("datasets", "methods"):
            names = list(getattr(self, section))
            if not names:
                raise ValidationError(f"bench config: {section} is empty")
            bad = [repr(n) for n in names if not (isinstance(n, str) and _NAME.fullmatch(n))]
            if bad:
                raise ValidationError(
                    f"bench config: {section} name(s) {', '.join(bad)} are not folder names (letters, "
                    "digits, '.', '_', '-'; not starting with '.', '_' or '-')"
                )
        _check_fields("defaults", self.defaults, reserved=("method", "method_config", "seeds"))
        for name, entry in self.datasets.items():
            _check_fields(f"datasets.{name}", entry, reserved=("method", "method_config", "seeds"))
        for name, method in self.methods.items():
            _check_fields(f"methods.{name}", method.overrides, reserved=("seeds",))
        for dataset in self.datasets:
            for method in self.methods:
                try:
                    self.experiment_config(dataset, method)
                except ValidationError as error:
                    raise ValidationError(
                        f"bench config: dataset {dataset!r}, method {method!r}: {error}"
                    ) from None

    def experiment_config(self, dataset: str, method: str) -> ExperimentConfig:
        """The experiment of ``dataset`` x ``method`` (module docstring)."""
        entry = self.methods[method]
        return ExperimentConfig.from_dict(
            {
                **self.defaults,
                **self.datasets[dataset],
                **entry.overrides,
                "method": entry.method,
                "method_config": dict(entry.method_config),
                "seeds": list(self.seeds),
            }
        )

    def run_dir(self, dataset: str, method: str) -> Path:
        """The experiment folder ``out/<dataset>/<method>``."""
        return self.out / dataset / method

    def subset(
        self, datasets: Sequence[str] | None = None, methods: Sequence[str] | None = None
    ) -> BenchConfig:
        """This configuration restricted to the named datasets and methods (``None``: all), in config order.

        Raises:
            ValidationError: a name the configuration does not have (the message lists the known ones).
        """
        for section, chosen in (("dataset", datasets), ("method", methods)):
            known = list(getattr(self, f"{section}s"))
            unknown = [n for n in chosen or () if n not in known]
            if unknown:
                raise ValidationError(
                    f"bench config: unknown {section}(s) {', '.join(unknown)} (known: {', '.join(known)})"
                )
        return dataclasses.replace(
            self,
            datasets={n: e for n, e in self.datasets.items() if datasets is None or n in datasets},
            methods={n: m for n, m in self.methods.items() if methods is None or n in methods},
        )

    def to_dict(self) -> dict[str, Any]:
        """The YAML layout of the module docstring (``method`` always written)."""
        return {
            "out": str(self.out),
            "seeds": list(self.seeds),
            "defaults": dict(self.defaults),
            "datasets": {name: dict(entry) for name, entry in self.datasets.items()},
            "methods": {name: method.to_dict() for name, method in self.methods.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: str | Path | None = None) -> BenchConfig:
        """The configuration of a parsed bench YAML.

        Args:
            data: the YAML layout of the module docstring.
            base_dir: folder that relative paths are resolved against; ``None`` keeps them as written.

        Raises:
            ValidationError: unknown or missing top-level keys, sections of the wrong type, and everything
                :class:`BenchConfig` rejects.
        """
        if not isinstance(data, Mapping):
            raise ValidationError(
                f"bench config: expected a mapping at the top level, got {type(data).__name__}"
            )
        unknown = sorted(str(key) for key in set(data) - set(TOP_LEVEL_KEYS))
        if unknown:
            raise ValidationError(
                f"bench config: unknown key(s) {', '.join(unknown)} (known: {', '.join(TOP_LEVEL_KEYS)})"
            )
        missing = [key for key in TOP_LEVEL_KEYS if key != "defaults" and key not in data]
        if missing:
            raise ValidationError(f"bench config: missing key(s) {', '.join(missing)}")
        if not isinstance(data["out"], str):
            raise ValidationError(f"bench config: out must be a folder path, got {data['out']!r}")
        seeds = data["seeds"]
        if not isinstance(seeds, list):
            raise ValidationError(f"bench config: seeds must be a list of integers, got {seeds!r}")
        base = None if base_dir is None else Path(base_dir)
        defaults = _section_mapping("defaults", data.get("defaults") or {})
        datasets = {
            name: _resolve_paths(_section_mapping(f"datasets.{name}", entry), base)
            for name, entry in _section_mapping("datasets", data["datasets"]).items()
        }
        methods = {
            name: _method_entry(name, _section_mapping(f"methods.{name}", entry or {}), base)
            for name, entry in _section_mapping("methods", data["methods"]).items()
        }
        return cls(
            out=_resolve_path(data["out"], base),
            seeds=tuple(seeds),
            datasets=datasets,
            methods=methods,
            defaults=_resolve_paths(defaults, base),
        )


def _section_mapping(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"bench config: {where} must be a mapping, got {value!r}")
    return value


def _method_entry(name: str, entry: Mapping[str, Any], base: Path | None) -> BenchMethod:
    overrides = {key: value for key, value in entry.items() if key not in METHOD_KEYS}
    method_config = _section_mapping(f"methods.{name}.method_config", entry.get("method_config") or {})
    return BenchMethod(
        method=entry.get("method", name),
        method_config=method_config,
        overrides=_resolve_paths(overrides, base),
    )


def _resolve_path(value: str, base: Path | None) -> Path:
    path = Path(value).expanduser()
    return path if base is None or path.is_absolute() else (base / path).resolve()


def _resolve_paths(fields: Mapping[str, Any], base: Path | None) -> dict[str, Any]:
    """``fields`` with the string values of path keys (:func:`is_path_key`) resolved against ``base``."""
    return {
        key: str(_resolve_path(value, base)) if is_path_key(str(key)) and isinstance(value, str) else value
        for key, value in fields.items()
    }


def _check_fields(where: str, fields: Mapping[str, Any], *, reserved: tuple[str, ...]) -> None:
    """Raise on reserved or unknown experiment fields and on input paths that do not exist."""
    misplaced = [key for key in reserved if key in fields]
    if misplaced:
        raise ValidationError(
            f"bench config: {where}: {', '.join(misplaced)} not allowed here (seeds go at the top level, "
            "method and method_config in a methods entry)"
        )
    known = _experiment_fields()
    unknown = sorted(str(key) for key in fields if key not in known)
    if unknown:
        raise ValidationError(
            f"bench config: {where}: unknown field(s) {', '.join(unknown)} (ExperimentConfig fields: "
            f"{', '.join(sorted(known))})"
        )
    for key, value in fields.items():
        if is_path_key(key) and isinstance(value, str) and not Path(value).exists():
            raise ValidationError(f"bench config: {where}.{key}: {value} does not exist")


def load_bench_config(path: str | Path) -> BenchConfig:
    """Read a bench YAML file (``yaml.safe_load``); relative paths resolve against its folder.

    Raises:
        ValidationError: a missing or unparsable file, or an invalid configuration; the message names the
            file.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValidationError(f"{path}: cannot read the bench config ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ValidationError(f"{path}: not valid YAML ({error})") from None
    try:
        return BenchConfig.from_dict(data, base_dir=path.resolve().parent)
    except ValidationError as error:
        raise ValidationError(f"{path}: {error}") from None


@dataclass(frozen=True)
class BenchResult:
    """What :func:`run_bench` produced.

    Attributes:
        config: the configuration run.
        experiments: ``{dataset: {method: ExperimentResult}}``, in configuration order.
        summaries: one :class:`~vadkit.train.bench_tables.ExperimentSummary` per experiment, same order.
        config_path, markdown_path, csv_path, plot_path: ``out/bench.yaml``, ``results.md``, ``results.csv``,
            ``results.png``.
    """

    config: BenchConfig
    experiments: Mapping[str, Mapping[str, ExperimentResult]]
    summaries: tuple[ExperimentSummary, ...]
    config_path: Path
    markdown_path: Path
    csv_path: Path
    plot_path: Path


def run_bench(config: BenchConfig, *, progress: bool = True) -> BenchResult:
    """Run every dataset x method experiment of ``config`` and write the tables and the plot.

    Args:
        config: the benchmark.
        progress: name each experiment on stderr as it starts and show the trainer's progress bars.

    Returns:
        The experiments and the paths written (module docstring).

    Raises:
        ValidationError / AnnotationError / LengthMismatchError: as
            :func:`~vadkit.train.experiment.run_experiment`, e.g. an experiment folder holding a run with
            another configuration.
    """
    config.out.mkdir(parents=True, exist_ok=True)
    config_path = config.out / "bench.yaml"
    config_path.write_text(yaml.safe_dump(config.to_dict(), sort_keys=False), encoding="utf-8")
    console = Console(stderr=True)
    total = len(config.datasets) * len(config.methods)
    experiments: dict[str, dict[str, ExperimentResult]] = {}
    summaries = []
    for dataset in config.datasets:
        experiments[dataset] = {}
        for method in config.methods:
            if progress:
                console.print(f"[bold]bench[/bold] {len(summaries) + 1}/{total}: {method} on {dataset}")
            result = run_experiment(
                config.experiment_config(dataset, method), config.run_dir(dataset, method), progress=progress
            )
            experiments[dataset][method] = result
            summaries.append(summarise_experiment(dataset, method, result))
    return BenchResult(
        config=config,
        experiments=experiments,
        summaries=tuple(summaries),
        config_path=config_path,
        markdown_path=write_markdown(config.out / "results.md", summaries, config_name=config_path.name),
        csv_path=write_long_csv(config.out / "results.csv", summaries),
        plot_path=plot_grouped_bars(config.out / "results.png", headline_panels(summaries)),
    )
