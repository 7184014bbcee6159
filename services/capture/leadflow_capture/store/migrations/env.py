from leadflow_capture.store.tables import SCHEMA, metadata
from leadflow_common.migrate import run_env

run_env(SCHEMA, metadata)
