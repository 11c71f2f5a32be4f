"""Every Temporal client in the system is made here, so none can skip the codec.

Workflows carry one custom search attribute, the org id (an opaque UUID, never a name), so
an operator can filter the Web UI to one customer: `RecoveryOsOrgId = "<uuid>"`.
"""

from __future__ import annotations

import logging

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from core.codec import data_converter
from core.config import get_settings

log = logging.getLogger(__name__)

ORG_ID = SearchAttributeKey.for_keyword("RecoveryOsOrgId")


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    s = get_settings()
    target = address or s.temporal_address
    if not target:
        raise RuntimeError("TEMPORAL_ADDRESS is not set (recoveryos dev starts a Temporal dev server)")
    return await Client.connect(
        target, namespace=namespace or s.temporal_namespace, data_converter=data_converter()
    )


def org_attributes(org_id: object) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(ORG_ID, str(org_id))])


async def ensure_search_attributes(client: Client) -> bool:
    """Register RecoveryOsOrgId if the namespace lacks it; False where we may not (e.g. Cloud)."""
    ns = client.namespace
    try:
        have = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=ns))
        if ORG_ID.name in have.custom_attributes:
            return True
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=ns,
                search_attributes={ORG_ID.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
            )
        )
        return True
    except RPCError as exc:
        log.warning(
            "could not register search attribute %s; register it with "
            "`temporal operator search-attribute create --name %s --type Keyword`",
            ORG_ID.name,
            ORG_ID.name,
            extra={"grpc_status": exc.status.name},
        )
        return False
