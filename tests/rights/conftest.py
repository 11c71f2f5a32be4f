"""The breach tests' worker (a recording notifier, a file store the tests read) serves these too."""

from tests.breach.conftest import breach_worker

__all__ = ["breach_worker"]
