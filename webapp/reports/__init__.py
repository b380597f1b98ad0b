"""Register exports, statistics figures, charts and the statistics documents.

Plain data in, bytes or markup out: no Flask, no database (the views and queries fill them).
"""

from .charts import bar_chart_svg, hbar_chart_svg, line_chart_svg
from .documents import ChartBlock, stats_charts, stats_html, stats_pdf, stats_title, stats_xlsx
from .stats import (
    Figure, GoodPractice, Stats, breakdown_rows, figures, is_working_day, percentile,
    working_days_between,
)
from .tabular import Column, TooManyRows, iter_csv, neutralise, write_xlsx

__all__ = [
    "ChartBlock", "Column", "Figure", "GoodPractice", "Stats", "TooManyRows",
    "bar_chart_svg", "breakdown_rows", "figures", "hbar_chart_svg", "is_working_day",
    "iter_csv", "line_chart_svg", "neutralise", "percentile", "stats_charts", "stats_html",
    "stats_pdf", "stats_title", "stats_xlsx", "working_days_between", "write_xlsx",
]
