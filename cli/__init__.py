"""The `recoveryos` command."""
