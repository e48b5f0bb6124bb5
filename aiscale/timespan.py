"""The AI-scaling model's time span, defined once: the default first and last year of
every run, verb, report and playground (a module of its own, so that reading it
imports nothing)."""

START_YEAR = 2012.0
END_YEAR = 2060.0
