"""The `leadflow` operator command: run the whole system locally, tail topics."""
