"""`leadflow-scoring` (and `python -m leadflow_scoring`): the service's command."""

from leadflow_common.launch import serve


def main() -> None:
    serve("leadflow_scoring.main")


if __name__ == "__main__":
    main()
