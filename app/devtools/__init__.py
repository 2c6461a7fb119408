"""Development-only tools (the fake WeChat server); never used by a production request."""
