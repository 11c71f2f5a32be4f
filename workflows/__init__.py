"""Temporal workflows, one module per long-running process."""

from workflows.intake import IntakeWorkflow

ALL_WORKFLOWS: list[type] = [IntakeWorkflow]
