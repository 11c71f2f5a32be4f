"""Every Temporal client in the system is made here, so none can skip the codec."""

from __future__ import annotations

from temporalio.client import Client

from core.codec import data_converter
from core.config import get_settings


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    s = get_settings()
    target = address or s.temporal_address
    if not target:
        raise RuntimeError("TEMPORAL_ADDRESS is not set (recoveryos dev starts a Temporal dev server)")
    return await Client.connect(
        target, namespace=namespace or s.temporal_namespace, data_converter=data_converter()
    )
