"""Data a family's workflows, activities and services exchange: plain dataclasses and enums, no I/O."""
