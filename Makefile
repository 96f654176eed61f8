# Two commands do all the set-up on a fresh machine:
#   make demo   build, install and run the main job on the bundled sample
#   make test   build, install and run every test (Rust and Python)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: demo test install install-test fmt-check rust-test py-test stubtest typecheck bench-quality bench-speed bench-rust fuzz clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip "maturin>=1.9,<2"

install: $(PY)
	$(PIP) install --quiet ".[files,progress]"

install-test: $(PY)
	$(PIP) install --quiet ".[test]"

demo: install
	$(PY) -m painpoints demo

# Rust formatting (rustfmt.toml); `cargo fmt` fixes it. Toolchains without
# the rustfmt component say so instead of failing the build.
fmt-check:
	@if cargo fmt --version >/dev/null 2>&1; then cargo fmt --check; \
	else echo "rustfmt is not installed (rustup component add rustfmt): format not checked"; fi

rust-test:
	cargo test --release

py-test: install-test
	$(PY) -m pytest -q -p no:cacheprovider tests

stubtest: install-test
	$(PY) -m mypy.stubtest painpoints._painpoints

# The package's own annotations (settings in pyproject.toml).
typecheck: install-test
	$(PY) -m mypy

test: fmt-check rust-test py-test stubtest typecheck

bench-quality: install-test
	$(PIP) install --quiet scikit-learn
	$(PY) benches/quality.py

bench-speed: install-test
	$(PIP) install --quiet scikit-learn
	$(PY) benches/speed.py

bench-rust:
	cargo bench --bench pipeline

clean:
	rm -rf $(VENV) target dist build
