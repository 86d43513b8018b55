# Drover: `make dev` runs a local cluster, `make test` runs every test.
# Both install ZooKeeper (Debian's zookeeper package) when it is missing.

GO      ?= go
BIN     := bin/drover
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
SUDO    := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo)

.PHONY: all deps build dev test vet chaos clean

all: build

# deps installs ZooKeeper (and Java with it) where it is missing.
deps:
	@if command -v java >/dev/null 2>&1 && [ -f /usr/share/java/zookeeper.jar -o -n "$$DROVER_ZK_CLASSPATH" ]; then \
		exit 0; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "installing ZooKeeper: apt-get install -y zookeeper"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq zookeeper >/dev/null; \
	else \
		echo "ZooKeeper is missing and apt-get is not available: install Apache ZooKeeper 3.5+ and Java, then set DROVER_ZK_CLASSPATH to its jars" >&2; \
		exit 1; \
	fi

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/drover

dev: deps build
	./$(BIN) dev

vet:
	$(GO) vet ./...

test: deps vet
	$(GO) test -race -count=1 -timeout 20m ./...

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

clean:
	rm -rf bin
