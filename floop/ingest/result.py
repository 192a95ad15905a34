"""What one ingest run did: per file and in total the lines, accepted, duplicate and rejected
counts (they always add up), and the summary `floop ingest` prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

# Receives one progress line at a time (a file loaded, a quality suite validated).
Progress = Callable[[str], None]


@dataclass
class FileResult:
    """One file this run did something with: loaded (lines read), or skipped, failed or
    tampered (its ledger status) with the reason."""

    path: str
    file_format: str | None
    relative_path: str = ""
    status: str = "loaded"
    status_reason: str | None = None
    lines: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    unknown_fields: dict[str, int] = field(default_factory=dict)
    accepted_by_type: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def line(self) -> str:
        if self.status != "loaded":
            return f"{self.path}: {self.status}: {self.status_reason}"
        text = (
            f"{self.path}: {self.lines:,} lines, {self.accepted:,} accepted, "
            f"{self.duplicate:,} duplicate, {self.rejected:,} rejected"
        )
        if self.rejected_by_reason:
            text += " (" + ", ".join(f"{k} {v:,}" for k, v in self.rejected_by_reason.items()) + ")"
        if self.status_reason:
            text += f" [{self.status_reason}]"
        return text


@dataclass
class IngestResult:
    load_id: str
    landing: Path
    warehouse: Path
    now: datetime
    files: list[FileResult] = field(default_factory=list)  # loaded: lines were read
    skipped: list[str] = field(default_factory=list)  # already loaded, nothing new
    # seen and not read: ledger status skipped, failed or tampered (also when an earlier run
    # recorded the same already)
    not_loaded: list[FileResult] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # unfinished last lines left for later
    quality: Any = None  # floop.quality.QualityResult when GX ran on this load
    # QualityResults of earlier loads validated by this run (never validated, or blocked)
    revalidated: list[Any] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        """Files whose lines are missing from the warehouse: failed or tampered."""
        return [f for f in self.not_loaded if f.status in ("failed", "tampered")]

    @property
    def exit_code(self) -> int:
        """0: every landing file is loaded (rejected lines included) or skipped by design;
        3: some file failed or was tampered with."""
        return 3 if self.failed else 0

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def duplicate(self) -> int:
        return sum(f.duplicate for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def _summed(self, attr: str) -> dict[str, int]:
        """A per-file count dict summed over the run's files, largest first."""
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(getattr(f, attr))
        return dict(total.most_common())

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        return self._summed("rejected_by_reason")

    @property
    def unknown_fields(self) -> dict[str, int]:
        return self._summed("unknown_fields")

    @property
    def accepted_by_type(self) -> dict[str, int]:
        return self._summed("accepted_by_type")


def format_summary(result: IngestResult, per_file: bool = True) -> str:
    """What the run did; PER_FILE adds a line per file (off when they were printed as
    progress already)."""
    out = [fr.line() for fr in result.files] if per_file else []
    out += [fr.line() for fr in result.not_loaded] if per_file else []
    if result.skipped:
        out.append(f"{len(result.skipped):,} file(s) already loaded, nothing new")
    if result.waiting:
        out.append("unfinished last lines, read once complete: " + ", ".join(result.waiting))
    if result.not_loaded:
        by_status = Counter(f.status for f in result.not_loaded)
        out.append("not loaded: " + ", ".join(f"{n:,} {s}" for s, n in sorted(by_status.items())))
    out.append(
        f"total: {len(result.files):,} file(s), {result.lines:,} lines, "
        f"{result.accepted:,} accepted, {result.duplicate:,} duplicate, "
        f"{result.rejected:,} rejected"
    )
    if result.accepted_by_type:
        out.append(
            "  accepted by type: "
            + ", ".join(f"{k} {v:,}" for k, v in result.accepted_by_type.items())
        )
    if result.rejected_by_reason:
        out.append(
            "  rejected by reason: "
            + ", ".join(f"{k} {v:,}" for k, v in result.rejected_by_reason.items())
        )
    if result.unknown_fields:
        out.append(
            "  unknown fields (kept in _extra_fields): "
            + ", ".join(f"{k} {v:,}" for k, v in result.unknown_fields.items())
        )
    if result.quality is not None:
        out.extend(result.quality.summary_lines())
    for earlier in result.revalidated:
        out.append(f"earlier load {earlier.load_id}, validated again:")
        out.extend(earlier.summary_lines())
    return "\n".join(out)
