"""Grouped bar charts with error bars, one panel per group (a benchmark's datasets)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


@dataclass(frozen=True)
class BarPanel:
    """One panel: for every category (x position) one bar per series, side by side.

    Attributes:
        title: panel title.
        categories: the x labels, in order.
        means: ``{series: one bar height per category}``; NaN draws no bar and labels it ``n/a``.
        errors: ``{series: one error-bar half-length per category}``; NaN draws no error bar.
        ylabel: what the heights are.
    """

    title: str
    categories: tuple[str, ...]
    means: Mapping[str, Sequence[float]]
    errors: Mapping[str, Sequence[float]]
    ylabel: str


def plot_grouped_bars(path: str | Path, panels: Sequence[BarPanel]) -> Path:
    """Save a PNG with the panels side by side, each bar labelled with its height (3 decimals), and one legend
    of the series (taken from the first panel) above them.

    Args:
        path: output ``.png``.
        panels: at least one panel; every series has one value per category.
    """
    widths = [max(3.5, 1.1 * len(panel.categories) + 1.5) for panel in panels]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(sum(widths), 3.8), squeeze=False, gridspec_kw={"width_ratios": widths}
    )
    for ax, panel in zip(axes[0], panels, strict=True):
        x = np.arange(len(panel.categories), dtype=np.float64)
        width = 0.8 / len(panel.means)
        for index, (series, heights) in enumerate(panel.means.items()):
            heights = np.asarray(heights, dtype=np.float64)
            errors = np.asarray(panel.errors[series], dtype=np.float64)
            shown = np.nan_to_num(heights, nan=0.0)
            bars = ax.bar(
                x + (index - (len(panel.means) - 1) / 2) * width,
                shown,
                width,
                yerr=np.where(np.isnan(errors) | np.isnan(heights), 0.0, errors),
                capsize=3,
                label=series,
            )
            labels = ["n/a" if np.isnan(h) else f"{h:.3f}" for h in heights]
            ax.bar_label(bars, labels=labels, fontsize=7, padding=2)
        ax.set_xticks(x, panel.categories, rotation=20, ha="right")
        ax.set_ylabel(panel.ylabel)
        ax.set_title(panel.title, fontsize=10)
        ax.margins(y=0.15)
        ax.set_ylim(bottom=0.0)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncols=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0.0, 0.0, 1.0, 0.93))
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
