#!/usr/bin/env bash
# Checks the monitoring configuration in infra/: the Prometheus config and
# alert rules (promtool check), the alert rules' unit tests (promtool test
# rules), the Grafana dashboard and provisioning, and the compose file
# (parsed, and every file it mounts exists). Installs promtool (Debian
# package `prometheus`) and PyYAML (`python3-yaml`) when missing; running
# it again changes nothing. Metric names are checked against the code by
# `cargo test -p autobook --test monitoring`.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '[monitoring] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
python3 -c 'import yaml' >/dev/null 2>&1 || missing+=(python3-yaml)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

promtool check config prometheus/prometheus.yml
promtool check rules prometheus/alerts.yml
promtool test rules prometheus/alerts.test.yml

python3 - <<'PY'
import json, os, sys, yaml

def fail(message):
    print(f"[monitoring] {message}", file=sys.stderr)
    sys.exit(1)

with open("grafana/autobook-dashboard.json") as f:
    dashboard = json.load(f)
variables = [v for v in dashboard["templating"]["list"] if v.get("type") == "datasource"]
if not any(v.get("query") == "prometheus" for v in variables):
    fail("the dashboard has no Prometheus datasource variable")
rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
for wanted in ["Saga funnel", "Latencies", "Queues", "Providers", "Reconciliation"]:
    if wanted not in rows:
        fail(f"the dashboard has no row {wanted!r}")
for panel in dashboard["panels"]:
    if panel["type"] != "row" and panel.get("datasource", {}).get("uid") != "${datasource}":
        fail(f"panel {panel['title']!r} does not use the datasource variable")

for path in ["grafana/provisioning/datasources/prometheus.yml",
             "grafana/provisioning/dashboards/autobook.yml"]:
    with open(path) as f:
        yaml.safe_load(f)

with open("docker-compose.yml") as f:
    compose = yaml.safe_load(f)
for name, service in compose["services"].items():
    for volume in service.get("volumes", []):
        source = volume.split(":")[0]
        if source.startswith("./") and not os.path.exists(source):
            fail(f"{name} mounts {source}, which does not exist")
print("[monitoring] dashboard, provisioning and compose file OK", file=sys.stderr)
PY
