from leadflow_common.migrate import run_env
from leadflow_webhooks.store.tables import SCHEMA, metadata

run_env(SCHEMA, metadata)
