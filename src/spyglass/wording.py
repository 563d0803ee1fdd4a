"""Small pieces of plain English shared by the summaries, the verdict and the report."""

from __future__ import annotations


def count(number: int, noun: str) -> str:
    """"1 minute", "3 minutes"."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def join(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
