"""Committee review: attendance, 三会一课 compliance, study participation, star ratings."""
