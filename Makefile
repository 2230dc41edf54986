# wahook's everyday commands. Needs only Go (and a C compiler for -race, which .ci/run installs).
GO      ?= go
BIN     := bin/wahook
FUZZTIME ?= 5s

.PHONY: all build demo test test-short vet bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/wahook
	$(GO) build -o bin/reference-receiver ./examples/receiver/cmd/reference-receiver

# The README's first command: build wahook and the reference receiver (examples/receiver), start the
# receiver on a free loopback port, run the conformance suite against it for both providers (strict
# profile, with credentials), stop it. Exits 0 only when every case passed.
demo: build
	@sh examples/receiver/demo.sh $(BIN) bin/reference-receiver

test: vet
	@echo "make test: go test -race ./... (about 3 minutes on 2 cores, most of it compiling; each package prints as it finishes)"
	$(GO) test -race ./...

# The edit loop's tier: every package's tests without the race detector, the long soak tests skipped
# (testing.Short). CI runs the full suite, make test.
test-short: vet
	$(GO) test -short ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(MAKE) bench-gen bench-send

# Runs every native fuzz target for FUZZTIME each; a crasher lands in the package's testdata/fuzz/.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin

.PHONY: fixtures bench-gen

# The golden corpus, fixtures/generated: 3 valid payloads per provider and type, and the malformed
# catalogue, less oversized-body (3 MiB a type) and with each systematic mutation on one type only.
# TestGoldenCorpus in internal/corpus holds it to the generator; keep both command lines in step.
fixtures:
	rm -rf fixtures/generated
	$(GO) run ./cmd/wahook gen --out fixtures/generated --seed 1 --count 120 --malformed \
		--skip-mutation oversized-body --systematic-first-type --quiet

# Times wahook gen writing 1,000,000 JSONL payloads against a bare gofakeit + encoding/json baseline.
bench-gen:
	$(GO) run ./internal/benchgen -count 1000000

.PHONY: bench-send

# Times wahook send against wrk and hey on a loopback sink (installs wrk with apt-get and hey with go
# install if missing); see scripts/bench-send.sh. ROUNDS, COUNT and SECONDS_PER_RUN shorten it.
bench-send:
	GO=$(GO) bash scripts/bench-send.sh

.PHONY: bench-conform

# Times the whole conformance suite against the reference receiver, per provider (budget: 5s each),
# then against a receiver that stalls on documents and one that is serialised (minutes each).
bench-conform:
	$(GO) test -run '^$$' -bench '^BenchmarkSuite$$' -benchtime 3x ./conformance
	WAHOOK_SLOW_BENCH=1 $(GO) test -run '^$$' -bench '^BenchmarkSlowReceivers$$' -benchtime 1x -timeout 30m ./conformance
