"""Small pieces of plain English shared by the summaries, the verdict and the report."""

from __future__ import annotations

from datetime import timedelta


def count(number: int, noun: str) -> str:
    """"1 minute", "3 minutes"."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def join(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def duration(delta: timedelta) -> str:
    """"40 seconds", "2 minutes", "3 hours", "2 days": a span as a person says it."""
    seconds = int(delta.total_seconds())
    if seconds < 90:
        return count(seconds, "second")
    if seconds < 90 * 60:
        return count(round(seconds / 60), "minute")
    if seconds < 48 * 3600:
        return count(round(seconds / 3600), "hour")
    return count(round(seconds / 86400), "day")
