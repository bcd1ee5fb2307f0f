"""Possible mode collapse wherever the command line shows scores: `evaluate` (and its JSON),
`runs` and `show`, by the thresholds of `settings`."""

from __future__ import annotations

import json

from workbench.cli import main
from workbench.core.evaluation import run_scores
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore

EIGHTS = [0] * 8 + [300, 0]  # every sample a digit 8
EVEN = [30] * 10


def scored_run(name: str, *hists):
    run = RunStore().create(preset_config("mlp-small").with_changes(epochs=len(hists)), name=name)
    for epoch, hist in enumerate(hists, 1):
        run.append_metrics({"epoch": epoch, "d_loss": 1.0, "g_loss": 1.0, "quality": 5.0, "class_balance": 0.5,
                            "class_hist": hist})
    return run


def test_runs_marks_collapsed_runs_and_show_says_why_per_epoch(capsys):
    collapsed = scored_run("collapsed", EVEN, EIGHTS)
    fine = scored_run("fine", EIGHTS, EVEN)
    unscored = RunStore().create(preset_config("mlp-small"), name="unscored")
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line[:1].isdigit()}
    assert rows[collapsed.id][-3] == "possible" and rows[fine.id][-3] == "no" and rows[unscored.id][-3] == "-"
    assert "possible mode collapse at the last scored epoch (1 run)" in out

    assert main(["show", "collapsed"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:1] == ["epoch"])
    assert lines[header].endswith("possible mode collapse")
    assert "samples" not in lines[header + 1]  # epoch 1: every class as often
    assert lines[header + 2].endswith("digit 8 is 100% of samples (limit 30%)")

    assert main(["settings", "--collapse-share", "1"]) == 0  # the user's thresholds decide
    capsys.readouterr()
    assert main(["show", "collapsed"]) == 0
    assert "digit 8 is 100%" not in capsys.readouterr().out


def test_evaluate_json_says_whether_the_samples_look_collapsed(capsys, monkeypatch):
    scored_run("r", EVEN)
    results = {1: {"epoch": 1, "quality": 5.0, "class_hist": EIGHTS}, 2: {"epoch": 2, "quality": 4.0,
                                                                           "class_hist": EVEN}}
    monkeypatch.setattr(run_scores, "evaluate_run", lambda run, epoch, samples, progress=None: dict(results[1]))
    monkeypatch.setattr(run_scores, "evaluate_all_epochs",
                        lambda run, samples, progress=None: [dict(r) for r in results.values()])
    assert main(["evaluate", "r", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["collapse"] == "digit 8 is 100% of samples (limit 30%)"
    assert main(["evaluate", "r", "--json", "--all-epochs"]) == 0
    epochs = json.loads(capsys.readouterr().out)["epochs"]
    assert [e["collapse"] for e in epochs] == ["digit 8 is 100% of samples (limit 30%)", None]
