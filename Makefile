# The README's commands. `make run` serves the demo; `make test` runs every test.
SHELL := /bin/bash
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# cargo-leptos adds `--cfg erase_components` to debug builds (and would add it
# twice if RUSTFLAGS held it too); plain cargo gets the same flag so `cargo test`
# reuses every dependency the debug build compiled.
unexport RUSTFLAGS
# cargo-leptos compiles with LEPTOS_OUTPUT_NAME set, and leptos reads it at
# compile time (it decides the WASM file name). Plain cargo gets the same value,
# so a binary rebuilt by `cargo test` still serves the right bundle and nothing
# is compiled twice.
export LEPTOS_OUTPUT_NAME := portal
CARGO_TEST := RUSTFLAGS="--cfg erase_components" cargo test --features ssr,sandbox --no-default-features
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export POSTGRES_URL

.PHONY: run test tools build build-release unit e2e bench bench-admin bench-pages fuzz lint clean-data

tools:
	@scripts/ensure-tools.sh

# The server in debug (what the tests run, sharing its dependencies with
# `cargo test`), the browser bundle as users get it (release: wasm-release
# profile, wasm-opt, minified JS), so the tests measure what a phone downloads.
# Server first: every cargo-leptos build empties the site directory.
build: tools
	@echo "==> cargo leptos build --server-only (debug)"
	cargo leptos build --server-only
	@echo "==> cargo leptos build --release --frontend-only (the browser bundle as shipped)"
	cargo leptos build --release --frontend-only
	@echo "==> no server secret in the browser bundle"
	@! grep -l -e sandbox-api-secret -e sandbox-private-key -e sandbox-withdrawal-key -e sandbox-access-key target/site/pkg/*

build-release: tools
	@echo "==> cargo leptos build --release"
	cargo leptos build --release
	@! grep -l -e sandbox-api-secret -e sandbox-private-key -e sandbox-withdrawal-key -e sandbox-access-key target/site/pkg/*

run: build-release
	@mkdir -p data
	@echo "==> serving the portal on http://127.0.0.1:3000 (sandbox on http://127.0.0.1:3100)"
	LEPTOS_SITE_ROOT=target/site target/release/portal serve

# unit + integration tests (SQLite and PostgreSQL), then Playwright in Chromium
test: build
	@scripts/ensure-tools.sh --browser
	@echo "==> cargo test (unit and integration; both database backends)"
	$(CARGO_TEST)
	@echo "==> playwright end-to-end (Chromium)"
	cd end2end && npx playwright test
	@echo "==> ledger check on the end-to-end database"
	DATABASE_URL=sqlite://target/e2e/portal.db target/debug/portal ledger check

unit:
	$(CARGO_TEST)

e2e: build
	@scripts/ensure-tools.sh --browser
	cd end2end && npx playwright test
	DATABASE_URL=sqlite://target/e2e/portal.db target/debug/portal ledger check

# postback throughput (SQLite, PostgreSQL), then the admin console on 100,000 and
# 1,000,000 seeded deposits; each writes its section of bench/RESULTS.md
bench: build-release
	bench/run.sh
	bench/admin.sh

bench-admin: build-release
	bench/admin.sh

# page weight (compressed bytes by type) and largest contentful paint of every
# user page in English and Hindi, on a throttled phone (slow 4G, CPU 4x);
# writes the "pages" section of bench/RESULTS.md
bench-pages: build-release
	@scripts/ensure-tools.sh --browser
	node bench/pages.mjs

# mutation fuzzing of the postback verifier and item reader (FUZZ_MINUTES, default 5;
# FUZZ_SEED=n replays a run); crashes are saved under target/fuzz/crashes/
FUZZ_MINUTES ?= 5
fuzz:
	RUSTFLAGS="--cfg erase_components" cargo build --features ssr,sandbox --no-default-features --example fuzz_postback
	FUZZ_MINUTES=$(FUZZ_MINUTES) target/debug/examples/fuzz_postback

# formatting, then clippy on the server build (every target) and on the
# browser build (WASM, its own target dir); warnings are errors
lint:
	@echo "==> cargo fmt --check"
	cargo fmt --check
	@echo "==> clippy (server with the sandbox, every target)"
	RUSTFLAGS="--cfg erase_components" cargo clippy --features ssr,sandbox --no-default-features --all-targets -- -D warnings
	@echo "==> clippy (server without the sandbox: a merchant's live build)"
	RUSTFLAGS="--cfg erase_components" cargo clippy --features ssr --no-default-features --lib --bins -- -D warnings
	@echo "==> clippy (browser, wasm32)"
	RUSTFLAGS="--cfg erase_components" cargo clippy --features hydrate --no-default-features --lib \
	  --target wasm32-unknown-unknown --target-dir target/lint-wasm -- -D warnings

clean-data:
	rm -rf data
