"""`leadflow-capture` (and `python -m leadflow_capture`): the service's command."""

from leadflow_common.launch import serve


def main() -> None:
    serve("leadflow_capture.main")


if __name__ == "__main__":
    main()
