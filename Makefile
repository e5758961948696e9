# relaywiz — build and test entry points. `make test` is what CI runs.
GO ?= go
BIN ?= bin/relaywiz

.PHONY: test deps vet cross unit build bench clean peers-up peers-down
.PHONY: psgrammar-deps test-windows dist dist-check

## test: install missing peers, vet (linux, windows, darwin), cross-build, run every test with real peers,
## then the Windows build under Wine and the reproducible-release check
test: deps vet cross psgrammar-deps
	bash .ci/test.sh
	bash .ci/windows/test.sh
	bash .ci/dist-check.sh

## psgrammar-deps: the independent PowerShell grammar the steps tests parse every script with (npm ci)
psgrammar-deps:
	bash .ci/psgrammar-deps.sh

## test-windows: the packages' tests and relaywiz.exe black-box under Wine (installs wine64/mingw when missing)
test-windows:
	bash .ci/windows/test.sh

## dist: release archives for windows/amd64, darwin/arm64, linux/amd64 and SHA256SUMS in dist/
dist:
	bash .ci/dist.sh dist

## dist-check: two release builds must give the same bytes
dist-check:
	bash .ci/dist-check.sh

## deps: install Postfix, Dovecot, swaks, gnome-keyring, dbus, tmux when missing (root, apt-get)
deps:
	bash .ci/install-deps.sh

## vet: go vet for the three platforms relaywiz ships on
vet:
	$(GO) vet ./...
	GOOS=windows GOARCH=amd64 $(GO) vet ./...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...

## cross: build the binary for Windows admin workstations and macOS
## (with dist's -trimpath and CGO_ENABLED=0, so dist-check reuses these compiled packages)
cross:
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -trimpath -o /dev/null ./cmd/relaywiz
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) build -trimpath -o /dev/null ./cmd/relaywiz

## unit: fast tests only, no peers (integration tests skip outside CI)
unit:
	$(GO) test ./...

## build: the binary for this machine
build:
	$(GO) build -ldflags "-X main.commit=$$(git rev-parse --short=12 HEAD 2>/dev/null)" -o $(BIN) ./cmd/relaywiz

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
	rm -rf bin dist
