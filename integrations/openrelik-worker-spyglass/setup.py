"""The worker's dependencies; spyglass by path when this folder sits in the spyglass repository.

A PEP 508 requirement cannot name a path relative to the project, so the absolute file URL of
the repository two folders up is computed here at build time. Outside the repository (a copy of
this folder alone) spyglass is required by name and must be installed beforehand."""

from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SPYGLASS = (f"spyglass @ {REPO.as_uri()}" if (REPO / "src" / "spyglass" / "__init__.py").is_file()
            else "spyglass")

# Celery below 5.7: kombu 5.7's Redis transport needs redis-py 6.1+, which
# openrelik-worker-common (redis-py 5) refuses.
setup(install_requires=[
    "celery[redis]>=5.4,<5.7",
    "openrelik-worker-common>=0.16,<1",
    SPYGLASS,
])
