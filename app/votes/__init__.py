"""Votes at the 党员大会: motions, admissions, confirmations and elections, with secret ballots."""
