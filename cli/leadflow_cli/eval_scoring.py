"""`leadflow eval-scoring`: the X Education leads through the running system.

Splits the leads by a fixed rule (Lead Number mod 10 below 7 trains, the rest evaluates), loads
the X Education rules, sends the training part through capture with its outcomes, sends the
evaluation part, reads its scores back (rules), retrains, reads them again (learned), and prints
AUC and conversion per band. The built-in rules are scored by the same engine offline on the same
evaluation leads, for comparison. Starts its own system unless CAPTURE_URL and SCORING_URL are set.
"""

import asyncio
import csv
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from leadflow_capture.domain.leads import parse_lead
from leadflow_capture.domain.merging import merge_submission
from leadflow_cli.import_mapping import Mapping, read_mapping, row_to_lead
from leadflow_cli.importer import ImportSummary, run_import
from leadflow_cli.infra import LocalSystem
from leadflow_common.events import Channel, Temperature
from leadflow_scoring.domain.learning import evaluate
from leadflow_scoring.domain.rules import default_rules, score_lead, segment_of, temperature_for

DATA = Path(__file__).parents[2] / "data" / "x-education-leads"
TARGETS = {"learned_auc": 0.88, "rules_auc": 0.75, "hot_conversion": 0.80}


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    train = [row for row in rows if int(row["Lead Number"]) % 10 < 7]
    held = [row for row in rows if int(row["Lead Number"]) % 10 >= 7]
    return train, held


def write_csv(rows: list[dict], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def email_of(row: dict, mapping: Mapping) -> str:
    return mapping.templates["email"].format_map(row)


async def read_scores(
    scoring: httpx.AsyncClient, lead_ids: list[str], *, want, timeout: float
) -> dict[str, dict]:
    """Every lead's score once `want(score)` holds for all of them (or at the deadline)."""
    deadline = time.monotonic() + timeout
    scores: dict[str, dict] = {}
    limit = asyncio.Semaphore(16)

    async def fetch(lead_id: str) -> None:
        async with limit:
            response = await scoring.get(f"/v1/leads/{lead_id}/score")
        if response.status_code == 200 and want(response.json()):
            scores[lead_id] = response.json()

    while time.monotonic() < deadline:
        await asyncio.gather(*(fetch(lead_id) for lead_id in lead_ids if lead_id not in scores))
        if len(scores) == len(lead_ids):
            break
        await asyncio.sleep(2)
    return scores


def metrics_of(scores: dict[str, dict], labels: dict[str, int]) -> dict:
    ids = list(scores)
    return evaluate(
        [scores[i]["score"] for i in ids],
        [labels[i] for i in ids],
        [Temperature(scores[i]["temperature"]) for i in ids],
    )


def built_in_rules_offline(rows: list[dict], mapping: Mapping) -> dict:
    rules, now = default_rules(), datetime.now(UTC)
    scores, labels, bands = [], [], []
    for row in rows:
        lead = merge_submission(
            None,
            parse_lead(row_to_lead(row, mapping), default_region="US"),
            lead_id=uuid.uuid4(),
            channel=Channel.import_,
            now=now,
        ).lead
        result = score_lead(lead, [], rules, now)
        scores.append(result.score)
        labels.append(int(row["Converted"]))
        bands.append(temperature_for(result.score, rules.profile(segment_of(lead)).thresholds))
    return evaluate(scores, labels, bands)


def send_through_capture(
    capture_url: str, headers: dict, train: list[dict], held: list[dict], mapping: Mapping, workdir: Path
) -> dict[str, int]:
    """Import both parts and the training outcomes; the evaluation leads' ids with their labels."""
    with httpx.Client(base_url=capture_url, headers=headers, timeout=120) as capture:
        print(f"training part: {len(train)} leads and their outcomes")
        run_import(write_csv(train, workdir / "train.csv"), mapping, client=capture, summary=ImportSummary())
        outcomes = [
            {"email": email_of(row, mapping), "outcome": "won" if row["Converted"] == "1" else "lost"}
            for row in train
        ]
        for start in range(0, len(outcomes), 1000):
            capture.post("/v1/outcomes", json={"outcomes": outcomes[start : start + 1000]}).raise_for_status()
        print(f"evaluation part: {len(held)} leads")
        held_file = write_csv(held, workdir / "evaluate.csv")
        run_import(held_file, mapping, client=capture, summary=ImportSummary())
        labels: dict[str, int] = {}
        for start in range(0, len(held), 1000):
            part = held[start : start + 1000]
            # Posting them again finds the same leads (one person, one lead) and gives their ids.
            response = capture.post("/v1/leads", json={"leads": [row_to_lead(row, mapping) for row in part]})
            response.raise_for_status()
            for row, result in zip(part, response.json()["results"], strict=True):
                labels[result["lead_id"]] = int(row["Converted"])
    return labels


async def wait_for_outcomes(scoring: httpx.AsyncClient, expected: int, timeout: float) -> None:
    """Until every outcome is stored with its lead as it stood."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bands = (await scoring.get("/v1/scoring/model")).json()["conversion_by_band"]
        if sum(band["outcomes"] for band in bands.values()) >= expected:
            return
        await asyncio.sleep(2)
    raise SystemExit("scoring did not store every outcome in time")


async def evaluate_through_system(capture_url: str, scoring_url: str, api_key: str, workdir: Path) -> dict:
    mapping = read_mapping(DATA / "mapping.json")
    rows = list(csv.DictReader((DATA / "leads.csv").open(newline="")))
    train, held = split(rows)
    headers = {"Authorization": f"Bearer {api_key}"}
    report: dict = {
        "leads": len(rows),
        "train": len(train),
        "evaluate": len(held),
        "split": "Lead Number mod 10 < 7 trains",
    }
    async with httpx.AsyncClient(base_url=scoring_url, headers=headers, timeout=120) as scoring:
        put = await scoring.put("/v1/scoring/rules", json=json.loads((DATA / "rules.json").read_text()))
        put.raise_for_status()
        rules_model = {"kind": "rules", "version": put.json()["version"]}
        labels = await asyncio.to_thread(
            send_through_capture, capture_url, headers, train, held, mapping, workdir
        )
        await wait_for_outcomes(scoring, len(train), timeout=300)
        held_ids = list(labels)
        rule_scores = await read_scores(
            scoring, held_ids, want=lambda s: s["model"] == rules_model, timeout=300
        )
        report["rules"] = {"model": rules_model, **metrics_of(rule_scores, labels)}
        retrained = await scoring.post("/v1/scoring/retrain")
        retrained.raise_for_status()
        report["retrain"] = retrained.json()
        learned = {"kind": "learned", "version": report["retrain"]["version"]}
        learned_scores = await read_scores(
            scoring, held_ids, want=lambda s: s["model"] == learned, timeout=600
        )
        report["learned"] = {"model": learned, **metrics_of(learned_scores, labels)}
    report["built_in_rules_offline"] = built_in_rules_offline(held, mapping)
    return report


def print_report(report: dict) -> None:
    sizes = f"{report['leads']} leads: {report['train']} train, {report['evaluate']} evaluate"
    print(f"\n{sizes} ({report['split']})")
    print(f"{'scorer':<32} {'AUC':>6} {'Brier':>6}  hot / warm / cold conversion (leads)")
    for name, key in (
        ("learned model", "learned"),
        ("X Education rules", "rules"),
        ("built-in rules (offline)", "built_in_rules_offline"),
    ):
        m = report[key]
        by_band = m["conversion_by_band"]
        bands = "  ".join(
            f"{band} {by_band[band]['conversion']:.0%} ({by_band[band]['leads']})"
            for band in ("hot", "warm", "cold")
            if band in by_band
        )
        print(f"{name:<32} {m['auc']:>6.3f} {m['brier']:>6.3f}  {bands}")
    learned, rules = report["learned"], report["rules"]
    hot = learned["conversion_by_band"].get("hot", {}).get("conversion", 0)
    checks = {
        f"learned AUC >= {TARGETS['learned_auc']}": learned["auc"] >= TARGETS["learned_auc"],
        f"rules AUC >= {TARGETS['rules_auc']}": rules["auc"] >= TARGETS["rules_auc"],
        f"learned hot conversion >= {TARGETS['hot_conversion']:.0%}": hot >= TARGETS["hot_conversion"],
    }
    for name, ok in checks.items():
        print(f"  {'met' if ok else 'MISSED'}: {name}")
    report["targets_met"] = all(checks.values())


def main(output: Path) -> int:
    capture_url, scoring_url = os.environ.get("CAPTURE_URL"), os.environ.get("SCORING_URL")
    api_key = os.environ.get("LEADFLOW_API_KEY") or uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="leadflow-eval-") as scratch:
        workdir = Path(scratch)
        system = None
        if not (capture_url and scoring_url):
            print("starting a system of its own (leadflow run)")
            overrides = {"CAPTURE_RATE_LIMIT": "0", "SCORING_REFRESH_SECONDS": "1", "LOG_LEVEL": "WARNING"}
            system = LocalSystem(workdir / "data", overrides, api_key=api_key).start()
            capture_url, scoring_url = system.url("capture"), system.url("scoring")
        try:
            started = time.monotonic()
            report = asyncio.run(evaluate_through_system(capture_url, scoring_url, api_key, workdir))
            report["seconds"] = round(time.monotonic() - started, 1)
        finally:
            if system is not None:
                system.stop()
    print_report(report)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"report: {output}")
    return 0 if report["targets_met"] else 1
