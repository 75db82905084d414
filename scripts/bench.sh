#!/usr/bin/env bash
# make bench: every benchmark of the project, one run each, in one go so the
# ratios in BENCHMARKS.md compare figures measured on the same machine at the
# same time. Output also goes to bench.out.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "# $(date -u +%FT%TZ) $(go version) $(nproc) cores"
  go test -run '^$' -bench 'BenchmarkRawProduce|BenchmarkExtract|BenchmarkRateLimitedCatchUp' -benchtime 1x ./internal/extractor/
  go test -run '^$' -bench . -benchmem ./internal/pigment/ ./internal/pigmentsim/
  go test -run '^$' -bench 'BenchmarkCommitPage' -benchtime 50x ./internal/checkpoint/
  go test -run '^$' -bench 'BenchmarkExtractMemory' -benchtime 1x ./cmd/extract/
  # BenchmarkForward includes the archive (SINK=postgres): the local Postgres, or TEST_DATABASE_URL.
  go test -run '^$' -bench 'BenchmarkForward$' -benchtime 1x -timeout 30m ./internal/forwarder/
  # The forward run process alone (the real binary, defaults) per sink, five rounds each against the
  # raw consume of its round: rate, CPU per event, peak RSS; 1M and 5M backlogs (the archive at 1M
  # only: 5M rows are about 8 GB of Postgres per run).
  go test -run '^$' -bench 'BenchmarkForwardMemory' -benchtime 1x -timeout 90m ./cmd/forward/
  BENCH_MEMORY_EVENTS=5000000 go test -run '^$' -bench 'BenchmarkForwardMemory/(raw|splunk|elastic|syslog|file)' -benchtime 1x -timeout 180m ./cmd/forward/
  go test -run '^$' -bench 'BenchmarkConsume$' -benchtime 1x ./internal/consumer/
  go test -run '^$' -bench 'BenchmarkParse$|BenchmarkParseAPI$' -benchmem ./internal/event/
  go test -run '^$' -bench 'BenchmarkGzipLevels' ./internal/sinks/
  go test -run '^$' -bench . -benchmem ./internal/transform/
  go test -run '^$' -bench 'BenchmarkEngine' -benchmem -cpu 1 ./internal/detect/
  go test -count=1 -run 'TestStateMemory' -v ./internal/detect/ | grep -E 'actors|MB|B/actor'
  # Freshness on the defaults: about 80 s of wall time (45 s measured).
  go test -run '^$' -bench 'BenchmarkFreshness' -benchtime 1x ./e2e/
} 2>&1 | grep -v '"level"' | tee bench.out
