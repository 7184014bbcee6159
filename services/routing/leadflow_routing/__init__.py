"""Routing: hands each scored lead to the right rep, or to a queue."""
