#!/usr/bin/env bash
# make demo: the simulator as the Pigment API, the in-process Kafka broker
# (KAFKA_BROKERS=embedded, chosen explicitly), the local Postgres, the extractor, and four
# forwarders writing the events in each SIEM format to files under .demo/, and
# the archive (forward SINK=postgres) in the demo database, and one inventory
# snapshot of the simulator's Metadata API (inventory once). Runs DEMO_SECONDS
# (default 40; 0 = until Ctrl-C), then writes the weekly report of the last
# complete week of the simulated history from the archive, and prints the
# checkpoint, the run history, the counts delivered, the inventory's findings
# and where the report is.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_SECONDS=${DEMO_SECONDS:-40}
SIM_PORT=${SIM_PORT:-18080}
ADMIN_URL=${ADMIN_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
DEMO_DB=${DEMO_DB:-pigment_demo}
BROKER=${KAFKA_EMBEDDED_ADDR:-127.0.0.1:19092}
# The in-memory broker inside extract, which keeps nothing after exit; forward
# and detect reach it at KAFKA_EMBEDDED_ADDR.
export KAFKA_BROKERS=embedded
# One budget for extract and the inventory, as in production, but larger than
# Pigment's 500/5m so that the inventory's snapshot (about 5,000 requests)
# takes seconds, not hours; extract keeps its usual 4s poll.
DEMO_RATE=30000
export PIGMENT_RATE_LIMIT=$DEMO_RATE/5m

go build -ldflags "-X main.version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)" -o bin/ ./cmd/...

echo "demo: fresh database $DEMO_DB"
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DEMO_DB WITH (FORCE)" -c "CREATE DATABASE $DEMO_DB"
export DATABASE_URL="${ADMIN_URL/\/postgres\?//$DEMO_DB?}"

pids=()
# cleanup stops the programs in the reverse order of their start, each
# before the next: the forwarders and detect finish their batches while the
# in-memory broker inside extract is still there to commit them.
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

# Two weeks of history: the last complete ISO week, which the weekly report
# covers, lies wholly inside it.
echo "demo: pigment-sim on 127.0.0.1:$SIM_PORT (two weeks of history with planted anomalies, 2 events/s live)"
SIM_ADDR=127.0.0.1:$SIM_PORT SIM_API_KEY=demo-key SIM_METADATA_API_KEY=demo-metadata-key SIM_RATE=2 SIM_HISTORY=336h \
  SIM_ANOMALIES=true SIM_HISTORY_EVENTS=50000 SIM_RATE_LIMIT=$DEMO_RATE SIM_LOG_LEVEL=warn bin/pigment-sim &
pids+=($!)
sleep 1

echo "demo: extract run (in-process Kafka on $BROKER, metrics on 127.0.0.1:9101)"
PIGMENT_API_URL=http://127.0.0.1:$SIM_PORT PIGMENT_AUDIT_API_KEY=demo-key \
  KAFKA_EMBEDDED_ADDR=$BROKER METRICS_ADDR=127.0.0.1:9101 \
  PIGMENT_POLL_INTERVAL=4s EXTRACT_PROGRESS_INTERVAL=2s LOG_FORMAT=console bin/extract run &
pids+=($!)
sleep 2

echo "demo: detect run (alerts to pigment.audit.alerts)"
KAFKA_EMBEDDED_ADDR=$BROKER METRICS_ADDR=127.0.0.1:0 DETECT_NAME=demo LOG_LEVEL=warn LOG_FORMAT=console \
  bin/detect run &
pids+=($!)

mkdir -p .demo && rm -f .demo/*.log
for fmt in hec ecs rfc5424 cef; do
  echo "demo: forward SINK=file FILE_FORMAT=$fmt -> .demo/$fmt.log"
  SINK=file FILE_FORMAT=$fmt FILE_PATH=.demo/$fmt.log KAFKA_GROUP_ID=demo-$fmt KAFKA_EMBEDDED_ADDR=$BROKER \
    METRICS_ADDR=127.0.0.1:0 LOG_LEVEL=warn LOG_FORMAT=console bin/forward run &
  pids+=($!)
done

echo "demo: forward SINK=postgres -> the archive in $DEMO_DB (tables archive_events, archive_alerts)"
SINK=postgres KAFKA_EMBEDDED_ADDR=$BROKER METRICS_ADDR=127.0.0.1:0 LOG_LEVEL=warn LOG_FORMAT=console bin/forward run &
pids+=($!)

echo "demo: inventory once (the simulator's Metadata API, on extract's budget; findings to pigment.audit.alerts)"
PIGMENT_API_URL=http://127.0.0.1:$SIM_PORT PIGMENT_METADATA_API_KEY=demo-metadata-key KAFKA_EMBEDDED_ADDR=$BROKER \
  LOG_LEVEL=warn LOG_FORMAT=console bin/inventory once > .demo/inventory.out &
inventory_pid=$!

sleep 8
for fmt in hec ecs rfc5424 cef; do
  echo; echo "demo: first event as delivered in format $fmt ($(wc -l < .demo/$fmt.log 2>/dev/null || echo 0) so far):"
  head -n1 .demo/$fmt.log 2>/dev/null | cut -c1-600
done
if command -v kcat >/dev/null 2>&1; then
  echo; echo "demo: three events as kcat (an independent Kafka client) reads them:"
  kcat -b "$BROKER" -t pigment.audit.events -C -o beginning -c 3 -e -q \
    -f 'partition=%p offset=%o key=%k headers=%h\n%s\n\n' || true
fi
curl -fsS http://127.0.0.1:9101/metrics 2>/dev/null | grep -E '^pigment_(extract_events_produced|api_responses)_total' || true

if [ "$DEMO_SECONDS" = 0 ]; then wait; else sleep "$DEMO_SECONDS"; fi

inventory_ok=true
wait "$inventory_pid" || inventory_ok=false
if [ "$inventory_ok" = true ]; then
  echo; echo "demo: inventory once:"; cat .demo/inventory.out
  echo; echo "demo: inventory show (the snapshot, its largest applications and findings):"
  bin/inventory show > .demo/inventory.show # whole: head closing a pipe early would fail the demo
  head -n 40 .demo/inventory.show
else
  echo "demo: inventory once failed (its log is above)"
fi

# The report reads the archive; it checks first that extract and the archive
# hold the whole week (the broker is inside extract: before cleanup).
REPORT_DIR=.demo/reports/weekly
rm -rf .demo/reports
echo; echo "demo: report weekly (the last complete week, from the archive)"
report_ok=true
KAFKA_EMBEDDED_ADDR=$BROKER LOG_FORMAT=console bin/report weekly --out "$REPORT_DIR" || report_ok=false
cleanup
pids=()
echo; echo "demo: checkpoint and runs"
bin/extract checkpoint show
bin/extract runs --limit 5
echo; echo "demo: records delivered per format (events and alerts):"
wc -l .demo/*.log
echo; echo "demo: alerts by rule, as delivered to the HEC file:"
grep -o '"sourcetype":"pigment:alert".*"rule":"[a-z-]*"' .demo/hec.log | grep -o '"rule":"[a-z-]*"' | sort | uniq -c | sort -rn || true
if [ "$report_ok" = true ]; then
  echo; echo "demo: the weekly report, verified against its manifest:"
  bin/report verify "$REPORT_DIR"
  ls -l "$REPORT_DIR"
  if [ -f "$REPORT_DIR/report.html" ]; then
    echo "demo: open file://$(cd "$REPORT_DIR" && pwd)/report.html"
  else
    echo "demo: read $REPORT_DIR/report.json"
  fi
fi
# The SIEM content: the Splunk app for the HEC events above.
echo; echo "demo: the Splunk app (make splunk-app; install from file, see README \"## Splunk app\"):"
make -s splunk-app SPLUNK_APP_TGZ=bin/pigment_audit.tgz
echo "demo: the Kibana saved objects (data view and four dashboards): $(pwd)/siem/kibana/pigment.ndjson"
echo "      (forward setup imports them when KIBANA_URL is set, see README \"### Kibana dashboards\")"

# The MCP server over the demo's archive: a login role granted the read-only
# role the migrations created, and how to connect a client to it.
psql -q "$DATABASE_URL" -c "DO \$\$ BEGIN CREATE ROLE pigment_demo_mcp LOGIN IN ROLE pigment_mcp_reader; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
MCP_URL="${DATABASE_URL/postgres@/pigment_demo_mcp@}"
echo; echo "demo: ask the archive from an MCP client (README \"## mcp\"); over stdio, Claude Desktop's claude_desktop_config.json:"
cat <<JSON
  {"mcpServers": {"pigment-audit": {"command": "$(pwd)/bin/mcp", "args": ["serve"],
    "env": {"MCP_DATABASE_URL": "$MCP_URL", "MCP_REPORTS_DIR": "$(pwd)/.demo/reports"}}}}
JSON
echo "demo: over HTTP: DATABASE_URL=$DATABASE_URL bin/mcp tokens add me --scopes events,alerts,inventory,reports"
echo "      then MCP_DATABASE_URL=$MCP_URL bin/mcp serve --http 127.0.0.1:8765 (URL http://127.0.0.1:8765/mcp, header Authorization: Bearer <token>)"
