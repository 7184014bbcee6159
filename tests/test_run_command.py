"""`leadflow run` (what `make run` calls): starts everything, and SIGTERM stops everything; so
does a SIGKILL of it or of its parent."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from leadflow_cli.infra import free_port

pytestmark = pytest.mark.e2e


def run_ports() -> dict[str, int]:
    return {
        name: free_port()
        for name in (
            "CONSOLE_PORT",
            "CAPTURE_PORT",
            "SCORING_PORT",
            "ROUTING_PORT",
            "WEBHOOKS_PORT",
            "LEADFLOW_LOCAL_KAFKA_PORT",
        )
    }


def run_environment(ports: dict[str, int]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "LEADFLOW_CONSOLE_URL")
    }
    env.update(
        {key: str(port) for key, port in ports.items()},
        LEADFLOW_API_KEY="run-test-key",
        CAPTURE_ALLOWED_ORIGINS="https://www.shop.example",
    )
    env.pop("XDG_RUNTIME_DIR", None)  # as in a root shell without a login session
    return env


def start_run(
    data_dir: Path, ports: dict[str, int], *, parent: bool = False, **settings: str
) -> subprocess.Popen:
    """`leadflow run`, or (`parent`) a process that runs it, as make does; with these settings."""
    command = [str(Path(sys.executable).parent / "leadflow"), "run", "--data-dir", str(data_dir)]
    if parent:
        runs_it = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
        command = [sys.executable, "-c", runs_it, *command]
    return subprocess.Popen(
        command,
        env=run_environment(ports) | settings,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until_ready(launcher: subprocess.Popen) -> list[str]:
    output = []
    deadline = time.monotonic() + 240  # a loaded fresh-clone run once took more than 120 s
    for line in launcher.stdout:
        output.append(line)
        if line.startswith("Ready.") or time.monotonic() > deadline:
            break
    assert any(line.startswith("Ready.") for line in output), "".join(output)
    return output


def everything_started(launcher: subprocess.Popen, data_dir: Path) -> list[psutil.Process]:
    postgres_pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    # Postgres is daemonised by pg_ctl, so it is watched beside the launcher's children.
    return [*psutil.Process(launcher.pid).children(recursive=True), psutil.Process(postgres_pid)]


@pytest.mark.long
def test_run_starts_the_system_and_sigterm_leaves_nothing_running(tmp_path):
    ports = run_ports()
    data_dir = tmp_path / "data"
    launcher = start_run(data_dir, ports)
    try:
        output = read_until_ready(launcher)
        printed = "".join(output)
        # A short banner for a person, no JSON log lines and no warning on a normal start: the
        # services' logs are in files, and none of them warned either.
        assert not any(line.lstrip().startswith("{") for line in output), printed
        assert "warning" not in printed.lower(), printed
        assert len(output) <= 20, printed
        assert not any("run-test-key" in line for line in output), "the key stays out of the output"
        assert any(line.startswith("API key") and "LEADFLOW_API_KEY" in line for line in output)
        capture = f"http://127.0.0.1:{ports['CAPTURE_PORT']}"
        assert any(
            line.startswith("Capture") and f"{capture}/v1/leads/landing-page" in line for line in output
        )
        origins = next(line for line in output if "allowed origins" in line)
        assert "https://www.shop.example" in origins, origins
        assert not any("add one" in line for line in output), "how to add one, said only while none is set"
        assert any("Ctrl-C" in line for line in output)
        logs = data_dir / "logs"
        assert any(line.startswith("Logs") and str(logs) in line for line in output), printed
        for port in (
            ports["CONSOLE_PORT"],
            ports["CAPTURE_PORT"],
            ports["SCORING_PORT"],
            ports["ROUTING_PORT"],
        ):
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            assert ready.status_code == 200, ready.text
        # The first admin logs in as the output says, and the token opens the other services.
        password = (data_dir / "admin_password").read_text().strip()
        assert not any(password in line for line in output)
        assert any(
            line.startswith("Console")
            and f"http://127.0.0.1:{ports['CONSOLE_PORT']}  (sign in" in line
            and "admin@example.com" in line
            for line in output
        )
        login = {"username": "admin@example.com", "password": password}
        token = httpx.post(f"http://127.0.0.1:{ports['CONSOLE_PORT']}/v1/auth/token", data=login, timeout=10)
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        reps_url = f"http://127.0.0.1:{ports['ROUTING_PORT']}/v1/reps"
        deadline = time.monotonic() + 5
        while httpx.get(reps_url, headers=bearer, timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "routing did not learn the console's key in 5 s"
            time.sleep(0.2)
        for service in ("console", "capture", "scoring", "routing", "webhooks"):
            lines = (logs / f"{service}.log").read_text().splitlines()
            assert lines and all(line.startswith("{") for line in lines), service
            assert not [line for line in lines if '"level": "warning"' in line], (service, lines)
        first_score = scored_after(ports, {"email": "again@rerun.example", "first_name": "Ana"}, None)
        started = everything_started(launcher, data_dir)
        assert len(started) >= 8  # five services, the broker, the database, the reaper
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(60)
    _, alive = psutil.wait_procs(started, timeout=15)
    assert alive == []

    # Run again on the same data, as the README says: the broker starts empty (its topics live in
    # memory) while the database kept what the services applied. A probe found every lead
    # captured after such a restart left unscored (the stored offsets skipped the new logs).
    launcher = start_run(data_dir, ports)
    try:
        read_until_ready(launcher)
        changed = {"email": "again@rerun.example", "job_title": "VP of Sales", "company_size": "1000"}
        scored_after(ports, changed, first_score)
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(60)


def scored_after(ports: dict[str, int], lead: dict, before: dict | None) -> dict:
    """The lead posted, then its score once scoring has it (another than `before`, if given)."""
    headers = {"Authorization": "Bearer run-test-key"}
    capture, scoring = (f"http://127.0.0.1:{ports[name]}" for name in ("CAPTURE_PORT", "SCORING_PORT"))
    posted = httpx.post(f"{capture}/v1/leads", json={"leads": [lead]}, headers=headers, timeout=10)
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["results"][0]["lead_id"]
    deadline = time.monotonic() + 30
    while True:
        answer = httpx.get(f"{scoring}/v1/leads/{lead_id}/score", headers=headers)
        if answer.status_code == 200 and answer.json() != before:
            return answer.json()
        assert time.monotonic() < deadline, f"not scored in 30 s: {answer.status_code} {answer.text[:300]}"
        time.sleep(0.3)


@pytest.mark.long
@pytest.mark.parametrize("killed", ["leadflow run", "its parent"])
def test_a_sigkill_leaves_nothing_running(tmp_path, killed):
    """SIGKILLed, `leadflow run` cannot stop anything itself: its reaper does. Its parent (make)
    SIGKILLed: it is told with a SIGTERM and stops everything as usual."""
    data_dir = tmp_path / "data"
    launcher = start_run(data_dir, run_ports(), parent=killed == "its parent")
    try:
        read_until_ready(launcher)
        started = everything_started(launcher, data_dir)
        names = " ".join(" ".join(process.cmdline()) for process in started)
        for part in ("leadflow_cli.reaper", "tansu", "leadflow-console", "leadflow-webhooks", "postgres"):
            assert part in names, (part, names)
    finally:
        launcher.kill()
        launcher.wait(10)
    # The services get their usual grace (SIGTERM, then SIGKILL after 20 s), then the database.
    _, alive = psutil.wait_procs(started, timeout=60)
    assert alive == [], [" ".join(process.cmdline()) for process in alive]


def test_a_key_and_password_set_in_dot_env_are_the_ones_used(tmp_path, monkeypatch):
    """An operator's hour: .env's LEADFLOW_API_KEY was ignored (only the environment was read),
    so the key .env.example tells you to set answered 401."""
    from leadflow_cli.run import environment, wire

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEADFLOW_API_KEY", raising=False)
    monkeypatch.setenv("LEADFLOW_ADMIN_PASSWORD", "from the environment")
    (tmp_path / ".env").write_text("LEADFLOW_API_KEY=from-dot-env\nLEADFLOW_ADMIN_PASSWORD=from-dot-env\n")
    env = environment()
    wire(env, tmp_path)
    assert env["LEADFLOW_API_KEY"] == "from-dot-env"
    assert env["LEADFLOW_ADMIN_PASSWORD"] == "from the environment"  # the environment comes first
    assert not (tmp_path / "api_key").exists()


def test_a_killed_broker_stops_the_run_saying_so(tmp_path):
    """An operator's hour: a SIGKILLed tansu went unnoticed (the banner kept saying "Ready.")."""
    data_dir = tmp_path / "data"
    launcher = start_run(data_dir, run_ports())
    try:
        read_until_ready(launcher)
        started = everything_started(launcher, data_dir)
        [broker] = [process for process in started if "tansu" in " ".join(process.cmdline())]
        broker.kill()
        assert launcher.wait(60) == 1
        said = launcher.stdout.read()
        assert "the broker (tansu) exited" in said and "tansu.log" in said, said
    finally:
        if launcher.poll() is None:
            launcher.kill()
    _, alive = psutil.wait_procs(started, timeout=60)
    assert alive == [], [" ".join(process.cmdline()) for process in alive]


@pytest.mark.long
def test_a_run_stopped_right_after_a_burst_loses_none_of_it(tmp_path):
    """An operator's hour: 300 leads accepted, Ctrl-C at once, run again: 200 were never scored
    and none routed (the broker keeps its topics in memory; what it held went with it). The run
    now waits, before stopping its broker, until the services have consumed what it holds."""
    ports = run_ports()
    data_dir = tmp_path / "data"
    headers = {"Authorization": "Bearer run-test-key"}
    capture, scoring = (f"http://127.0.0.1:{ports[name]}" for name in ("CAPTURE_PORT", "SCORING_PORT"))
    launcher = start_run(data_dir, ports)
    try:
        read_until_ready(launcher)
        burst = {"leads": [{"email": f"burst{n}@drain.example", "first_name": "B"} for n in range(300)]}
        posted = httpx.post(f"{capture}/v1/leads", json=burst, headers=headers, timeout=30)
        assert posted.status_code == 202 and posted.json()["accepted"] == 300, posted.text
        lead_ids = [result["lead_id"] for result in posted.json()["results"]]
    finally:
        launcher.send_signal(signal.SIGINT)
        launcher.wait(90)
    launcher = start_run(data_dir, ports)
    try:
        read_until_ready(launcher)
        deadline = time.monotonic() + 60
        unscored = lead_ids
        while unscored and time.monotonic() < deadline:
            unscored = [
                lead_id
                for lead_id in unscored
                if httpx.get(f"{scoring}/v1/leads/{lead_id}/score", headers=headers).status_code != 200
            ]
            time.sleep(1)
        assert unscored == [], f"{len(unscored)} of 300 never scored"
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(60)


def test_a_bad_setting_is_said_by_its_name_and_nothing_is_left_running(tmp_path):
    """An operator's hour: CAPTURE_RATE_LIMIT=abc printed a traceback ending in
    `CalledProcessError`; the variable was named only in a log, by its field's name."""
    launcher = start_run(tmp_path / "data", run_ports(), CAPTURE_RATE_LIMIT="abc")
    said, _ = launcher.communicate(timeout=120)
    assert launcher.returncode == 1, said
    assert "capture did not start" in said and "CAPTURE_RATE_LIMIT: Input should be a valid integer" in said
    assert "(got 'abc')" in said and "Traceback" not in said, said
    ours = [p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(p.info["cmdline"] or [])]
    assert ours == []


def test_the_banner_sets_apart_allowed_origins_that_are_not_origins():
    """An operator's hour: "www.example.com" and "https://shop.example/path" were listed as
    allowed, and never matched (a CORS preflight got 400, a redirect the thank-you page)."""
    from leadflow_cli.banner import origins_lines

    given = {"CAPTURE_ALLOWED_ORIGINS": "www.example.com, https://shop.example/path, https://ok.example/"}
    assert origins_lines(given) == [
        "Websites   allowed origins (CORS, redirect_to): https://ok.example",
        "           ignored, not scheme://host[:port]: www.example.com, https://shop.example/path",
    ]
    assert "add one" in origins_lines({})[-1]
