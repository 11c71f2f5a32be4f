"""The messaging workflow tests send their notices over real SMTP to the dunning tests' sink,
through the dunning tests' worker (the registry's, on a time-skipping queue)."""

from __future__ import annotations

from tests.dunning.conftest import dunning_worker, smtp_sink

__all__ = ["dunning_worker", "smtp_sink"]
