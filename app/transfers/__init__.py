"""组织关系转接 (transfers) and 流动党员 (mobile members, contacts, participation)."""
