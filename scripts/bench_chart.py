#!/usr/bin/env python3
"""Draws docs/benchmarks.png from wlcomm-bench's JSON (scripts/bench.sh writes .build/bench/{sqlite,postgres}.json).

    scripts/bench_chart.py [--out docs/benchmarks.png] [JSON ...]

Three panels: accepted req/s at 64 connections (our /healthz, our POST /sms, Kannel's sendsms); messages per second
end to end (ours under the same load, our blast dispatch, Kannel to its fake SMSC); and each issue target's figure
as a share of its target (1 = met). Needs matplotlib: when it is missing, the script installs it into .venv (the
virtual environment scripts/test.sh uses for its Python tools) and runs itself again from there.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
MATPLOTLIB = "matplotlib==3.10.7"


def ensure_matplotlib():
    """Imports matplotlib, installing it into .venv first when it is missing (then this script runs again from .venv)."""
    try:
        import matplotlib  # noqa: F401

        return
    except ImportError:
        pass
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", MATPLOTLIB], check=True)
        return
    if not VENV_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ROOT / ".venv")], check=True)
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])


def row(run, key):
    """The value of the row `key` of one run, or None."""
    for item in run.get("rows", []):
        if item["key"] == key:
            return item
    return None


def value(run, key):
    item = row(run, key)
    return item["value"] if item else 0.0


def share_of_target(item):
    """The figure as a share of its target: value/target for "≥", target/value for "≤" (1 = met)."""
    target = item["target"]
    if target == "—":
        return None
    bound = float(target.split(" ", 1)[1].replace(",", ""))
    if target.startswith("≥"):
        return item["value"] / bound
    return bound / item["value"] if item["value"] > 0 else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="*", help="wlcomm-bench --json files (default: .build/bench/sqlite.json and postgres.json)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.png"))
    args = parser.parse_args()
    paths = [Path(p) for p in args.json] or [p for p in (ROOT / ".build/bench/sqlite.json", ROOT / ".build/bench/postgres.json") if p.exists()]
    if not paths:
        sys.exit("bench_chart: no JSON; run scripts/bench.sh first")
    runs = [json.loads(p.read_text()) for p in paths]

    ensure_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(17, 5.8))
    colors = {"ours": "#2b6cb0", "ceiling": "#a0aec0", "batch": "#90cdf4", "kannel": "#dd6b20"}
    width = 0.26

    def bars(axis, title, series, ratio_key, ratio_label, legend_columns):
        for index, run in enumerate(runs):
            for offset, (label, key, color) in enumerate(series):
                x = index + (offset - 1) * width
                height = value(run, key)
                axis.bar(x, height, width, color=colors[color], label=label if index == 0 else None)
                axis.text(x, height, f"{height:,.0f}", ha="center", va="bottom", fontsize=8)
            ratio = row(run, ratio_key)
            if ratio:
                top = max(value(run, key) for _, key, _ in series)
                axis.text(index, top * 1.07, f"{ratio_label} {ratio['value']:.2f}", ha="center", fontsize=9, weight="bold")
        axis.set_xticks(range(len(runs)), [f"{run['engine']}" for run in runs])
        axis.set_title(title, fontsize=11)
        axis.set_ylim(0, max(value(run, key) for run in runs for _, key, _ in series) * 1.18 or 1)
        axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=legend_columns)

    bars(
        axes[0],
        "Accepted req/s, 64 connections, wrk",
        [("our GET /healthz", "healthz_rps", "ceiling"), ("our POST /sms", "sms_rps", "ours"), ("Kannel sendsms", "kannel_rps", "kannel")],
        "ours_over_kannel_rps",
        "ours ÷ Kannel",
        3,
    )
    bars(
        axes[1],
        "Messages/s end to end",
        [
            ("ours: POST /sms under load → final", "sms_e2e_mps", "ours"),
            ("ours: blast 202 → final", "dispatch_mps", "batch"),
            ("Kannel: sendsms → fake SMSC", "kannel_e2e_mps", "kannel"),
        ],
        "ours_over_kannel_e2e",
        "ours ÷ Kannel",
        1,
    )

    axis = axes[2]
    keys = ["sms_over_healthz", "blast_accept_ms", "dispatch_mps", "webhook_eps", "webhook_p99_ms", "email_ps"]
    names = ["POST /sms ÷\n/healthz", "blast\nto 202", "dispatch", "webhook\nevents/s", "webhook\np99", "email/s"]
    highest = 1.0
    for index, run in enumerate(runs):
        shares = []
        for key in keys:
            item = row(run, key)
            share = share_of_target(item) if item else None
            shares.append(share or 0)
        highest = max([highest] + shares)
        offset = (index - (len(runs) - 1) / 2) * 0.38
        xs = [k + offset for k in range(len(keys))]
        axis.bar(xs, shares, 0.36, label=run["engine"], color=["#2b6cb0", "#38a169"][index % 2])
        for x, share in zip(xs, shares):
            axis.text(x, share if share > 0 else 0.006, f"{share:.2f}" if share > 0 else "n/a", ha="center", va="bottom", fontsize=7)
    axis.axhline(1, color="black", linewidth=1, linestyle="--")
    axis.text(len(keys) - 0.5, 1.05, "target", ha="right", fontsize=8)
    axis.set_yscale("log")
    # Room above the tallest bar for its label (a p99 far under its bound is a share of several).
    axis.set_ylim(0.005, max(2, highest * 1.8))
    axis.set_xticks(range(len(keys)), names, fontsize=8)
    axis.set_title("Issue #11 targets: figure as a share of target (1 = met)", fontsize=11)
    axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)

    first = runs[0]
    figure.suptitle(
        f"wlcomm-bench, {first['build']} build, {first['cores']} cores, {first['date'][:10]}"
        + (" (short run)" if first.get("short") else ""),
        fontsize=12,
    )
    figure.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=110)
    print(f"bench_chart: wrote {args.out}")


if __name__ == "__main__":
    main()
