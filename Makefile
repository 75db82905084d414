# The two commands of the README: `make demo` runs the main job on embedded
# defaults, `make test` runs every test. Both work on a fresh machine once
# .ci/run's packages (kcat, rsyslog) and a local Postgres are there.
GO      ?= go
BIN     := bin
PKGS    := ./...
BENCH   ?= .
# The product version report states in every report (report.Version).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build test test-short bench demo vet fmt clean splunk-app kibana-objects siem

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet $(PKGS)

# The second step restarts the local Postgres mid-run, so it runs alone.
test: vet
	$(GO) test -count=1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -tags pgrestart -run TestPostgresRestartMidRun ./internal/extractor/

test-short:
	$(GO) test -short -count=1 $(PKGS)

# The Splunk app (siem/splunk/pigment_audit) as an installable package: top
# directory pigment_audit/, entries sorted, fixed owner, modes and mtime, gzip
# without a timestamp, so the same sources give the same bytes.
SPLUNK_APP_TGZ ?= $(BIN)/pigment_audit.tgz
SPLUNK_APP_MTIME := 2026-01-01 00:00:00Z

splunk-app:
	@mkdir -p $(dir $(SPLUNK_APP_TGZ))
	tar --sort=name --mtime='$(SPLUNK_APP_MTIME)' --owner=0 --group=0 --numeric-owner \
		--mode='u=rwX,go=rX' --format=ustar -C siem/splunk -cf - pigment_audit | gzip -9 -n > $(SPLUNK_APP_TGZ)
	@echo "splunk-app: $(SPLUNK_APP_TGZ) (install: Apps > Install app from file, or splunk install app $(SPLUNK_APP_TGZ))"

# The Kibana saved objects are described in Go (siem/kibana) and rendered
# into siem/kibana/pigment.ndjson; a test fails when the two differ.
kibana-objects:
	$(GO) generate ./siem/kibana
	@echo "kibana-objects: siem/kibana/pigment.ndjson (forward setup imports it when KIBANA_URL is set)"

# Both SIEMs' content.
siem: splunk-app kibana-objects

bench:
	./scripts/bench.sh

demo:
	./scripts/demo.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
