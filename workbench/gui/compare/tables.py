"""The compare view's tables, one column per run: the summary (status, losses, speed, image
quality and the rank by best quality), the line that ranks the runs by quality, and the config
table that highlights the fields that differ. They show numbers `core.compare` computed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
)

from workbench.core.config import field_specs
from workbench.core.outputs.compare import DiffRow, rank_by_quality
from workbench.gui.formatting import escape_html, format_duration, format_loss
from workbench.gui.plots.colours import swatch_icon

DIFF_BACKGROUND = QColor("#fff3c4")
NOT_EVALUATED = "not evaluated"

#: the scores shown at the best epoch: metrics.jsonl key → row label
AT_BEST = {"precision": "Precision there", "recall": "Recall there", "density": "Density there",
           "coverage": "Coverage there", "class_balance": "Class balance there",
           "class_accuracy": "Class accuracy there", "intra_quality": "Intra-class score there"}
#: rows shown only when some compared run is conditional
CONDITIONAL_ROWS = ("Class accuracy there", "Intra-class score there")
SUMMARY_ROWS = ("Status", "Epochs", "Final D loss", "Final G loss", "Train time", "Images/s",
                "Rank", "Best quality", "at epoch", *AT_BEST.values(), "Final quality", "Final class balance")
SUMMARY_TIPS = {
    "Rank": "Runs ranked by their best Fréchet score, lowest first; runs never evaluated come last",
    "Best quality": "Lowest Fréchet score of the generated samples against the test split, in the feature "
                    "classifier's space, over the evaluated epochs (lower is better)",
    "at epoch": "The epoch of the best Fréchet score",
    "Precision there": "Fidelity at the best epoch: the share of generated samples that look like real images",
    "Recall there": "Diversity at the best epoch: the share of real images the generated samples reach",
    "Density there": "Fidelity at the best epoch: about 1 for samples like the real images, less when they "
                     "stray from them",
    "Coverage there": "Diversity at the best epoch: the share of real images with a generated sample nearby",
    "Class balance there": "Class balance at the best epoch: normalised entropy of the predicted classes "
                           "(1 = every class equally often)",
    "Class accuracy there": "A conditional run at its best epoch: the share of samples drawn for a class that "
                            "the judging classifier calls that class",
    "Intra-class score there": "A conditional run at its best epoch: the mean over classes of the Fréchet score "
                               "between the samples drawn for a class and that class's test images",
    "Final quality": "Fréchet score of the last evaluated epoch",
    "Final class balance": "Class balance of the last evaluated epoch",
}


def format_score(value) -> str:
    """Scores read as the CLI prints them; empty when not evaluated (or not measured)."""
    return f"{value:.3f}" if isinstance(value, (int, float)) else ""


def quality_ranks(stats: list[dict]) -> list[int | None]:
    """Each run's place by best quality (1 = best), None for runs without scores."""
    order = rank_by_quality(range(len(stats)), key=lambda i: stats[i]["best_quality"])
    ranks: list[int | None] = [None] * len(stats)
    for place, i in enumerate(order, 1):
        if stats[i]["best_quality"] is not None:
            ranks[i] = place
    return ranks


def ranking_text(names: list[str], colors: list[QColor], stats: list[dict]) -> str:
    """One rich-text line: the evaluated runs best first, then those not evaluated."""
    ranks = quality_ranks(stats)
    ranked = sorted((r, i) for i, r in enumerate(ranks) if r is not None)
    if not ranked:
        return ("<b>Quality ranking:</b> none of these runs was evaluated (train with evaluation on, "
                "or evaluate them from the Runs tab)")

    def name(i: int) -> str:
        return f"<span style='color:{colors[i].name()}'>■</span> {escape_html(names[i])}"

    parts = [f"{r}. {name(i)} <b>{format_score(stats[i]['best_quality'])}</b>{_fidelity_diversity(stats[i])}"
             for r, i in ranked]
    missing = [name(i) for i, r in enumerate(ranks) if r is None]
    text = "<b>Ranked by best Fréchet score</b> (lower is better):&nbsp; " + " &nbsp;·&nbsp; ".join(parts)
    if missing:
        text += f" &nbsp;·&nbsp; <span style='color:#888'>{NOT_EVALUATED}:</span> " + ", ".join(missing)
    return text


def _fidelity_diversity(stats: dict) -> str:
    """" (precision 0.71, recall 0.62, class accuracy 0.98)" at the best epoch, each part when it
    was measured (class accuracy only for a conditional run)."""
    at_best = stats["at_best"]
    parts = [] if at_best.get("precision") is None else \
        [f"precision {at_best['precision']:.2f}", f"recall {at_best['recall']:.2f}"]
    if at_best.get("class_accuracy") is not None:
        parts.append(f"class accuracy {at_best['class_accuracy']:.2f}")
    return f" ({', '.join(parts)})" if parts else ""


class RunTable(QTableWidget):
    """A read-only table with one column per run, headed by the run's name and colour."""

    def __init__(self, rows: int, runs: list[tuple[str, str, QColor]], parent=None):
        super().__init__(rows, len(runs), parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(False)
        for column, (run_id, name, color) in enumerate(runs):
            item = QTableWidgetItem(swatch_icon(color), name)
            item.setToolTip(run_id)
            self.setHorizontalHeaderItem(column, item)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def content_height(self) -> int:
        rows = sum(self.rowHeight(i) for i in range(self.rowCount()) if not self.isRowHidden(i))
        return rows + self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth() + 2


class SummaryTable(RunTable):
    """SUMMARY_ROWS for each run; `fill` takes each run's summary and `run_stats`."""

    def __init__(self, runs: list[tuple[str, str, QColor]], parent=None):
        super().__init__(len(SUMMARY_ROWS), runs, parent)
        self.setObjectName("summaryTable")
        self.setVerticalHeaderLabels(list(SUMMARY_ROWS))
        for row, label in enumerate(SUMMARY_ROWS):
            if label in SUMMARY_TIPS:
                self.verticalHeaderItem(row).setToolTip(SUMMARY_TIPS[label])

    def fill(self, summaries: list, stats: list[dict]) -> None:
        bold = QFont(self.font())
        bold.setBold(True)
        for column, (s, st, rank) in enumerate(zip(summaries, stats, quality_ranks(stats))):
            speed = st["images_per_sec"]
            values = (
                s.status + (f" ({s.problem})" if s.problem else ""),
                f"{st['epochs']}/{s.epochs_total}",
                format_loss(st["final_d_loss"]),
                format_loss(st["final_g_loss"]),
                format_duration(st["train_seconds"]),
                f"{speed:,.0f}" if speed is not None else "",
                str(rank) if rank is not None else NOT_EVALUATED,
                format_score(st["best_quality"]),
                "" if st["best_epoch"] is None else str(st["best_epoch"]),
                *(format_score(st["at_best"][key]) for key in AT_BEST),
                format_score(st["final_quality"]),
                format_score(st["final"]["class_balance"]),
            )
            for row, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if rank == 1 and SUMMARY_ROWS[row] in ("Rank", "Best quality"):
                    item.setFont(bold)
                self.setItem(row, column, item)
        conditional = any(st["at_best"].get("class_accuracy") is not None for st in stats)
        for label in CONDITIONAL_ROWS:
            self.setRowHidden(SUMMARY_ROWS.index(label), not conditional)


class ConfigTable(RunTable):
    """One row per config field (`config_diff`); differing rows are bold on a yellow ground and
    the others can be hidden."""

    def __init__(self, diff: list[DiffRow], runs: list[tuple[str, str, QColor]], parent=None):
        super().__init__(len(diff), runs, parent)
        self.setObjectName("configDiffTable")
        self.diff = diff
        specs = field_specs()
        self.setVerticalHeaderLabels([specs[r.field].label if r.field in specs else r.field for r in diff])
        bold = QFont(self.font())
        bold.setBold(True)
        for row, d in enumerate(diff):
            header = self.verticalHeaderItem(row)
            header.setToolTip(f"{d.field}: {specs[d.field].help}" if d.field in specs else d.field)
            if d.differs:
                header.setFont(bold)
            for column, value in enumerate(d.values):
                text = "—" if value is None else ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                item = QTableWidgetItem(text)
                if d.differs:
                    item.setBackground(DIFF_BACKGROUND)
                    item.setFont(bold)
                    item.setToolTip("differs between the runs")
                self.setItem(row, column, item)

    def show_all_fields(self, show_all: bool) -> None:
        """Off: only the differing fields (all of them when the configs are identical)."""
        any_differs = any(r.differs for r in self.diff)
        for row, d in enumerate(self.diff):
            self.setRowHidden(row, not (show_all or d.differs or not any_differs))

    def visible_fields(self) -> list[str]:
        return [r.field for i, r in enumerate(self.diff) if not self.isRowHidden(i)]
