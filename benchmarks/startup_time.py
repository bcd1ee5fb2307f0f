"""Time from process start to the main window on screen, and whether torch was loaded by then.

    python benchmarks/startup_time.py [--repeat 5]

Each repeat is a fresh process (offscreen unless QT_QPA_PLATFORM is set), with a temporary
home and settings folder. Target: under 1 s (median), torch not yet imported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = """
import json, sys, time
from PySide6.QtWidgets import QApplication
from workbench.gui import app

def shown(window):
    print(json.dumps({"shown_at": time.time(), "torch": app.STARTUP["torch_loaded_at_show"],
                      "main_to_shown": app.STARTUP["main_to_shown"]}), flush=True)
    QApplication.instance().quit()

sys.exit(app.main([], on_shown=shown))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    totals, insides, torch_loaded = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, WORKBENCH_HOME=os.path.join(tmp, "home"), XDG_CONFIG_HOME=os.path.join(tmp, "cfg"))
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        for _ in range(args.repeat):
            start = time.time()
            out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                                 check=True).stdout
            result = json.loads([x for x in out.splitlines() if x.startswith("{")][-1])
            totals.append(result["shown_at"] - start)
            insides.append(result["main_to_shown"])
            torch_loaded.append(result["torch"])
    print(f"process start → window shown: median {statistics.median(totals):.2f} s, max {max(totals):.2f} s "
          f"({args.repeat} runs)")
    print(f"main() → window shown:        median {statistics.median(insides):.2f} s")
    print(f"torch imported before show:   {any(torch_loaded)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
