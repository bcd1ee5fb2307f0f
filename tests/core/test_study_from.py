"""`sweep --from RUN --epoch E`: every trial of a study forks from the same kept epoch, so the
common start is trained once; searched fields a fork cannot change are refused by name."""

from helpers.fork_runs import trained_parent
from helpers.study_scores import plant_scores
from workbench.cli import main
from workbench.core.store.runs import RunStore


def test_every_trial_forks_from_the_epoch_and_trains_only_its_own_epochs(isolated_home, mnist_root, monkeypatch,
                                                                          capsys):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    plant_scores(monkeypatch)
    parent = trained_parent(isolated_home)
    assert main(["sweep", "--from", parent.id, "--epoch", "2", "--set", "lr_g=1e-4,2e-4",  # a grid, as a study
                 "--epochs", "3", "--eval-samples", "256", "--name", "from-two"]) == 0
    trials = [r for r in RunStore().runs() if r.id != parent.id]
    assert len(trials) == 2
    assert sorted(r.config().lr_g for r in trials) == [1e-4, 2e-4]
    for run in trials:
        info = run.read_info()
        assert info.parent == {"run": parent.id, "epoch": 2} and info.study == "from-two"
        assert [m["epoch"] for m in run.metrics().epochs] == [3]  # epochs 1-2 are the parent's, not trained again
        assert run.config().latent_size == parent.config().latent_size


def test_a_searched_shape_field_or_a_missing_epoch_is_refused_and_nothing_is_written(isolated_home, mnist_root,
                                                                                      monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    parent = trained_parent(isolated_home)
    assert main(["sweep", "--from", parent.id, "--epoch", "2", "--space", "latent_size=32,64", "--sampler", "grid",
                 "--epochs", "3", "--name", "shape"]) == 2
    assert "latent_size" in capsys.readouterr().err
    assert main(["sweep", "--from", parent.id, "--space", "lr_g=1e-4,2e-4", "--epochs", "3"]) == 2
    assert "--epoch" in capsys.readouterr().err
    assert main(["sweep", "--from", parent.id, "--epoch", "4", "--space", "lr_g=1e-4,2e-4"]) == 2  # nothing after 4
    assert "epochs" in capsys.readouterr().err
    assert main(["sweep", "--from", parent.id, "--epoch", "2", "--study", "dcgan-small-batch-latent-lr"]) == 2
    assert "a study has its own base" in capsys.readouterr().err
    assert [r.id for r in RunStore().runs()] == [parent.id]
    assert not (isolated_home / "sweeps" / "studies.db").exists()
