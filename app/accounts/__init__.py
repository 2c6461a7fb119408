"""Console accounts, login and token revocation."""
