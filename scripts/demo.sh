#!/usr/bin/env bash
# make demo: the simulator as the Pigment API, the in-process Kafka broker
# (KAFKA_BROKERS=embedded, chosen explicitly), the local Postgres, the extractor, and four
# forwarders writing the events in each SIEM format to files under .demo/.
# Runs DEMO_SECONDS (default 40; 0 = until Ctrl-C), then prints the
# checkpoint, the run history and the counts delivered.
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

go build -o bin/ ./cmd/...

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

echo "demo: pigment-sim on 127.0.0.1:$SIM_PORT (two days of history with planted anomalies, 2 events/s live)"
SIM_ADDR=127.0.0.1:$SIM_PORT SIM_API_KEY=demo-key SIM_RATE=2 SIM_HISTORY=48h SIM_ANOMALIES=true \
  SIM_HISTORY_EVENTS=50000 SIM_LOG_LEVEL=warn bin/pigment-sim &
pids+=($!)
sleep 1

echo "demo: extract run (in-process Kafka on $BROKER, metrics on 127.0.0.1:9101)"
PIGMENT_API_URL=http://127.0.0.1:$SIM_PORT PIGMENT_AUDIT_API_KEY=demo-key \
  KAFKA_EMBEDDED_ADDR=$BROKER METRICS_ADDR=127.0.0.1:9101 \
  EXTRACT_PROGRESS_INTERVAL=2s LOG_FORMAT=console bin/extract run &
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
cleanup
pids=()
echo; echo "demo: checkpoint and runs"
bin/extract checkpoint show
bin/extract runs --limit 5
echo; echo "demo: records delivered per format (events and alerts):"
wc -l .demo/*.log
echo; echo "demo: alerts by rule, as delivered to the HEC file:"
grep -o '"sourcetype":"pigment:alert".*"rule":"[a-z-]*"' .demo/hec.log | grep -o '"rule":"[a-z-]*"' | sort | uniq -c | sort -rn || true
