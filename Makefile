# tether build, test and benchmark entry points. Every target runs on a fresh
# clone with only the Go toolchain (differential tests skip without haproxy;
# .ci/run installs it).

GO       ?= go
BIN      := bin
BINARIES := $(patsubst cmd/%/main.go,%,$(wildcard cmd/*/main.go))
FUZZTIME ?= 10s
PKGS     := ./...

.PHONY: all build test vet unit bench fuzz demo clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# test runs vet, the allocation tests without the race detector (under it
# sync.Pool drops at random, so counts mean nothing) one package at a time
# (an idle loop's clock ticks allocate in gnet, so a starved test counts
# more of them per request), then every unit and
# integration test under the race detector in a shuffled order, with the
# differential tests against haproxy when it is installed (they are ordinary
# tests that skip with a message otherwise). Packages run one at a time (-p 1):
# haproxy binds with SO_REUSEPORT, so two packages' tests that picked the same
# free port at once would share it and see each other's traffic.
test: vet build
	$(GO) test -count=1 -p 1 -run Alloc $(PKGS)
	TETHER_BIN=$(CURDIR)/$(BIN)/tether $(GO) test -race -shuffle=on -p 1 -parallel 8 -timeout 9m -count=1 $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# fuzz runs every Fuzz target for FUZZTIME each (go test allows one target per run).
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

demo: build
	@./bench/demo/run.sh

clean:
	rm -rf $(BIN)
	$(GO) clean -testcache
