"""The audit log of manual changes (who, when, old → new, why)."""
