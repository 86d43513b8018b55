# Drover: `make dev` runs a local cluster, `make test` runs every test.
# Both install ZooKeeper (Debian's zookeeper package) when it is missing.

GO      ?= go
BIN     := bin/drover
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
ZK_JAR  := /usr/share/java/zookeeper.jar
# sudo for apt-get, when we are not root and sudo exists.
SUDO    := $(shell [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && echo sudo)

.PHONY: all deps browser build dev test vet lint fuzz chaos bench clean

all: build

# deps installs ZooKeeper (and Java with it) where it is missing. A ZooKeeper
# from elsewhere is used when DROVER_ZK_CLASSPATH names its jars.
deps:
	@if command -v java >/dev/null 2>&1 && { [ -f $(ZK_JAR) ] || [ -n "$$DROVER_ZK_CLASSPATH" ]; }; then \
		exit 0; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "ZooKeeper is not installed and apt-get is not available: install Java and Apache ZooKeeper 3.5+, then set DROVER_ZK_CLASSPATH to its jars" >&2; \
		exit 1; \
	elif [ "$$(id -u)" != 0 ] && [ -z "$(SUDO)" ]; then \
		echo "ZooKeeper is not installed and sudo is not available: run 'apt-get install -y zookeeper' as root" >&2; \
		exit 1; \
	else \
		echo "installing ZooKeeper: $(strip $(SUDO) apt-get install -y zookeeper)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper; \
	fi

# browser installs Chromium for the dashboard test where apt-get can (the test
# skips with a message elsewhere).
browser:
	@if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && { [ "$$(id -u)" = 0 ] || [ -n "$(SUDO)" ]; }; then \
		echo "installing Chromium for the dashboard test: apt-get install -y chromium"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/drover

# DEV_FLAGS are drover dev's flags: make dev DEV_FLAGS="--zk-port 2182 --workers 2"
DEV_FLAGS ?=
dev: deps build
	./$(BIN) dev $(DEV_FLAGS)

vet:
	$(GO) vet ./...

test: deps browser vet
	$(GO) test -race -count=1 -timeout 20m ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=20000x

# fuzz runs every fuzz target for FUZZTIME each (seed corpus in testdata/fuzz):
# a duration (30s) or a count of inputs (20000x). make test uses a count: a
# duration races the fuzz coordinator's own deadline in Go before 1.27
# (golang/go#75804) and then fails a target with "context deadline exceeded"
# though it found nothing.
FUZZTIME ?= 30s
fuzz:
	@for t in FuzzDecodeTask FuzzDecodeWorker FuzzDecodeSchedule FuzzDecodeManifest FuzzParseAssignmentName; do \
		$(GO) test -run XXX -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./store || exit 1; \
	done
	@$(GO) test -run XXX -fuzz '^FuzzReadSpecs$$' -fuzztime $(FUZZTIME) ./client
	@$(GO) test -run XXX -fuzz '^FuzzParseSpec$$' -fuzztime $(FUZZTIME) ./scheduler

# lint: formatting and vet (no tools beyond the Go distribution).
lint: vet
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi

# chaos runs the full fault-injection suite (the short mode is part of test).
# CHAOS_RUNS=5 repeats it.
CHAOS_RUNS ?= 1
chaos: deps
	@log=$$(mktemp); for i in $$(seq 1 $(CHAOS_RUNS)); do \
		echo "chaos run $$i of $(CHAOS_RUNS) (log: $$log)"; \
		if ! $(GO) test -count=1 -timeout 30m -run TestChaos ./test/chaos -chaos.full -v >$$log 2>&1; then \
			grep -vE '^\s+\{' $$log | tail -60; exit 1; \
		fi; \
		grep -E '^chaos:' $$log; \
	done

# bench runs `drover bench` against a ZooKeeper it starts itself (see
# docs/PERFORMANCE.md); BENCH_ARGS="-o json --duration 3s" passes flags.
BENCH_ARGS ?=
bench: deps build
	./$(BIN) bench $(BENCH_ARGS)

clean:
	rm -rf bin
