"""Plots and self-contained HTML reports."""

from vadkit.report.eval_report import ReportTable, write_eval_report
from vadkit.report.plots import plot_score_curves

__all__ = ["ReportTable", "plot_score_curves", "write_eval_report"]
