"""通知公告 Notices: audience, scheduled publishing, pins, read receipts and confirmations."""
