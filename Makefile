# Set-up and common tasks. `make test` is the one command CI runs (through .ci/run).
PY37 := .venv37/bin/python
PY36 := .venv36/bin/python

.PHONY: venv venv-intel venv36 test test36 test36-all lint-docker demo train clean-venv

venv:                 ## create .venv37 with the pinned stack (Python 3.7)
	bash scripts/setup-venv.sh 3.7 .venv37

venv-intel:           ## create .venv37-intel with the opt-in oneDNN build (requirements-intel.txt)
	bash scripts/setup-venv.sh 3.7 .venv37-intel requirements-intel.txt

venv36:               ## create .venv36 with the Docker image's stack (Python 3.6)
	bash scripts/setup-venv.sh 3.6 .venv36

test: venv            ## environment from scratch (if needed), then the test suite
	bash scripts/run-pytest.sh $(PY37)

test36: venv36        ## the suite under Python 3.6, without the 'slow' numerics (pytest.ini)
	bash scripts/run-pytest.sh $(PY36) -m "not slow"

test36-all: venv36    ## the whole suite under Python 3.6
	bash scripts/run-pytest.sh $(PY36)

lint-docker:          ## hadolint both Dockerfiles (no Docker engine needed)
	bash scripts/lint-docker.sh

demo: venv            ## a short CPU run on data/demo that visibly learns, then its timeline (settings: scripts/demo.sh)
	bash scripts/demo.sh $(PY37)

train: venv           ## the full GAN_animation recipe (30,000 steps; days on a CPU)
	$(PY37) train.py

clean-venv:
	rm -rf .venv37 .venv36
