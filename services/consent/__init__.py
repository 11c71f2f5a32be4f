"""42 CFR Part 2 after the 2024 rule: consents, the disclosures they allow, the accounting of
disclosures, restrictions, who may read Part 2 fields and on what basis, break-glass access,
counseling notes and the patient notice. Plain functions over a tenant Session, shared by the
consent activities, the API and the seed; the words they share with the workflows (kinds,
classes, purposes, refusals, the §2.32 texts) are in `core/contracts/consent.py`.
"""
