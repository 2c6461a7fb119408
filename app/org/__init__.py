"""The organisation tree, role grants and park enterprises."""
