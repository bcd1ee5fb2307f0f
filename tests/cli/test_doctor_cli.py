"""`gan-workbench doctor RUN [--json]`: the findings on a stored run, in words and as JSON;
clear errors for a run that does not exist or a config that does not load."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from workbench.cli import main
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore

ARCHIVE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.0-home.tar.gz"


def winning_run():
    run = RunStore().create(preset_config("cpu-fast").with_changes(epochs=3), name="strong D")
    for e, (d_real, d_fake, g) in enumerate(((0.6, 0.4, 1.0), (0.97, 0.02, 5.0), (0.98, 0.01, 6.5)), 1):
        run.append_metrics({"epoch": e, "d_loss": 0.1, "g_loss": g, "d_real": d_real, "d_fake": d_fake,
                            "batch_d_loss": [0.1] * 20, "batch_g_loss": [g] * 20})
    return run


def test_doctor_names_the_condition_in_words_and_as_json(capsys):
    run = winning_run()
    assert main(["doctor", "strong D"]) == 0
    out = capsys.readouterr().out
    assert f"Run {run.id}: 3 epoch(s) examined." in out
    assert "Discriminator winning (from epoch 2, confidence" in out
    assert "try: D's learning rate ÷ 2 (lr_d=0.00025)" in out and "try: Label smoothing 0.9 (real_label=0.9)" in out
    assert "Not scored" in out  # what it could not judge, and why

    assert main(["doctor", run.id[:12], "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["run"] == run.id and report["epochs"] == 3
    (d,) = report["diagnoses"]
    assert d["condition"] == "discriminator_winning" and d["epoch"] == 2 and d["last_epoch"] == 3
    assert d["suggestions"] == [{"label": "D's learning rate ÷ 2", "changes": {"lr_d": 0.00025}},
                                {"label": "Label smoothing 0.9", "changes": {"real_label": 0.9}}]


def test_unknown_run_and_unreadable_config_are_clear_errors(capsys):
    assert main(["doctor", "no-such-run"]) == 2
    err = capsys.readouterr().err
    assert "No run 'no-such-run'" in err and "Traceback" not in err
    run = winning_run()
    run.config_file.write_text('{"lr_d": "fast"}')
    assert main(["doctor", run.id]) == 2
    err = capsys.readouterr().err
    assert "Invalid configuration" in err and "lr_d" in err


def test_a_run_that_diverged_in_an_older_release_is_named_diverged(isolated_home, capsys):
    isolated_home.mkdir(parents=True, exist_ok=True)
    with tarfile.open(ARCHIVE) as archive:
        archive.extractall(isolated_home, filter="data")
    assert main(["doctor", "legacy-diverged", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    first = report["diagnoses"][0]
    assert first["condition"] == "diverged" and first["confidence"] == 1.0
    assert "NaN or infinite at epoch 3" in first["evidence"]
