"""Charts of the stats page as SVG geometry (pure): no chart library, no script, nothing the policy must allow."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["PALETTE", "Bar", "Chart", "stacked_bars"]

PALETTE = ("#1f4e8c", "#c77c02", "#2e7d4f", "#8e3b8e", "#b3261e", "#5b6673", "#0f7c8c", "#6d5a00")
"""Colour-blind-distinguishable enough at four to six series; a legend names every colour."""


@dataclass(frozen=True, slots=True)
class Bar:
    """One rectangle of a stacked bar, in SVG user units."""

    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    """The bars, the x labels under them, the legend and the highest total (the y scale)."""

    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]
    legend: list[tuple[str, str]]
    peak: int


def stacked_bars(
    rows: Iterable[tuple[datetime, str | None, int]], *, width: int = 640, height: int = 220
) -> Chart:
    """Counts per bucket stacked by key (e.g. tickets per week by category)."""
    per_bucket: dict[datetime, dict[str, int]] = defaultdict(dict)
    keys: dict[str, int] = defaultdict(int)
    for bucket, key, count in rows:
        name = key or "unknown"
        per_bucket[bucket][name] = per_bucket[bucket].get(name, 0) + count
        keys[name] += count
    order = sorted(keys, key=lambda k: (-keys[k], k))
    colour = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(order)}
    buckets = sorted(per_bucket)
    peak = max((sum(v.values()) for v in per_bucket.values()), default=0)
    plot = height - 24  # room for the labels
    slot = width / max(len(buckets), 1)
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    for i, bucket in enumerate(buckets):
        x = i * slot + slot * 0.15
        y = float(plot)
        for key in order:
            n = per_bucket[bucket].get(key, 0)
            if not n:
                continue
            h = plot * n / peak
            y -= h
            bars.append(Bar(x, y, slot * 0.7, h, colour[key], f"{bucket:%Y-%m-%d} {key}: {n}"))
        labels.append((i * slot + slot / 2, f"{bucket:%d %b}"))
    return Chart(width, height, bars, labels, [(k, colour[k]) for k in order], peak)
