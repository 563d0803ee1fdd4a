"""Errors that end a check with a clear message and exit status 2 (never a traceback)."""

from __future__ import annotations


class SpyglassError(Exception):
    """The check cannot run: bad input, wrong password, refused output folder..."""


class EvidenceError(SpyglassError):
    """The evidence is missing, unreadable, corrupt or over a size bound."""


class MissingFromAcquisition(EvidenceError):
    """A file the acquisition lists is not in it (a backup's Manifest names a file it lacks):
    the acquisition is incomplete, spyglass did not fail."""


class NotPresent(Exception):
    """The artifact a module reads is not in this acquisition (a normal outcome)."""
