"""Study points: rules as data, an append-only ledger and a running total per member."""
