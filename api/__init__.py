"""The HTTP API: authentication, authorisation, validation, and workflow control."""
