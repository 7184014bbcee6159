"""Operational promises that need no servers: every non-public endpoint wants the API key,
the deployment manifests and the dashboard hold together, logs are JSON with ids."""

import io
import json
import logging
import re
import uuid
from pathlib import Path
from unittest.mock import ANY

import httpx
import pytest
import yaml
from harness import in_process
from prometheus_client import REGISTRY

from leadflow_capture.main import create_app as capture_app
from leadflow_cli.infra import free_port
from leadflow_common.logs import JsonFormatter
from leadflow_common.settings import CommonSettings
from leadflow_console.main import create_app as console_app
from leadflow_routing.main import create_app as routing_app
from leadflow_scoring.main import create_app as scoring_app
from leadflow_webhooks.main import create_app as webhooks_app

ROOT = Path(__file__).parents[1]
PUBLIC = {
    "/healthz",
    "/readyz",
    "/v1/leads/landing-page",
    "/v1/leads/popup",
    "/v1/leads/sms",
    "/v1/auth/token",
}
# The console loads its credentials in its lifespan: test_access_policy.py covers it running.
APPS = {"capture": capture_app, "scoring": scoring_app, "routing": routing_app}
EVERY_APP = {**APPS, "console": console_app, "webhooks": webhooks_app}


@pytest.mark.parametrize("service", sorted(APPS))
async def test_every_non_public_route_answers_401_without_the_key(service):
    app = APPS[service](CommonSettings(leadflow_api_key="the-key", leadflow_console_url=""))
    operations = [
        (path, method)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if path not in PUBLIC and operation.get("x-leadflow-policy") != "public"
    ]
    assert operations
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        for path, method in operations:
            url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            for headers in ({}, {"Authorization": "Bearer wrong"}):
                response = await client.request(method.upper(), url, json={}, headers=headers)
                assert response.status_code == 401, (method, path, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["www-authenticate"] == "Bearer"


def test_production_refuses_a_placeholder_api_key():
    with pytest.raises(ValueError, match="LEADFLOW_API_KEY"):
        CommonSettings(leadflow_env="production", leadflow_api_key="change-me")


def manifests() -> list[dict]:
    return [
        doc
        for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def test_kubernetes_manifests_probe_health_run_unprivileged_and_cap_scaling_at_the_partitions():
    docs = manifests()
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {
        "leadflow-capture",
        "leadflow-scoring",
        "leadflow-routing",
        "leadflow-console",
        "leadflow-webhooks",
    }
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert {"secretRef": {"name": "leadflow-secrets"}} in container["envFrom"]
    autoscalers = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    assert len(autoscalers) == 5 and all(a["spec"]["maxReplicas"] <= 6 for a in autoscalers)
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    secrets = {"LEADFLOW_API_KEY", "DATABASE_URL", "SMS_AUTH_TOKEN", "LEADFLOW_ADMIN_PASSWORD"}
    assert not secrets & set(config["data"]), "secrets stay in the Secret"


def test_the_scrape_jobs_find_every_service_and_send_the_metrics_token():
    deployments = [d for d in manifests() if d["kind"] == "Deployment"]
    apps = {d["spec"]["template"]["metadata"]["labels"]["app"] for d in deployments}
    for deployment in deployments:  # an annotation-following job sends no token: 401s
        assert "annotations" not in deployment["spec"]["template"]["metadata"]
        assert {"containerPort": ANY, "name": "http"} in deployment["spec"]["template"]["spec"]["containers"][
            0
        ]["ports"]
    monitor = yaml.safe_load(
        (ROOT / "deploy" / "k8s" / "prometheus-operator" / "podmonitor.yaml").read_text()
    )
    [selected] = monitor["spec"]["selector"]["matchExpressions"]
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert (selected["key"], set(selected["values"])) == ("app", apps)
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    assert endpoint["authorization"]["credentials"] == {
        "name": "leadflow-secrets",
        "key": "LEADFLOW_METRICS_TOKEN",
    }
    assert endpoint["relabelings"] == [
        {"sourceLabels": ["__meta_kubernetes_pod_label_app"], "targetLabel": "job"}
    ]
    [job] = yaml.safe_load((ROOT / "deploy" / "prometheus-scrape.yaml").read_text())["scrape_configs"]
    kept = job["relabel_configs"][0]
    assert kept["action"] == "keep" and {app for app in apps if re.fullmatch(kept["regex"], app)} == apps
    assert job["authorization"]["credentials_file"].endswith("LEADFLOW_METRICS_TOKEN")
    assert "LEADFLOW_METRICS_TOKEN" in (ROOT / "deploy" / "k8s" / "config.yaml").read_text(), (
        "the Secret's key"
    )


def test_the_dashboard_shows_metrics_the_services_export():
    for factory in EVERY_APP.values():  # importing the apps registers every metric
        factory(CommonSettings())
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
    exported = {
        metric.name + suffix for metric in REGISTRY.collect() for suffix in suffixes.get(metric.type, [""])
    }
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"leadflow_[a-z_]+", target["expr"])
    }
    assert used and used <= exported, used - exported
    for needed in (
        "outbox_oldest_age",
        "consumer_lag",
        "dead_lettered",
        "scoring_latency",
        "routing_decisions",
        "sla_breaches",
        "cardless_decisions",
        "honeypot",
        "rate_limited",
        "outbox_failed",
        "http_refused",
        "logins",
        "credentials_age",
        "audit_entries",
        "webhook_attempts",
        "webhook_backlog",
        "webhook_oldest_pending",
        "erasures_applied",
        "console_read_model_delay",
        "console_live_streams",
    ):
        assert any(needed in name for name in used), needed


def test_alert_rules_watch_metrics_the_services_export():
    for factory in EVERY_APP.values():
        factory(CommonSettings())
    exported = {metric.name for metric in REGISTRY.collect()}
    rules = yaml.safe_load((ROOT / "deploy" / "alerts.yaml").read_text())
    alerts = {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}
    for name, expr in alerts.items():
        for metric in re.findall(r"leadflow_[a-z_]+", expr):
            assert metric.removesuffix("_total") in exported, (name, metric)
    assert {"OutboxStalled", "EventsSetAside", "EventsDeadLettered", "CredentialsStale"} <= set(alerts)


def test_logs_are_json_with_the_ids_given():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("scoring"))
    logger = logging.getLogger("test.json-logs")
    logger.addHandler(handler)
    logger.warning("event failed", extra={"lead_id": "L1", "event_id": "E1"})
    line = json.loads(stream.getvalue())
    assert (line["service"], line["message"], line["lead_id"], line["event_id"]) == (
        "scoring",
        "event failed",
        "L1",
        "E1",
    )


async def test_without_a_database_readiness_fails_and_submissions_get_503_without_personal_data(caplog):
    closed = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
    app = capture_app(CommonSettings(database_url=closed, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}"))
    async with in_process(app, raise_app_exceptions=False) as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("failing")
        failed = await client.post("/v1/leads/landing-page", json={"email": "private.person@example.com"})
        assert failed.status_code == 503 and failed.headers["retry-after"] == "5"
        assert "private" not in failed.text
    assert "private.person" not in caplog.text
