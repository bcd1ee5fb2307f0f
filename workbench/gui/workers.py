"""The one lifecycle of the window's background jobs (training, a sweep, evaluation, generating
images), in the spirit of superqt's `WorkerBase`: a `Worker` subclass writes only `work()`.

`start(worker)` moves it to a new QThread named by `worker.thread_name` and runs it there; an
exception out of `work()` becomes `crashed(exc)` and `finished(crash_result(exc))`, so a
window never waits for an outcome that will not come; `finished` is delivered in the GUI thread;
the GUI thread then calls `retire(thread, worker)`. `running_threads()` lets tests assert that
nothing is left running.
"""

from __future__ import annotations

import threading
import traceback
import weakref

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


class Worker(QObject):
    """One job for one thread. Subclasses write `work()` and, if a crash needs a result of
    their own kind, `crash_result()`; their own signals are theirs."""

    finished = Signal(object)  # what work() returned, or crash_result(exc)
    crashed = Signal(object)  # the exception work() raised

    @property
    def thread_name(self) -> str:
        """The thread's objectName (seen in debuggers and in tests)."""
        return type(self).__name__

    def work(self):
        """The job itself, in the worker thread; its return value is what `finished` carries."""
        raise NotImplementedError

    def crash_result(self, error: Exception):
        """What `finished` carries when `work()` raised `error` (in the worker thread)."""
        return None

    def finishing(self, result) -> None:
        """Called in the worker thread just before `finished`, for signals that must precede it."""

    @Slot()
    def execute(self) -> None:
        """Runs in the worker thread; never raises, a failure becomes `crashed` and a result.

        Subclasses change `work`, `crash_result` and `finishing`, never this slot: an
        overriding slot is not found by the queued connection and would run in the GUI thread.
        """
        try:
            result = self.work()
        except Exception as e:  # anything must reach the window, not kill the thread
            traceback.print_exc()
            self.crashed.emit(e)
            result = self.crash_result(e)
        self.finishing(result)
        # hand the worker back to the GUI thread before this thread ends, so that its
        # deleteLater runs there, never concurrently with Python dropping its wrapper
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        self.finished.emit(result)


class CancellableWorker(Worker):
    """A worker whose long core job reports `progress(fraction, text)` and polls `cancelled()`;
    `cancel()` may be called from any thread (the job stops at its next check)."""

    progress = Signal(float, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()


def start(worker: Worker) -> QThread:
    """Move `worker` to a new QThread and start it; worker.finished → thread.quit.

    quit is connected directly (it is thread-safe), so `thread.wait()` works even when the
    GUI thread is the one waiting. The owner calls `retire(thread, worker)` on
    `thread.finished` (or on `worker.finished`) for the deleteLater step.
    """
    thread = QThread()
    thread.setObjectName(worker.thread_name)
    worker.moveToThread(thread)
    thread.started.connect(worker.execute)
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    _threads.add(thread)
    thread.start()
    return thread


def retire(thread: QThread, worker: Worker | None) -> None:
    """After `thread.finished` (in the GUI thread): wait until the OS thread has really ended,
    then deleteLater both objects. Doing this here rather than connecting deleteLater inside
    the ending thread avoids destroying a QThread that is still running, and a worker that
    Python is releasing at the same moment (that crashed intermittently)."""
    thread.wait()
    if worker is not None:
        worker.deleteLater()
    thread.deleteLater()


def running_threads() -> list[QThread]:
    """Worker threads still running (tests assert none are left behind)."""
    out = []
    for thread in list(_threads):
        try:
            if thread.isRunning():
                out.append(thread)
        except RuntimeError:  # the C++ object is already deleted
            pass
    return out


__all__ = ["Worker", "retire", "running_threads", "start"]
