# esgen developer tasks. `make test` is what CI runs (.ci/run).
GO      ?= go
PKGS    ?= ./...
ESGEN   := $(GO) run ./cmd/esgen

.PHONY: test test-short generate check bench demo fmt

## demo: the order workflow example on a fresh embedded (SQLite) store; no server needed.
demo:
	$(GO) run ./examples/orders demo

## test: every test, PostgreSQL included, with the race detector.
## Without ESGEN_TEST_DATABASE_URL the tests start a throwaway PostgreSQL server themselves.
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

## test-short: the quick subset (no crash loops, no long concurrency runs).
test-short:
	$(GO) test -short -count=1 $(PKGS)

## generate: regenerate every generated package (go generate).
generate:
	$(GO) generate $(PKGS)

## check: what CI guards besides tests: vet, gofmt, contracts and stale generated code.
check:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(ESGEN) check --config examples/orders/esgen.yaml
	$(ESGEN) generate --check --config examples/orders/esgen.yaml

## bench: the benchmarks behind docs/benchmarks.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
