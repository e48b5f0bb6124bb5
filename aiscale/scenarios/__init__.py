"""Scenarios, policy levers, takeoff metrics, ensembles and sensitivity."""

from .metrics import binding_constraint_changes, crossing_time, milestones, milestones_table

__all__ = ["milestones", "milestones_table", "crossing_time", "binding_constraint_changes"]
