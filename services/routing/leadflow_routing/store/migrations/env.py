from leadflow_common.migrate import run_env
from leadflow_routing.store.tables import SCHEMA, metadata

run_env(SCHEMA, metadata)
