# relaywiz — build and test entry points. `make test` is what CI runs.
GO ?= go
BIN ?= bin/relaywiz

.PHONY: test deps vet cross unit build bench clean peers-up peers-down

## test: install missing peers, vet (linux, windows, darwin), cross-build, run every test with real peers
test: deps vet cross
	bash .ci/test.sh

## deps: install Postfix, Dovecot, swaks, gnome-keyring, dbus, tmux when missing (root, apt-get)
deps:
	bash .ci/install-deps.sh

## vet: go vet for the three platforms relaywiz ships on
vet:
	$(GO) vet ./...
	GOOS=windows GOARCH=amd64 $(GO) vet ./...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...

## cross: build the binary for Windows admin workstations and macOS
cross:
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/relaywiz
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/relaywiz

## unit: fast tests only, no peers (integration tests skip outside CI)
unit:
	$(GO) test ./...

## build: the binary for this machine
build:
	$(GO) build -o $(BIN) ./cmd/relaywiz

## bench: the performance goals (check round trips, relay overhead, first frame)
bench:
	bash .ci/peers.sh up /tmp/relaywiz-bench-peers
	set -a; . /tmp/relaywiz-bench-peers/peers.env; set +a; \
	$(GO) test -run '^$$' -bench . -benchtime 5x ./... ; \
	rc=$$?; bash .ci/peers.sh down /tmp/relaywiz-bench-peers; exit $$rc

## peers-up / peers-down: the Postfix smart host for manual experiments
peers-up:
	bash .ci/peers.sh up
peers-down:
	bash .ci/peers.sh down

clean:
	rm -rf bin
