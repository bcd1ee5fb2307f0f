"""`gan-workbench fork`: bad fields or values are refused with every reason, exit 2 and nothing
written; a good fork trains like `resume`, and `show`, `runs`, `resume` and `delete` know it."""

from __future__ import annotations

import pytest

from helpers.fork_runs import folders, trained_parent
from workbench.cli import main
from workbench.core.store.lineage import INHERITED
from workbench.core.store.runs import RunStore


@pytest.fixture
def parent(isolated_home, data):
    return trained_parent(isolated_home)


def test_refused_fork_exits_2_naming_every_problem_and_writes_nothing(parent, isolated_home, capsys):
    before = folders(isolated_home)
    assert main(["fork", parent.id, "--epoch", "2", "--set", "latent_size=64", "--set", "lr_d=fast",
                 "--set", "colour=red"]) == 2
    said = capsys.readouterr().err
    assert f"Cannot fork {parent.id} at epoch 2:" in said
    assert "latent_size: a fork cannot change it (100 → 64)" in said
    assert "lr_d: 'fast' is not allowed" in said and "colour: not a config field" in said
    assert "Traceback" not in said
    assert main(["fork", parent.id, "--epoch", "2", "--set", "lr_d"]) == 2
    assert "--set: 'lr_d' is not field=value" in capsys.readouterr().err
    assert main(["fork", parent.id, "--epoch", "7"]) == 2
    assert "epochs with one: 1, 2, 3, 4" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:  # argparse: not a number, latest or best
        main(["fork", parent.id, "--epoch", "first"])
    assert caught.value.code == 2
    assert folders(isolated_home) == before


def test_fork_trains_and_the_other_commands_know_its_lineage(parent, capsys):
    assert main(["fork", parent.id, "--epoch", "2", "--set", "lr_d=0.001", "--set", "epochs=5",
                 "--name", "kid"]) == 0
    said = capsys.readouterr().out
    assert f"Forked from {parent.id} at epoch 2 (lr_d=0.001, epochs=5); training epochs 3 to 5" in said
    assert "5/5" in said and "Finished: 5 epochs" in said  # the resume-like progress lines
    kid = RunStore().get("kid")
    assert kid.info()["parent"] == {"run": parent.id, "epoch": 2}
    assert [e["epoch"] for e in kid.metrics().epochs] == [3, 4, 5]
    assert main(["show", "kid"]) == 0
    shown = capsys.readouterr().out
    assert f"forked from: {parent.id} at epoch 2" in shown
    rows = [line.split()[0] for line in shown.splitlines() if line[:5].strip().rstrip("*").isdigit()]
    assert rows == ["1*", "2*", "3", "4", "5"]
    assert main(["resume", "kid", "--epochs", "6"]) == 0
    assert "Resuming" in capsys.readouterr().out and kid.summary().epochs_done == 6
    assert main(["delete", parent.id, "--yes"]) == 0
    assert f"its forks keep a copy of the epochs they inherited from it: {kid.id}" in capsys.readouterr().out
    assert (kid.path / INHERITED / "metrics.jsonl").exists()
    assert main(["show", "kid"]) == 0
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line[:5].strip().rstrip("*").isdigit()]
    assert rows == ["1*", "2*", "3", "4", "5", "6"]
    assert main(["check", "kid"]) == 0
