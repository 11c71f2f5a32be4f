"""The signing page's HTML: the consent, sign and signed steps, the refusal pages, and the
headers every page response carries (`Cache-Control: no-store`, framed by nobody, no referrer
beyond our own origin: the token is in the path)."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

from services.signing.ceremony import ESIGN_DISCLOSURES, SigningPage

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": CSP,
    # The token is in the path: it may go to our own origin (which needs it) and nowhere else.
    # ("no-referrer" would also make browsers send `Origin: null` on the page's own POSTs.)
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
STATUS_OF = {"invalid": 400, "expired": 410, "used": 410, "closed": 410, "origin": 403}
TITLES = {
    "invalid": "This link is not valid",
    "expired": "This link has expired",
    "used": "This link has already been used",
    "closed": "This signing request is closed",
    "origin": "Request refused",
}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><link rel="stylesheet" href="/sign-assets/signing.css"></head>
<body><main id="main">
{body}
</main><script src="/sign-assets/signing.js" defer></script></body></html>"""
    return HTMLResponse(doc, status_code=status, headers=PAGE_HEADERS)


def problem(reason: str, detail: str) -> HTMLResponse:
    body = f'<h1>{_e(TITLES[reason])}</h1><p role="alert">{_e(detail)}</p>' + (
        "<p>Ask the staff member who sent it for a new link.</p>" if reason != "origin" else ""
    )
    return page(TITLES[reason], body, STATUS_OF[reason])


def consent_step(token: str, p: SigningPage, error: str | None = None) -> str:
    items = "".join(f"<li>{_e(d)}</li>" for d in ESIGN_DISCLOSURES)
    return f"""<h1>Sign: {_e(p.title)}</h1>
<p>Hello {_e(p.signer_name)}. You are asked to sign this document as <strong>{_e(p.signer_role)}</strong>.
This link works until {p.expires_at:%B %-d, %Y at %H:%M} UTC.</p>
{_error(error)}
<section aria-labelledby="esign-h"><h2 id="esign-h">Consent to electronic records and signatures</h2>
<p>Before you read and sign electronically, federal law (the ESIGN Act, 15 U.S.C. 7001(c))
requires us to tell you:</p>
<ul>{items}</ul>
<form method="post" action="/sign/{token}/consent">
<p><input type="checkbox" id="esign_consent" name="esign_consent" value="yes" required>
<label for="esign_consent">I have read this notice and I consent to receive and sign this document
electronically.</label></p>
<button type="submit" id="consent-button">I agree, continue</button>
</form></section>
{_decline_form(token)}"""


def _error(error: str | None) -> str:
    return f'<p class="error" role="alert" id="form-error">{_e(error)}</p>' if error else ""


def _decline_form(token: str) -> str:
    return f"""<details><summary>I do not want to sign</summary>
<form method="post" action="/sign/{token}/decline">
<p><label for="decline_reason">Reason (optional)</label>
<textarea id="decline_reason" name="reason" maxlength="1000" rows="3"></textarea></p>
<button type="submit" id="decline-button" class="secondary">Decline to sign</button>
</form></details>"""


def sign_step(token: str, p: SigningPage, error: str | None = None) -> str:
    paragraphs = "".join(f"<p>{_e(line)}</p>" if line.strip() else "" for line in p.content.split("\n"))
    return f"""<h1>Sign: {_e(p.title)}</h1>
{_error(error)}
<section id="document" class="document" tabindex="0" aria-labelledby="doc-h">
<h2 id="doc-h">{_e(p.title)}</h2>{paragraphs}
<p class="hash">Document fingerprint (SHA-256): <code>{p.content_sha256}</code></p>
<p id="document-end">End of document.</p></section>
<form method="post" action="/sign/{token}" id="sign-form">
<p><input type="checkbox" id="read_confirmed" name="read_confirmed" value="yes" required
aria-describedby="read-hint">
<label for="read_confirmed">I have read the whole document.</label>
<span id="read-hint" class="hint">Scroll to the end of the document to confirm.</span></p>
<fieldset><legend>Adopt your signature</legend>
<p><input type="radio" id="mode-typed" name="mode" value="typed" checked>
<label for="mode-typed">Type my name</label>
<input type="radio" id="mode-drawn" name="mode" value="drawn">
<label for="mode-drawn">Draw my signature</label></p>
<p id="typed-area"><label for="typed_signature">Full name</label>
<input type="text" id="typed_signature" name="typed_signature" autocomplete="name" maxlength="200"></p>
<div id="drawn-area" hidden><canvas id="signature-pad" width="600" height="200" role="img"
aria-label="Signature drawing area: draw with your finger, pen or mouse"></canvas>
<button type="button" id="clear-signature" class="secondary">Clear</button></div>
<input type="hidden" id="drawn_signature" name="drawn_signature" value="">
</fieldset>
<p>By selecting Sign, I agree that my electronic signature is the legal equivalent of my handwritten
signature on this document.</p>
<button type="submit" id="sign-button">Sign</button>
</form>
{_decline_form(token)}"""


def signed_step(token: str, title: str) -> str:
    return f"""<h1>You have signed: {_e(title)}</h1>
<p>This link has already been used to sign. Keep your copy: it is the document as signed, with
every signature on it.</p>
<p><a class="button" id="download-signed" href="/sign/{token}/signed.pdf" download>Download your signed copy
(PDF)</a></p>"""
