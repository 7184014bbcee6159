"""Pure rules and typed objects: no I/O, no framework, unit-tested on their own."""
