"""`app.main`: the window shows before torch is imported, quickly, and quits cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
from workbench.gui import app

def shown(window):
    print(json.dumps({"seconds": time.perf_counter() - t0, "torch": app.STARTUP["torch_loaded_at_show"],
                      "title": window.windowTitle(),
                      "tabs": [window.tabs.tabText(i) for i in range(window.tabs.count())]}), flush=True)
    QApplication.instance().quit()

sys.exit(app.main([], on_shown=shown))
"""


def test_window_shows_before_torch_and_fast(tmp_path):
    env = dict(os.environ, WORKBENCH_HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               QT_QPA_PLATFORM="offscreen", WORKBENCH_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = [x for x in done.stdout.splitlines() if x.startswith("{")][-1]
    result = json.loads(line)
    assert result["torch"] is False, "torch must load after the window is shown"
    assert result["title"] == "GAN Workbench" and result["tabs"][0] == "Training"
    assert result["seconds"] < 5, f"window took {result['seconds']:.2f} s (budget 2 s on a quiet machine)"
    assert not (tmp_path / "home" / "runs").exists()
