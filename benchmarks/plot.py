"""Plot the suite's results: wall time and peak memory against input size, spyglass beside MVT.

Run: python benchmarks/plot.py results.json [more.json ...] results.png   (needs matplotlib: the
`bench` extra). Several result files (runs of different sizes) are drawn as one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def draw(results: Path | list[Path], picture: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = results if isinstance(results, list) else [results]
    rows = [row for path in files for row in json.loads(path.read_text(encoding="utf-8"))["rows"]]
    inputs = sorted({row["input"] for row in rows}, key=[row["input"] for row in rows].index)
    figure, axes = plt.subplots(2, len(inputs), figsize=(3.2 * len(inputs), 6), squeeze=False)
    for column, name in enumerate(inputs):
        for tool_kind, style in (("spyglass", "o-"), ("mvt", "s--")):
            mine = sorted((row for row in rows if row["input"] == name and row["tool"].startswith(tool_kind)),
                          key=lambda row: row["scale"])
            if not mine:
                continue
            scales = [row["scale"] for row in mine]
            axes[0][column].plot(scales, [row["wall_s"] for row in mine], style, label=tool_kind)
            axes[1][column].plot(scales, [row["peak_rss_mb"] for row in mine], style, label=tool_kind)
        axes[0][column].set_title(name)
        axes[0][column].set_ylabel("wall time (s)")
        axes[1][column].set_ylabel("peak memory (MB)")
        axes[1][column].set_xlabel("size (x issue 17's)")
        for row_axes in axes:
            row_axes[column].set_ylim(bottom=0)
            row_axes[column].grid(alpha=0.3)
    axes[0][0].legend()
    figure.tight_layout()
    figure.savefig(picture, dpi=110)


if __name__ == "__main__":
    draw([Path(name) for name in sys.argv[1:-1]], Path(sys.argv[-1]))
