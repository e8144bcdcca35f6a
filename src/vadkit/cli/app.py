"""The ``vadkit`` Typer application; each verb lives in its own module and calls the Python API."""

from __future__ import annotations

import typer

from vadkit.cli import (
    bench_cmd,
    demo_cmd,
    eval_cmd,
    extract_cmd,
    info_cmd,
    predict_cmd,
    synth_cmd,
    train_cmd,
)

app = typer.Typer(
    name="vadkit",
    help="Video anomaly detection and understanding: detect, localise, explain, benchmark abnormal events.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("info")(info_cmd.info)
app.command("demo")(demo_cmd.demo)
app.command("eval")(eval_cmd.eval_scores)
app.command("synth")(synth_cmd.synth)
app.command("extract")(extract_cmd.extract)
app.command("train")(train_cmd.train)
app.command("bench")(bench_cmd.bench)
app.command("predict")(predict_cmd.predict)


def main() -> None:
    """Console-script entry point."""
    app()
