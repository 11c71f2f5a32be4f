"""The breach tests' worker (a file store the tests read) serves the retention tests too."""

from tests.breach.conftest import breach_worker

__all__ = ["breach_worker"]
