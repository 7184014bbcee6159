"""`leadflow-routing` (and `python -m leadflow_routing`): the service's command."""

from leadflow_common.launch import serve


def main() -> None:
    serve("leadflow_routing.main")


if __name__ == "__main__":
    main()
