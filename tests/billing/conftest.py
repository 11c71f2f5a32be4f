"""Billing tests use the session's `localstripe` fixture (tests/conftest.py): the worker and
the API reach it through the ordinary Stripe settings."""
