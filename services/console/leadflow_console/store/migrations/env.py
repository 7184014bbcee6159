from leadflow_common.migrate import run_env
from leadflow_console.store import read_tables  # noqa: F401  (its tables join the metadata)
from leadflow_console.store.tables import SCHEMA, metadata

run_env(SCHEMA, metadata)
