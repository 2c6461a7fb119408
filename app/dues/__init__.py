"""党费 Party dues: effective-dated brackets, bases, an append-only payment ledger in fen."""
