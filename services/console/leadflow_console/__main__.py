"""`leadflow-console` (and `python -m leadflow_console`): the service's command."""

from leadflow_common.launch import serve


def main() -> None:
    serve("leadflow_console.main")


if __name__ == "__main__":
    main()
