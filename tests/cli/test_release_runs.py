"""Runs and sweeps written by release 0.1.0 (before the core moved into subpackages, status
became an enum and failures got a reason) still list, show, resume, evaluate, check and compare.
The fixture's folders were made by that release itself (tests/fixtures/make_release_home.py);
each test works on its own unpacked copy."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.events import FailureReason
from workbench.core.store.runs import RunStore

ARCHIVE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.0-home.tar.gz"
NAMES = {"legacy-finished": "finished", "legacy-dcgan": "finished", "legacy-stopped": "stopped",
         "legacy-no-data": "failed", "legacy-diverged": "failed"}


@pytest.fixture
def release_home(isolated_home) -> Path:
    isolated_home.mkdir(parents=True, exist_ok=True)
    with tarfile.open(ARCHIVE) as archive:
        archive.extractall(isolated_home, filter="data")
    return isolated_home


def run_named(name: str):
    (summary,) = [s for s in RunStore().summaries() if s.name == name]
    return RunStore().get(summary.id)


def test_every_release_run_lists_with_its_status(release_home, capsys):
    statuses = {s.name: s.status for s in RunStore().summaries()}
    assert {n: statuses[n] for n in NAMES} == NAMES
    assert len(statuses) == 9  # the five above and the two sweeps' four runs
    assert main(["runs"]) == 0 and main(["sweeps"]) == 0
    out = capsys.readouterr().out
    assert "legacy-sweep-stopped" in out and "legacy-diverged" in out


def test_show_prints_each_release_run(release_home, capsys):
    for summary in RunStore().summaries():
        assert main(["show", summary.id]) == 0
    out = capsys.readouterr().out
    assert "NaN or infinite at epoch 3" in out  # the diverged run's own message
    assert "Looked in" in out  # the run whose data was missing


def test_the_diverged_run_reads_as_diverged(release_home):
    from workbench.core.sweeps.legacy_store import run_is_done

    run = run_named("legacy-diverged")
    assert run.info()["diverged"] is True and "reason" not in run.info()
    assert run.read_info().reason is FailureReason.DIVERGED and run.read_info().diverged
    assert run_is_done(run)  # a sweep would not train it again
    no_data = run_named("legacy-no-data")
    assert no_data.read_info().reason is None and not no_data.read_info().diverged
    assert not run_is_done(no_data)


def test_check_passes_on_every_release_run(release_home, capsys):
    assert main(["check"]) == 0, capsys.readouterr()


def test_sweeps_show_and_the_stopped_one_resumes(release_home, data, capsys):
    assert main(["sweep-show", "legacy-sweep", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in table["rows"]] == ["finished", "finished"]
    assert main(["sweep-show", "legacy-sweep-stopped"]) == 0  # a never-started run in the table
    assert "queued" in capsys.readouterr().out
    (sweep_id,) = [line.split()[0] for line in _sweep_lines(capsys) if "legacy-sweep-stopped" in line]
    stopped = run_named("legacy-sweep-stopped · lr_g=0.0002")
    stopped.save_config(stopped.config().with_changes(epochs=4))  # finish soon
    other = run_named("legacy-sweep-stopped · lr_g=0.001")
    other.save_config(other.config().with_changes(epochs=1))
    assert main(["resume", sweep_id]) == 0
    assert stopped.summary().status == "finished" and other.summary().status == "finished"


def _sweep_lines(capsys) -> list[str]:
    main(["sweeps"])
    return capsys.readouterr().out.splitlines()


def test_a_stopped_release_run_resumes_and_a_finished_one_trains_longer(release_home, data):
    stopped = run_named("legacy-stopped")
    assert main(["resume", stopped.id, "--epochs", "5"]) == 0
    assert stopped.summary().status == "finished" and len(stopped.metrics().epochs) == 5
    finished = run_named("legacy-finished")
    assert main(["resume", finished.id, "--epochs", "3"]) == 0
    assert [m["epoch"] for m in finished.metrics().epochs] == [1, 2, 3]


def test_a_release_run_evaluates_and_compares(release_home, data, capsys):
    from workbench.core.outputs.compare import config_diff, rank_by_quality, run_stats

    run = run_named("legacy-finished")
    assert main(["evaluate", run.id, "--epoch", "1", "--samples", "500", "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["epoch"] == 1 and scored["quality"] > 0
    runs = [run, run_named("legacy-dcgan"), run_named("legacy-stopped")]
    stats = [run_stats(r.metrics().epochs, r.info().get("train_seconds")) for r in runs]
    ranked = rank_by_quality(stats)
    assert ranked[0] is stats[0]  # the only scored one ranks first
    assert {row.field for row in config_diff([r.config() for r in runs])} >= {"architecture", "epochs"}


def test_a_release_run_resumed_with_scoring_keeps_its_best_epoch(release_home, data):
    from workbench.core.outputs.generation import LoadedGenerator
    from workbench.core.store.best_epoch import BestEpoch, read_best
    from workbench.core.store.check import check_run

    run = run_named("legacy-finished")  # epochs 1 and 2 kept and scored by that release; no best.pt
    assert read_best(run.checkpoints_dir) is None and run.summary().best is None
    assert main(["resume", run.id, "--epochs", "3"]) == 0
    scores = {m["epoch"]: m["quality"] for m in run.metrics().epochs}
    best = min(scores, key=scores.get)
    assert len(scores) == 3 and read_best(run.checkpoints_dir) == BestEpoch(best, scores[best])
    assert LoadedGenerator(run, best).epoch == best and check_run(run).ok


def test_an_old_coverage_reads_as_the_class_balance_never_as_the_new_coverage(release_home, capsys):
    """0.1.0 wrote the class histogram's normalised entropy as `coverage`; the word now means
    Naeem et al.'s coverage, which that release never measured."""
    from workbench.core.outputs.compare import run_stats

    run = run_named("legacy-finished")
    written = [json.loads(line) for line in run.metrics_file.read_text().splitlines()]
    assert [e["coverage"] for e in written] == [0.0, 0.0] and not any("precision" in e for e in written)
    summary = run.summary()
    assert summary.quality > 0 and summary.class_balance == 0.0
    assert summary.coverage is summary.precision is summary.recall is summary.density is None
    assert [(e["class_balance"], "coverage" in e) for e in run.metrics().epochs] == [(0.0, False)] * 2
    at_best = run_stats(run.metrics().epochs)["at_best"]
    assert at_best["class_balance"] == 0.0 and at_best["coverage"] is None
    assert main(["show", run.id]) == 0
    shown = capsys.readouterr().out.splitlines()
    last = [line for line in shown if line.split()[:1] == ["2"]][-1]  # epoch 2's row
    assert "older classifier" in shown[-1] or "scores again" in shown[-1]  # scored before the marks existed
    # quality, the four unmeasured, the balance; then why the epoch looks collapsed
    assert re.search(r"950\.290 +- +- +- +- +0\.000  digit \d is 100% of samples \(limit 30%\)$", last), last
    assert main(["sweep-show", "legacy-sweep", "--json"]) == 0
    for row in json.loads(capsys.readouterr().out)["rows"]:
        assert row["at_best"]["coverage"] is None and row["coverage_at_best"] == row["at_best"]["class_balance"] == 0.0


def test_release_sweeps_list_and_show_beside_a_study(release_home, capsys):
    """Sweeps made before studies are read as they are (sweeps/<id>/sweep.json), beside the
    studies of the home's study storage."""
    assert main(["sweep", "--preset", "mlp-small", "--space", "lr_g=log:1e-4:2e-3", "--trials", "3",
                 "--name", "new-study", "--no-start"]) == 0
    lines = _sweep_lines(capsys)
    assert any("legacy-sweep-stopped" in line for line in lines) and any("legacy-sweep " in line for line in lines)
    (study_line,) = [line for line in lines if line.startswith("new-study")]
    assert "created" in study_line and "0/3" in study_line
    assert main(["sweep-show", "legacy-sweep", "--json"]) == 0
    assert [r["status"] for r in json.loads(capsys.readouterr().out)["rows"]] == ["finished", "finished"]
    assert main(["sweep-show", "new-study", "--json"]) == 0
    assert [r["state"] for r in json.loads(capsys.readouterr().out)["rows"]] == ["queued"] * 3
