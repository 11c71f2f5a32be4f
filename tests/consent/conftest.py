"""The consent tests run on the signing tests' worker (its notifier and file store are theirs
to look into): a consent's form is signed through the SignatureRequest workflow."""

from tests.signing.conftest import signing_worker

__all__ = ["signing_worker"]
