"""Every figure, flag and score of DOMAIN.md §3, defined once: SQL beside its definition."""
