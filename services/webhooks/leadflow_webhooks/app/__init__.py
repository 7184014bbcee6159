"""Use cases and consumers: each state change in one unit of work; reads through store queries."""
