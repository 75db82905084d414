# The two commands of the README: `make demo` runs the main job on embedded
# defaults, `make test` runs every test. Both work on a fresh machine once
# .ci/run's packages (kcat, rsyslog) and a local Postgres are there.
GO      ?= go
BIN     := bin
PKGS    := ./...
BENCH   ?= .
# The product version report states in every report (report.Version).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build test test-short bench demo vet fmt clean

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

bench:
	./scripts/bench.sh

demo:
	./scripts/demo.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
