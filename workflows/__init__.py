"""Temporal workflows, one module per long-running process."""

from workflows.audit import AuditAnchorWorkflow
from workflows.intake import IntakeWorkflow

ALL_WORKFLOWS: list[type] = [IntakeWorkflow, AuditAnchorWorkflow]
