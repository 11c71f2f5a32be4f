"""The resident's rights over their records (45 CFR 164.524 access): plain functions over a
tenant Session, shared by the rights activities and the API; the clocks and grounds are in
`core/contracts/rights.py`.

- `requests`: an access request's record: received, extended once with its written reason,
  fulfilled or denied, overdue; every step audited and emitted
- `export`: all of one resident's records, decrypted, as JSON and a readable PDF; the denial letter
- `links`: the signed, expiring, single-resident download link
"""
