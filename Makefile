# Developer entry points. `make dev` and `make test` are the two the README starts with.

# Pinned helm, kubectl and the manifest validator live here (installed by .ci/chart-tools.sh);
# they come first on PATH so every test uses the same versions.
TOOLS := $(CURDIR)/target/tools
export PATH := $(TOOLS):$(PATH)

.PHONY: dev test tools lint unit chart crds release bench

## dev: Kubernetes and ZITADEL emulators plus the operator on loopback (no cluster needed)
dev:
	cargo run -p devenv

## test: everything CI checks: format, lints, all tests, the Helm chart
test: tools lint unit chart

tools:
	bash .ci/chart-tools.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

unit:
	cargo test --workspace --locked

chart:
	.ci/chart-check

## crds: regenerate the CRDs from the Rust types and copy them into the chart
crds:
	cargo run --quiet --bin crdgen -- crds
	.ci/chart-check sync-crds

## release: the binary the container image ships
release:
	cargo build --release --locked --bin zitadel-user-operator

## bench: throughput, API calls per user and memory of the operator against the emulators
bench: release
	cargo run --release --locked -p bench -- --users 200
