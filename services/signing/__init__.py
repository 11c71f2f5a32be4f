"""E-signature: signing links, the signer's steps, and the evidence trail. Plain functions over
a tenant Session, shared by the signing activities, the API and the seed; the data they exchange
with the SignatureRequest workflow is in `core/contracts/signing.py`.

- `links`: one signature row per signer, the link's token (made, read, hashed) and the link sent,
  reminded or handed over by staff
- `ceremony`: the signer's page and steps behind their link (view, consent, sign, decline), the
  ESIGN disclosures, and the signed copy they keep
- `trail`: the append-only signature events with the evidence hash before and after, and the
  trail a certificate of completion shows
- `completion`: the end of a request: expired or voided, declined, or signed by everyone and
  finalized (signed PDF, certificate, final version)
"""
