"""`leadflow-webhooks` (and `python -m leadflow_webhooks`): the service's command."""

from leadflow_common.launch import serve


def main() -> None:
    serve("leadflow_webhooks.main")


if __name__ == "__main__":
    main()
