"""Study: briefs, micro-lessons, articles, reading sessions, the question bank, quizzes."""
