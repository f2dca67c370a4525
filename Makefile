# Two commands for users: `make run` and `make test` (see README.md).
# Every install step skips itself when its tool is already there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO_LEPTOS_VERSION := 0.3.10
# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# cargo-leptos finds wasm-opt (npm `binaryen`) and wasm-bindgen on PATH instead of downloading them.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: run test tools browser mqtt-clients postgresql wasm-target cargo-leptos wasm-bindgen

## Build in release mode and serve http://127.0.0.1:5000. `--split --lib-features split`:
## pages other than a device's load their part of the wasm on first visit (app/src/pages.rs).
run: tools
	cargo leptos build --release --precompress --split --lib-features split
	./target/release/iot-center

## Run every test: the Rust workspace, the official InfluxDB Python client against tsdb and
## through the gateway, then Playwright against a freshly built server.
test: tools browser mqtt-clients postgresql .venv/bin/pytest
	# TLS is rustls: no OpenSSL or native-tls anywhere in the build.
	! cargo tree --workspace -e normal 2>/dev/null | grep -E 'openssl-sys|native-tls'
	cargo test --workspace
	TSDB_BIN=target/debug/tsdb .venv/bin/pytest -q -p no:cacheprovider crates/tsdb/tests/python
	# … and writes through IoT Center's device gateway, configured from /api/env alone.
	IOT_CENTER_BIN=target/debug/iot-center .venv/bin/pytest -q -p no:cacheprovider server/tests/python
	# A release build's precompressed assets would be served in place of the debug ones.
	rm -f target/site/pkg/*.br target/site/pkg/*.gz
	# The build as a new user types it (no split) must hydrate: the navigation smoke test.
	rm -rf target/site/pkg
	cargo leptos build
	cd end2end && npx playwright test tests/overview.spec.ts
	# Then the split build `make run` serves, under the whole suite.
	rm -rf target/site/pkg
	cargo leptos build --split --lib-features split
	cd end2end && npx playwright test

tools: wasm-target cargo-leptos wasm-bindgen end2end/node_modules/.package-lock.json

wasm-target:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown

cargo-leptos:
	@cargo leptos --version 2>/dev/null | grep -q " $(CARGO_LEPTOS_VERSION)$$" \
	  || cargo install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION)

# Installed without --locked: the CLI's own lock pins a crate the registry no longer serves.
wasm-bindgen:
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$" \
	  || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

end2end/node_modules/.package-lock.json: end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	touch $@

# The official InfluxDB Python client judges tsdb's compatibility.
.venv/bin/pytest:
	python3 -m venv .venv
	.venv/bin/pip install --quiet influxdb-client==1.50.0 pytest

# Debian's Chromium; Playwright never downloads a browser here.
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update \
	  && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium; }

# The MQTT tests publish with Debian's mosquitto_pub, and bridge from its Mosquitto broker
# (started by the tests themselves, never as a service).
mqtt-clients:
	@test -x /usr/bin/mosquitto_pub -a -x /usr/sbin/mosquitto || { $(SUDO) apt-get update \
	  && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y mosquitto mosquitto-clients; }

# The state database's tests run on SQLite and on Debian's PostgreSQL, started by the tests
# themselves in a temporary directory (crates/test-postgres), never as a service.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update \
	  && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y postgresql; }
