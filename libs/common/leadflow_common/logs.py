"""JSON logs, one object a line. Lines about a lead carry `lead_id` and `event_id` (pass them in
`extra`); personal data (email, phone, names) is never passed to a logger."""

import json
import logging
import sys
from datetime import UTC, datetime

# uvicorn passes `color_message`, its message with terminal colour codes, for its own formatter.
_STANDARD_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
# uvicorn says everything about itself, "Application startup complete." included, on a logger
# named `uvicorn.error`: a reader of the logs would count its start-up lines as errors.
_LOGGER_NAMES = {"uvicorn.error": "uvicorn"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": _LOGGER_NAMES.get(record.name, record.name),
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRIBUTES})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every failed reconnect at ERROR; the relay and consumers report outages.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    # httpx logs every request's full URL at INFO (httpcore its steps at DEBUG), and the URLs
    # users give are secrets (a Slack incoming webhook's path is its credential): our own lines
    # name an endpoint by id or host.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
