"""E-signature over HTTP, one module (and router) per audience; `router` includes them all:

- `requests`: staff send a document for signature, follow it, void it and hand over links;
- `page`: the signer's signing page behind their link (`/sign/<token>`) and its assets;
- `render`: the page's HTML steps, refusal pages and response headers.

`router` holds the parts' routes themselves (not the routers included), so whoever reads
`router.routes` (the app, the cross-org guard test) sees every signing route as it is served.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.signing import page, requests

router = APIRouter()
for part in (requests, page):
    router.routes.extend(part.router.routes)
