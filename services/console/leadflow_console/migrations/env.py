from leadflow_common.migrate import run_env
from leadflow_console import read_tables  # noqa: F401  (its tables join the metadata)
from leadflow_console.tables import SCHEMA, metadata

run_env(SCHEMA, metadata)
