"""The one worker lifecycle (gui/workers.py): work() runs in a thread named by thread_name, its
result or its crash reaches the GUI thread through `finished` (and `crashed`), and retire leaves
nothing running or alive."""

from __future__ import annotations

import threading
import time

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Slot

from workbench.core.events import Failed
from workbench.gui import workers
from workbench.gui.training.worker import TrainingWorker


class Answer(workers.Worker):
    """Returns 42, noting the thread it ran in."""

    def __init__(self):
        super().__init__()
        self.ran_in = None

    @property
    def thread_name(self) -> str:
        return "answer-7"

    def work(self):
        self.ran_in = (QThread.currentThread().objectName(), threading.get_ident())
        return 42


class Broken(workers.Worker):
    """Raises; a crash's result says which exception it was."""

    def __init__(self):
        super().__init__()
        self.error = ValueError("no such epoch")

    def work(self):
        raise self.error

    def crash_result(self, error: Exception):
        return ("crashed", error)


class Recorder(QObject):
    """A GUI-thread receiver, like the views: records what arrived, in which thread, and in
    which thread the worker lived by then."""

    def __init__(self, worker: workers.Worker):
        super().__init__()
        self.worker = worker
        self.events = []
        worker.crashed.connect(self.on_crashed)
        worker.finished.connect(self.on_finished)

    def _where(self) -> dict:
        app_thread = QCoreApplication.instance().thread()
        return {"gui_thread": QThread.currentThread() == app_thread and threading.current_thread() is
                threading.main_thread(), "worker_home": self.worker.thread() == app_thread}

    @Slot(object)
    def on_crashed(self, error) -> None:
        self.events.append(("crashed", error, self._where()))

    @Slot(object)
    def on_finished(self, result) -> None:
        self.events.append(("finished", result, self._where()))


def run_to_end(qtbot, worker: workers.Worker) -> tuple[Recorder, QThread]:
    recorder = Recorder(worker)
    thread = workers.start(worker)
    qtbot.waitUntil(lambda: any(kind == "finished" for kind, *_ in recorder.events), timeout=10_000)
    return recorder, thread


def deleted_later(*objects) -> bool:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return not any(shiboken6.isValid(o) for o in objects)


def test_the_result_reaches_the_gui_thread_from_a_thread_named_by_the_worker(qtbot):
    worker = Answer()
    recorder, thread = run_to_end(qtbot, worker)
    assert thread.objectName() == "answer-7"
    assert worker.ran_in[0] == "answer-7" and worker.ran_in[1] != threading.get_ident()
    assert recorder.events == [("finished", 42, {"gui_thread": True, "worker_home": True})]
    workers.retire(thread, worker)
    assert thread.isFinished() and not workers.running_threads()
    assert deleted_later(worker, thread)


def test_a_crash_carries_the_exception_then_finishes_with_the_crash_result(qtbot, capsys):
    worker = Broken()
    recorder, thread = run_to_end(qtbot, worker)
    where = {"gui_thread": True, "worker_home": True}
    assert [kind for kind, *_ in recorder.events] == ["crashed", "finished"]
    crashed, finished = recorder.events
    assert crashed[1] is worker.error
    assert finished[1] == ("crashed", worker.error) and finished[1][1] is worker.error and finished[2] == where
    assert "ValueError: no such epoch" in capsys.readouterr().err  # the traceback is printed
    workers.retire(thread, worker)
    assert not workers.running_threads()


def test_the_base_names_the_thread_after_the_class_and_a_missing_work_is_a_crash(qtbot, capsys):
    worker = workers.Worker()
    assert worker.thread_name == "Worker"
    recorder, thread = run_to_end(qtbot, worker)
    assert thread.objectName() == "Worker"
    assert isinstance(recorder.events[0][1], NotImplementedError)
    assert recorder.events[1][:2] == ("finished", None)  # the default crash result
    capsys.readouterr()
    workers.retire(thread, worker)


def test_retire_straight_from_finished_waits_for_the_thread_to_end(qtbot):
    """The Generate window retires on `finished` itself, while the thread may still be ending."""
    worker = Answer()
    retired = []

    def on_finished(result) -> None:
        workers.retire(thread, worker)
        retired.append(thread.isFinished())

    receiver = Recorder(worker)
    worker.finished.connect(on_finished)
    # keep the worker thread busy after `finished`, so that a retire that did not wait would see it run
    worker.finished.connect(lambda result: time.sleep(0.3), Qt.ConnectionType.DirectConnection)
    thread = workers.start(worker)
    assert thread in workers.running_threads()
    qtbot.waitUntil(lambda: bool(retired), timeout=10_000)
    assert retired == [True] and not workers.running_threads()
    assert receiver.events[0][:2] == ("finished", 42)


@pytest.mark.parametrize("error", [RuntimeError("boom"), OSError("disk full")])
def test_a_training_worker_that_crashes_fails_its_run_and_says_so_before_finishing(qtbot, capsys, error):
    """TrainingWorker keeps its `failed` signal (the `finishing` hook), ahead of `finished`."""

    class Run:
        id = "run-3"
        info = None

        def update_info(self, **values) -> None:
            self.info = values

    class Crashing(TrainingWorker):
        def work(self):
            raise error

    run = Run()
    worker = Crashing(config=None, run=run)
    order = []
    worker.failed.connect(lambda message: order.append(("failed", message)))
    worker.finished.connect(lambda final: order.append(("finished", final)))
    recorder, thread = run_to_end(qtbot, worker)
    workers.retire(thread, worker)
    capsys.readouterr()
    message = f"Training could not run: {type(error).__name__}: {error}"
    assert thread.objectName() == "training-run-3"
    final = recorder.events[-1][1]
    assert order == [("failed", message), ("finished", final)]
    assert isinstance(final, Failed) and final.run_id == "run-3" and final.message == message
    assert run.info == {"status": "failed", "message": message, "reason": "crashed"}
    assert final.reason == "crashed"
    assert recorder.events[0][1] is error
