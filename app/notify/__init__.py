"""Reminders: what is due (the scheduler), the in-app inbox and WeChat subscribe messages."""
