"""`make bench`'s report as a person reads it: reports/bench.md and the latency figure."""

from pathlib import Path

from leadflow_cli.bench_cpu import cpu_lines
from leadflow_cli.bench_saturation import saturation_lines


def markdown(report: dict) -> str:
    s, rates = report["saturation"], report["rates"]
    lines = [
        "# make bench",
        "",
        f"{report['when']}, {report['machine']}; "
        + (
            "everything local (tansu, embedded PostgreSQL, five services, load from separate processes)."
            if report["system"] == "started by the bench"
            else "the system given by the environment (its memory not measured); load from this machine."
        ),
        "",
        "| measure | figure | target |",
        "|---|---|---|",
        *saturation_lines(s),
    ]
    for rate, r in rates.items():
        lines.append(
            f"| capture latency at {rate}/s (achieved {r['achieved_per_second']}/s) "
            f"| p50 {r['capture']['p50_ms']} ms · p95 {r['capture']['p95_ms']} "
            f"· p99 **{r['capture']['p99_ms']}** "
            "| p99 ≤ 20 ms at 500/s |"
        )
        lines.append(
            f"| POST → lead.routed at {rate}/s ({r['routed']} leads) "
            f"| p50 **{r['post_to_routed']['p50_ms']}** ms · p99 **{r['post_to_routed']['p99_ms']}** "
            "| p50 ≤ 100, p99 ≤ 500 at 500/s |"
        )
    knee = report["knee"]
    steps = " · ".join(f"{rate}/s {p.get('p99_ms')}" for rate, p in knee["steps"].items())
    lines.append(
        f"| the knee: highest rate with POST → lead.routed p99 ≤ 1 s | **{knee['rate']}/s** "
        f"(p99 ms by rate: {steps}) | ≥ 500/s |"
    )
    a = report["activity_to_scored"]
    lines.append(
        f"| activity → lead.scored ({a['count']} at 50/s) | p50 {a['p50_ms']} ms · p99 **{a['p99_ms']}** "
        "| p99 ≤ 300 ms |"
    )
    for rate, h in report.get("handoff", {}).items():
        for key, label in (
            ("post_to_webhook", "signed webhook at a receiver"),
            ("post_to_mail", "the rep's mail"),
        ):
            lines.append(
                f"| POST → {label} at {rate}/s ({h[key].get('count', 0)} of {h['posted']}) "
                f"| p50 {h[key].get('p50_ms')} ms · p99 **{h[key].get('p99_ms')}** | p99 ≤ 2 s at 50/s |"
            )
    if "cpu" in report:
        lines += cpu_lines(report["cpu"], report["idle_percent_of_a_core"])
    for name, mb in report["peak_rss_mb"].items():
        lines.append(f"| peak RSS {name} | {mb} MB | ≤ 150 MB per service |")
    return "\n".join(lines) + "\n"


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = sorted(report["rates"], key=int)
    figure, axis = plt.subplots(figsize=(7, 4))
    for series, label in (("capture", "capture POST"), ("post_to_routed", "POST → lead.routed")):
        for quantile, style in (("p50_ms", "-o"), ("p99_ms", "--o")):
            axis.plot(
                [int(r) for r in rates],
                [report["rates"][r][series][quantile] for r in rates],
                style,
                label=f"{label} {quantile[:3]}",
            )
    axis.set_xlabel("offered load (leads/s)")
    axis.set_ylabel("latency (ms)")
    axis.set_yscale("log")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    axis.set_title("Leadflow latency against load")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
