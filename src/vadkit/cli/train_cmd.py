"""``vadkit train``: train a weakly-supervised method over seeds on the synthetic benchmark or a public
feature release, select on a validation split carved from the training videos (or, on request, on the test
set), and report test metrics as mean ± std. A training-free method (``clip-zeroshot``) is scored as built."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vadkit.cli.options import parse_key_values
from vadkit.cli.tables import SELECT_ON_TEST_NOTE, experiment_title, results_table
from vadkit.errors import VadkitError, ValidationError
from vadkit.train.datasets import DATASETS, LAYOUTS
from vadkit.train.experiment import ExperimentConfig, run_experiment
from vadkit.train.normalization import FEATURE_NORMS


def _seeds(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(
            f"expected comma-separated integers, got {text!r}", param_hint="--seeds"
        ) from None


def _path(value: Path | None) -> str | None:
    return None if value is None else str(value)


def train(
    method: Annotated[
        str,
        typer.Argument(help="Registered method: mil, rtfm, urdmu, hlnet, vadclip, tpwng, clip-zeroshot, ..."),
    ],
    out: Annotated[Path, typer.Option("--out", help="The run folder (finished seeds in it are reused).")],
    dataset: Annotated[str, typer.Option("--dataset", help=f"One of: {', '.join(DATASETS)}.")] = "synthetic",
    data: Annotated[
        Path | None, typer.Option("--data", help="synthetic: a `vadkit synth` dataset folder.")
    ] = None,
    features: Annotated[
        Path | None, typer.Option("--features", help="synthetic: its `vadkit extract` output folder.")
    ] = None,
    feature_root: Annotated[
        Path | None,
        typer.Option("--feature-root", help="Public release: the folder holding its feature files here."),
    ] = None,
    test_feature_root: Annotated[
        Path | None,
        typer.Option("--test-feature-root", help="The folder holding the test files, if not --feature-root."),
    ] = None,
    train_list: Annotated[
        Path | None,
        typer.Option("--train-list", help="Public release: its training list (e.g. ucf-i3d.list)."),
    ] = None,
    test_list: Annotated[
        Path | None,
        typer.Option("--test-list", help="Public release: its test list (e.g. ucf-i3d-test.list)."),
    ] = None,
    gt: Annotated[
        Path | None,
        typer.Option("--gt", help="Public release: the annotation file, or ShanghaiTech's test_frame_mask/."),
    ] = None,
    gt_option: Annotated[
        list[str] | None,
        typer.Option("--gt-option", help="Ground-truth option KEY=VALUE (repeatable), e.g. length=snippets."),
    ] = None,
    layout: Annotated[
        str | None,
        typer.Option("--layout", help=f"{', '.join(LAYOUTS)}; default: inferred from the training list."),
    ] = None,
    keep_parts: Annotated[
        int | None,
        typer.Option(
            "--keep-parts", help="Trailing path parts of each list row kept under the feature root."
        ),
    ] = None,
    train_audio_list: Annotated[
        Path | None,
        typer.Option("--train-audio-list", help="XD-Violence per-crop: the VGGish training list."),
    ] = None,
    test_audio_list: Annotated[
        Path | None, typer.Option("--test-audio-list", help="XD-Violence per-crop: the VGGish test list.")
    ] = None,
    check_counts: Annotated[
        bool,
        typer.Option(
            "--check-counts/--no-check-counts", help="Check the lists against the public split sizes."
        ),
    ] = True,
    protocol: Annotated[
        str | None, typer.Option("--protocol", help="Evaluation protocol; default: the dataset's.")
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Method config KEY=VALUE (repeatable; YAML values), e.g. dropout=0.6, clip_model=PATH.",
        ),
    ] = None,
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated seeds, e.g. 0,1,2.")] = "0",
    steps: Annotated[int, typer.Option("--steps", help="Optimiser steps per seed.")] = 1000,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            help="B: a step holds B videos or crop rows of each class (balanced) or 2B rows (shuffled).",
        ),
    ] = 32,
    recipe: Annotated[
        str,
        typer.Option(
            "--recipe",
            help=(
                "reference: the method's reference batches and learning-rate schedule; balanced: balanced "
                "videos at a constant rate (vadkit's earlier trainer)."
            ),
        ),
    ] = "reference",
    lr: Annotated[
        float | None, typer.Option("--lr", help="Learning rate; default: the method's reference rates.")
    ] = None,
    eval_every: Annotated[int, typer.Option("--eval-every", help="Validate every N steps.")] = 100,
    val_fraction: Annotated[
        float, typer.Option("--val-fraction", help="Share of training videos held out for validation.")
    ] = 0.2,
    abnormal_videos: Annotated[
        int | None, typer.Option("--abnormal-videos", help="Label budget: abnormal training videos kept.")
    ] = None,
    selection: Annotated[
        str, typer.Option("--selection", help="Validation criterion: video-auc-max or video-auc-topk.")
    ] = "video-auc-max",
    select_on_test: Annotated[
        bool,
        typer.Option(
            "--select-on-test",
            help="Select checkpoints on the test metric (to reproduce papers; recorded in metrics.json).",
        ),
    ] = False,
    feature_norm: Annotated[
        str, typer.Option("--feature-norm", help=f"{' or '.join(FEATURE_NORMS)} (fitted on training videos).")
    ] = "none",
    device: Annotated[str, typer.Option("--device", help="Torch device, e.g. cpu or cuda.")] = "cpu",
) -> None:
    """Train METHOD over seeds, select checkpoints on validation, and evaluate on the test split."""
    try:
        config = ExperimentConfig(
            method,
            _path(data),
            _path(features),
            method_config=parse_key_values(settings, "--set", as_yaml=True),
            seeds=_seeds(seeds),
            val_fraction=val_fraction,
            abnormal_videos=abnormal_videos,
            steps=steps,
            batch_size=batch_size,
            eval_every=eval_every,
            selection=selection,  # type: ignore[arg-type]
            protocol=protocol,
            dataset=dataset,
            feature_root=_path(feature_root),
            test_feature_root=_path(test_feature_root),
            train_list=_path(train_list),
            test_list=_path(test_list),
            gt=_path(gt),
            gt_options=parse_key_values(gt_option, "--gt-option"),
            layout=layout,
            keep_parts=keep_parts,
            train_audio_list=_path(train_audio_list),
            test_audio_list=_path(test_audio_list),
            check_counts=check_counts,
            lr=lr,
            select_on_test=select_on_test,
            feature_norm=feature_norm,  # type: ignore[arg-type]
            device=device,
            recipe=recipe,  # type: ignore[arg-type]
        )
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from None
    console = Console()
    try:
        result = run_experiment(config, out)
    except VadkitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    title = experiment_title(result.config, len(result.seeds))
    console.print(results_table(title, result.metric_names, result.aggregate))
    if config.select_on_test:
        console.print(SELECT_ON_TEST_NOTE)
    console.print(f"metrics: {result.metrics_path}")
