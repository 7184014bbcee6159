"""What `leadflow run` tells the person who started it, once everything answers: where each thing
is, how to sign in, which websites may send visitors back from capture, where the logs went, and
how to stop. Secrets stay out of it (terminals and CI logs are shipped and kept): it names the
files or variables that hold them."""

from collections.abc import Mapping
from pathlib import Path

from leadflow_common.origins import split_origins


def origins_lines(env: Mapping[str, str]) -> list[str]:
    """The origins capture allows, what it ignores (not an origin: never matched, said here
    rather than listed as allowed), and how to add one while there is none."""
    origins, malformed = split_origins(env.get("CAPTURE_ALLOWED_ORIGINS", ""))
    lines = [f"Websites   allowed origins (CORS, redirect_to): {', '.join(origins) or 'none yet'}"]
    if malformed:
        lines.append(f"           ignored, not scheme://host[:port]: {', '.join(malformed)}")
    if not origins:
        lines.append(
            "           add one: CAPTURE_ALLOWED_ORIGINS=https://www.example.com in .env, then make run again"
        )
    return lines


def banner(
    urls: Mapping[str, str],
    env: Mapping[str, str],
    *,
    data_dir: Path,
    logs: Path | None,
    admin_password_from_env: bool,
    api_key_from_env: bool,
    infrastructure: str = "",
) -> str:
    """The lines printed when the system is ready; `logs`: where the services' JSON logs go
    (None: to this terminal)."""
    password = "LEADFLOW_ADMIN_PASSWORD" if admin_password_from_env else f"{data_dir}/admin_password"
    key = (
        "the one in LEADFLOW_API_KEY"
        if api_key_from_env
        else f"in {data_dir}/api_key: export LEADFLOW_API_KEY=$(cat {data_dir}/api_key)"
    )
    docs = ", ".join(f"{name} {url.rsplit(':', 1)[-1]}" for name, url in urls.items())
    lines = [
        "",
        "Leadflow is running.",
        "",
        f"Console    {urls['console']}  (sign in as {env['LEADFLOW_ADMIN_EMAIL']}, password in {password})",
        f"Capture    {urls['capture']}  (landing forms post to {urls['capture']}/v1/leads/landing-page;",
        "           a form to paste into a page: docs/landing-page-form.html)",
        f"API docs   http://127.0.0.1:PORT/docs for {docs}",
        f"API key    {key}",
        *origins_lines(env),
        (
            f"Logs       {logs}/<service>.log (JSON); make run LOGS=1 or leadflow run --logs shows them here"
            if logs
            else "Logs       the services' JSON logs follow below"
        ),
        *([infrastructure] if infrastructure else []),
        "",
        "Ready. Ctrl-C stops everything. The walkthrough: README.md.",
    ]
    return "\n".join(lines)
