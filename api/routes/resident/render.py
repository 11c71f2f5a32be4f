"""The resident pages' layout and the rules every one of them follows: server-rendered HTML
with no script at all, one same-origin stylesheet, `no-store`, a strict CSP (nothing from the
internet), no framing, and a CSRF token in every form that changes something.

Words are plain and short (about a sixth-grade reading level): "What you owe", "Pay now",
"Sign", "Send". Nothing on a page says what kind of place this is beyond the house's own name.
"""

from __future__ import annotations

import base64
import hmac
from html import escape
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from core.config import get_settings
from core.fieldcrypt import blind_digest

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": CSP,
    # Not "no-referrer": Chromium then sends `Origin: null` with our own forms. "same-origin"
    # still keeps page addresses (a sign-in link's token) from every other site.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
STYLESHEET = "/me-assets/resident.css"


def csrf_token(session_id: object) -> str:
    """The form token of one session: a keyed digest of its id, so a forged page (which cannot
    read our pages) cannot know it, and it dies with the session."""
    digest = blind_digest("resident-page-csrf", str(session_id))[:18]
    return base64.urlsafe_b64encode(digest).decode()


def csrf_ok(session_id: object, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(session_id), sent or "")


def foreign_origin(request: Request) -> bool:
    """A POST from another site (or an opaque `null` origin) is refused before anything."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    public = urlsplit(get_settings().public_base_url)
    own.add(f"{public.scheme}://{public.netloc}")
    return origin not in own


def hidden_csrf(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(token)}">'


def page(
    title: str, body: str, *, status: int = 200, csrf: str | None = None, house: str = ""
) -> HTMLResponse:
    """A whole page. With `csrf` the resident is signed in: the top bar links home and signs out."""
    if csrf is not None:
        bar = (
            f'<header class="top"><a href="/me" class="brand">{escape(house or "Home")}</a>'
            f'<form method="post" action="/me/sign-out">{hidden_csrf(csrf)}'
            '<button type="submit">Sign out</button></form></header>'
        )
    else:
        bar = '<header class="top"><span class="brand">Resident sign in</span></header>'
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{STYLESHEET}"></head><body>'
        '<a class="skip" href="#main">Skip to content</a>'
        f'{bar}<main id="main">{body}</main></body></html>'
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def problem(title: str, text: str, status: int, *, csrf: str | None = None, house: str = "") -> HTMLResponse:
    back = '<p><a class="button secondary" href="/me">Back to home</a></p>' if csrf else ""
    return page(
        title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{back}", status=status, csrf=csrf, house=house
    )


def refused(csrf: str | None = None, house: str = "") -> HTMLResponse:
    """A form sent from another site, or without this session's token."""
    return problem("Not sent", "This form can only be sent from this site.", 403, csrf=csrf, house=house)


def not_found(csrf: str | None = None, house: str = "") -> HTMLResponse:
    return problem("Not found", "We could not find that page.", 404, csrf=csrf, house=house)
