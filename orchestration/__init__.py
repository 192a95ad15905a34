"""Dagster orchestration of floop: `orchestration.definitions.defs` (see README, "Dagster UI")."""
