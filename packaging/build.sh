#!/usr/bin/env bash
# Build the standalone app (PyInstaller, one folder) and check that it starts.
#
#     packaging/build.sh            # with .venv/bin/python (pip install -e '.[packaging]' first)
#     PYTHON=path/to/python packaging/build.sh
#
# Result: dist/gan-workbench/gan-workbench. The check runs the built executable headless with a
# throw-away home: --version, presets, then the window offscreen until it is shown (the app quits
# right after the first show when WORKBENCH_QUIT_WHEN_SHOWN=1). It prints the bundle's size and
# the start-up time, and exits non-zero if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
DIST="${DIST:-dist}"
APP="$DIST/gan-workbench/gan-workbench"

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
  echo "PyInstaller is not installed for $PYTHON: run  $PYTHON -m pip install -e '.[packaging]'" >&2
  exit 1
fi

echo "== building with $("$PYTHON" -m PyInstaller --version) (PyInstaller) from packaging/gan-workbench.spec"
# PYTHONPATH: bundle this checkout's workbench package, whatever the build environment has installed
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m PyInstaller packaging/gan-workbench.spec \
  --noconfirm --log-level WARN \
  --distpath "$DIST" --workpath build/pyinstaller

CHECK_HOME="$(mktemp -d)"
trap 'rm -rf "$CHECK_HOME"' EXIT
export WORKBENCH_HOME="$CHECK_HOME/home" XDG_CONFIG_HOME="$CHECK_HOME/config" WORKBENCH_OFFLINE=1

echo "== $APP --version"
timeout 300 "$APP" --version | tee "$CHECK_HOME/version.txt"
if grep -q "not available" "$CHECK_HOME/version.txt"; then
  echo "a library is missing from the bundle (see above)" >&2
  exit 1
fi

echo "== $APP presets"
timeout 300 "$APP" presets >"$CHECK_HOME/presets.txt"
grep -q "cpu-fast" "$CHECK_HOME/presets.txt" || { cat "$CHECK_HOME/presets.txt"; echo "presets: cpu-fast missing" >&2; exit 1; }
echo "ok ($(grep -c . "$CHECK_HOME/presets.txt") lines)"

echo "== $APP (window, offscreen, quits when shown)"
start=$(date +%s.%N)
QT_QPA_PLATFORM=offscreen WORKBENCH_QUIT_WHEN_SHOWN=1 timeout 300 "$APP" >"$CHECK_HOME/window.txt" 2>&1 || {
  cat "$CHECK_HOME/window.txt"; echo "the window did not start" >&2; exit 1; }
end=$(date +%s.%N)
shown=$(grep "window shown" "$CHECK_HOME/window.txt") || { cat "$CHECK_HOME/window.txt"; echo "no window shown" >&2; exit 1; }
echo "$shown"
case "$shown" in *"icon present"*) ;; *) echo "the window icon is missing from the bundle" >&2; exit 1 ;; esac

shown_at=$(echo "$shown" | sed -n 's/.* at \([0-9.]*\) (epoch).*/\1/p')

echo "== summary"
echo "bundle size: $(du -sh "$DIST/gan-workbench" | cut -f1)  ($DIST/gan-workbench)"
awk -v s="$start" -v w="$shown_at" -v e="$end" 'BEGIN {
  printf "start-up: window shown %.1f s after launching the executable (%.1f s until it had quit)\n", w - s, e - s }'
