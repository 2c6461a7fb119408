"""Activities, the rotating check-in code, attendance, leave and make-up."""
