"""党建指导员 Instructors: assignments to enterprises (and park leaders' contact enterprises)
and their visit logs, with the reports and the overdue-visit reminder."""
