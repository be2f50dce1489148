#!/usr/bin/env python3
"""Checks the monitoring kit in deploy/ against the metrics the service exports.

- deploy/grafana-dashboard.json parses, takes its data source as the import input `DS_PROMETHEUS` (every panel,
  query and variable uses `${DS_PROMETHEUS}`), uses only panel types built into Grafana (no plugin to install), and
  has unique panel ids;
- every PromQL expression in it (panel queries and the variable's `label_values(...)`), and every `expr` of
  deploy/alerts.yml when PyYAML is there, names only exported metrics, matches and groups only by their labels
  (plus Prometheus' `instance` and `job`, and `le` on histogram buckets), and calls only PromQL functions.

The exported metrics are read from the Swift sources (each `descriptor("name", unit: "…")` in Sources/WLApp; a
histogram when made by `make…Histogram`, so `_bucket`, `_sum` and `_count`), their labels from the series table in
docs/operate.md (Monitoring), which must list every exported metric.

Usage: dashboard_check.py   (standard library; PyYAML for the alert rules' expressions)
"""
import glob
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DASHBOARD = "deploy/grafana-dashboard.json"
ALERTS = "deploy/alerts.yml"
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
CORE_PANELS = {"row", "timeseries", "stat", "gauge", "bargauge", "table", "text", "barchart", "piechart", "heatmap",
               "histogram", "state-timeline", "status-history", "logs", "dashlist", "alertlist", "news"}
ALWAYS_LABELS = {"instance", "job"}
FUNCTIONS = {
    # aggregations
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
    # functions
    "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "day_of_month",
    "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp", "floor", "histogram_quantile",
    "holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace", "ln", "log2", "log10",
    "minute", "month", "predict_linear", "rate", "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sqrt",
    "time", "timestamp", "vector", "year", "avg_over_time", "min_over_time", "max_over_time", "sum_over_time",
    "count_over_time", "quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
    "present_over_time",
}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset"}
# A string, a range or subquery ([5m], [$__rate_interval]: never checked), a number or duration, a name, an operator.
TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<range>\[[^\]]*\])'
                   r'|(?P<number>\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:(?:ms|[smhdwy])\d*)*)|(?P<ident>[A-Za-z_:][\w:]*)'
                   r'|(?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=(){},]))')


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, what, ok, detail=""):
        print(("PASS " if ok else "FAIL ") + what + (f": {detail}" if detail else ""))
        self.failed += 0 if ok else 1


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def exported_metrics():
    """{series name: histogram?} from the Swift sources."""
    pattern = re.compile(r'(make\w*Histogram\(\s*descriptor:\s*(?:PrometheusMetrics\.)?)?\bdescriptor\(\s*"(\w+)"'
                         r'(?:\s*,\s*unit:\s*"(\w*)")?')
    metrics = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "Sources/WLApp/*.swift"))):
        with open(path, encoding="utf-8") as f:
            for histogram, name, unit in pattern.findall(f.read()):
                metrics["wlcomm_" + name + (f"_{unit}" if unit else "")] = bool(histogram)
    return metrics


def documented_labels():
    """{metric: set of labels} from the series table of docs/operate.md."""
    labels = {}
    for name, names in re.findall(r"^\| `(wlcomm_\w+)(?:\{([\w,]*)\})?` \|", read("docs/operate.md"), re.M):
        labels[name] = set(filter(None, names.split(",")))
    return labels


def series_labels(metrics, labels):
    """{series name as queried: allowed labels}, histograms expanded into _bucket, _sum and _count."""
    series = {}
    for name, histogram in metrics.items():
        allowed = labels.get(name, set()) | ALWAYS_LABELS
        if histogram:
            series[name + "_bucket"] = allowed | {"le"}
            series[name + "_sum"] = series[name + "_count"] = allowed
        else:
            series[name] = allowed
    return series


def problems(expr, series):
    """What is wrong with one PromQL expression (empty when nothing is)."""
    # Grafana's variable query label_values(selector, label) asks what `group by (label) (selector)` would.
    variable = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", expr, re.S)
    if variable:
        expr = f"group by ({variable[2]}) ({variable[1]})"
    tokens, position = [], 0
    while position < len(expr.rstrip()):
        match = TOKEN.match(expr, position)
        if not match:
            return [f"cannot read {expr[position:position + 20]!r}"]
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    found, grouped, named = [], set(), set()
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        following = tokens[i + 1][1] if i + 1 < len(tokens) else None
        if kind == "ident" and text in GROUPING:
            if following == "(":
                i += 2
                while i < len(tokens) and tokens[i][1] != ")":
                    if tokens[i][0] == "ident":
                        grouped.add(tokens[i][1])
                    i += 1
        elif kind == "ident" and (following == "(" or (text in FUNCTIONS and following in ("by", "without"))):
            if text not in FUNCTIONS:
                found.append(f"unknown function {text}")
        elif kind == "ident" and text in KEYWORDS:
            pass
        elif kind == "ident" or (kind == "op" and text == "{"):
            name = text if kind == "ident" else None
            if name is None:
                found.append("a selector without a metric name")
            elif name not in series:
                found.append(f"{name} is not exported")
            named.add(name)
            if following == "{" or name is None:
                i += 1 if name is None else 2
                while i < len(tokens) and tokens[i][1] != "}":
                    if tokens[i][0] == "ident" and name in series and tokens[i][1] not in series[name]:
                        found.append(f"{name} has no label {tokens[i][1]}")
                    i += 1
        i += 1
    available = set().union(*(series.get(n, set()) for n in named)) if named else set()
    found += [f"no metric here has the label {label}" for label in sorted(grouped - available)]
    return found


def queries(dashboard):
    """(where, expr) of every query in the dashboard: panel targets (nested rows too) and query variables."""
    def panels(items):
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    for panel in panels(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            yield f"panel {panel.get('title')!r} {target.get('refId')}", target.get("expr", "")
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable.get("query")
            yield f"variable {variable.get('name')}", query.get("query", "") if isinstance(query, dict) else query


def datasources(node, where="dashboard"):
    """(where, value) of every `datasource` in the dashboard but the built-in annotation's."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource" and not (isinstance(value, dict) and value.get("type") == "grafana"):
                yield where, value
            elif key != "annotations":
                yield from datasources(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from datasources(value, f"{where}[{index}]")


def main():
    checks = Checks()
    metrics = exported_metrics()
    labels = documented_labels()
    series = series_labels(metrics, labels)
    checks.check("the Swift sources export wlcomm_ metrics", len(metrics) >= 10, f"{len(metrics)} found")
    undocumented = sorted(set(metrics) - set(labels))
    checks.check("docs/operate.md's series table lists every exported metric (their labels come from it)",
                 not undocumented, ", ".join(undocumented))

    try:
        dashboard = json.loads(read(DASHBOARD))
    except (OSError, ValueError) as error:
        checks.check(f"{DASHBOARD} parses", False, str(error))
        return checks.failed
    checks.check(f"{DASHBOARD} parses", True)
    inputs = [i.get("name") for i in dashboard.get("__inputs", []) if i.get("pluginId") == "prometheus"]
    checks.check("its data source is the import input DS_PROMETHEUS", inputs == ["DS_PROMETHEUS"], str(inputs))
    wrong = [where for where, value in datasources(dashboard) if value != DATASOURCE]
    checks.check("every panel, query and variable uses ${DS_PROMETHEUS}", not wrong, ", ".join(wrong[:5]))
    all_panels = []
    stack = list(dashboard.get("panels", []))
    while stack:
        panel = stack.pop(0)
        all_panels.append(panel)
        stack += panel.get("panels", [])
    types = {p.get("type") for p in all_panels}
    required = {r.get("id") for r in dashboard.get("__requires", []) if r.get("type") == "panel"}
    checks.check("only panel types built into Grafana, each in __requires",
                 types <= CORE_PANELS and types - {"row"} <= required,
                 f"types {sorted(types)}, required {sorted(required)}")
    ids = [p.get("id") for p in all_panels]
    checks.check("panel ids are unique", len(ids) == len(set(ids)))

    exprs = list(queries(dashboard))
    bad = [f"{where}: {'; '.join(found)}" for where, expr in exprs if (found := problems(expr, series))]
    bad += [f"{where}: empty" for where, expr in exprs if not expr.strip()]
    checks.check(f"the dashboard's {len(exprs)} queries name only exported metrics and their labels",
                 not bad, " | ".join(bad))

    try:
        import yaml
    except ImportError:
        print(f"SKIP PyYAML is not installed: the expressions of {ALERTS} are not checked")
        return checks.failed
    rules = [rule for group in yaml.safe_load(read(ALERTS)).get("groups", []) for rule in group.get("rules", [])]
    bad = [f"{rule.get('alert') or rule.get('record')}: {'; '.join(found)}" for rule in rules
           if (found := problems(rule.get("expr", ""), series))]
    checks.check(f"the {len(rules)} alert rules' expressions name only exported metrics and their labels",
                 not bad, " | ".join(bad))
    unlabelled = [rule.get("alert") for rule in rules if "alert" in rule and not (
        rule.get("for") and rule.get("labels", {}).get("severity")
        and {"summary", "description"} <= set(rule.get("annotations", {})))]
    checks.check("every alert has for:, a severity label, a summary and a description",
                 not unlabelled, ", ".join(unlabelled))
    return checks.failed


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
