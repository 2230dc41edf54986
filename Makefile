# wahook's everyday commands. Needs only Go (and a C compiler for -race, which .ci/run installs).
GO      ?= go
BIN     := bin/wahook
FUZZTIME ?= 30s

.PHONY: all build demo test vet bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/wahook

# The main job against the built-in default: validate every documented example of both providers.
# Exit 1 from validate is the expected verdict here (two examples are the providers' own broken JSON).
demo: build
	@echo "== wahook validate: every documented example of InnoPaaS and ITNIO Tech =="
	@./$(BIN) validate fixtures/documented/*/*.json fixtures/authored/*/*.json; status=$$?; \
	if [ $$status -eq 1 ]; then \
		echo "== exit 1, as expected: the *.verbatim.json files are examples the providers printed as broken JSON; their corrected copies pass =="; \
		exit 0; \
	fi; exit $$status

test: vet
	$(GO) test -race ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

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
# TestGoldenCorpus in fixtures/corpus holds it to the generator; keep both command lines in step.
fixtures:
	rm -rf fixtures/generated
	$(GO) run ./cmd/wahook gen --out fixtures/generated --seed 1 --count 75 --malformed \
		--skip-mutation oversized-body --systematic-first-type --quiet

# Times wahook gen writing 1,000,000 JSONL payloads against a bare gofakeit + encoding/json baseline.
bench-gen:
	$(GO) run ./internal/benchgen -count 1000000
