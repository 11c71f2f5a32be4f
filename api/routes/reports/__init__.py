"""Reports over HTTP, one module per kind; `router` holds all their routes (as billing's does):

- `financial`: rent roll, AR aging, deposits held, collections, write-offs and late fees, the
  trial balance.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.reports import financial

router = APIRouter()
for part in (financial,):
    router.routes.extend(part.router.routes)
