"""Pieces every Leadflow service shares. A library: no entry points, nothing started at import."""
