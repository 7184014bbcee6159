"""Capture: validates, normalizes and merges submissions, stores them with their events."""
