"""``vadkit bench``: every method of a YAML benchmark on every dataset over its seeds, as Markdown/CSV tables
and a bar chart (:mod:`vadkit.train.bench`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vadkit.errors import VadkitError, ValidationError
from vadkit.train.bench import load_bench_config, run_bench
from vadkit.train.bench_tables import ExperimentSummary, by_dataset, dataset_table, selection_statement


def summary_table(dataset: str, summaries: list[ExperimentSummary]) -> Table:
    """One dataset's results (rows: methods, last and selected checkpoint), as in ``results.md``."""
    header, rows = dataset_table(summaries)
    table = Table(title=f"{dataset}: test, mean ± std over seeds", caption=selection_statement(summaries))
    table.add_column(header[0])
    table.add_column(header[1])
    for name in header[2:]:
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def bench(
    config: Annotated[Path, typer.Argument(help="Bench YAML: out, seeds, defaults, datasets, methods.")],
    only_dataset: Annotated[
        list[str] | None, typer.Option("--only-dataset", help="Run only this dataset (repeatable).")
    ] = None,
    only_method: Annotated[
        list[str] | None, typer.Option("--only-method", help="Run only this method (repeatable).")
    ] = None,
) -> None:
    """Run every method x dataset x seed of CONFIG (finished seeds are reused) and write the results."""
    try:
        bench_config = load_bench_config(config).subset(only_dataset, only_method)
    except ValidationError as error:
        raise typer.BadParameter(str(error), param_hint="CONFIG") from None
    console = Console()
    try:
        result = run_bench(bench_config)
    except VadkitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    for dataset, summaries in by_dataset(result.summaries).items():
        console.print(summary_table(dataset, summaries))
    for path in (result.markdown_path, result.csv_path, result.plot_path, result.config_path):
        console.print(f"wrote {path}")
