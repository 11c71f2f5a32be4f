"""Breach response (45 CFR 164.400-414, and 42 CFR 2.16 for Part 2 records): plain functions over a
tenant Session, shared by the breach activities and the API; the clocks themselves are pure
(`core/contracts/breach.py`).

- `incidents`: the incident's record: reported, assessed and decided, obligations met, delays,
  escalations, closed; every step on its timeline, audited and emitted as an event
- `letters`: the notice letters (164.404(c), plain language) and the closing report, as PDF
"""
