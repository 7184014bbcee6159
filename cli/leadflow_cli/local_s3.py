"""moto's S3 application served alone: the store tansu keeps its log in where a run kills the broker.

`moto_server` answers every AWS service and so matches each request's host against every
service's URL patterns, and logs each request: measured on this machine (2,000 one-record
batches produced, then consumed, through tansu), that server spent 19.8 s + 29.5 s of CPU and this
one 9.3 s + 13.0 s. tansu lists all of a partition's objects on every read that finds news, so
the store's CPU, not the services', is what limits how fast a fault run settles.
"""

import argparse
import logging

from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
from moto.s3.models import FakeKey
from werkzeug.serving import run_simple


def _list_times_as_datetimes() -> None:
    """moto turns each listed object's time into text that its serializer then parses back with
    dateutil (its own TODO asks to pass the datetime): 29% of this store's CPU in a fault run,
    measured with py-spy. Given the datetime (to the second, as the text was), it writes the same."""
    if isinstance(getattr(FakeKey, "last_modified_ISO8601", None), property):
        FakeKey.last_modified_ISO8601 = property(lambda key: key.last_modified.replace(microsecond=0))  # type: ignore[method-assign,assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line for each request
    _list_times_as_datetimes()
    run_simple(
        args.host, args.port, create_backend_app("s3"), threaded=True, request_handler=MotoRequestHandler
    )


if __name__ == "__main__":
    main()
