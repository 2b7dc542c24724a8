"""metrics.jsonl: one JSON object per log or evaluation line of a run.

Example:
>>> log = MetricsLog("/tmp/run/metrics.jsonl", resume_step=None)
>>> log.write({"step": 1, "loss": 5.5})
>>> log.close()
>>> read_metrics("/tmp/run")
[{'step': 1, 'loss': 5.5}]
"""
import json
import pathlib

from zoo import atomic


def read_metrics(run):
    """The records of a run's metrics.jsonl, in order; a line cut by a kill is skipped.

    Args:
        run: the run directory, or the metrics.jsonl file itself.

    Returns:
        A list of dicts (log lines have "step" and "loss"; evaluation lines "val_*"; the final
        line "final": true).
    """
    path = pathlib.Path(run)
    if path.is_dir():
        path = path / "metrics.jsonl"
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # a line cut by a kill, or a blank one
    return records


class MetricsLog:
    """Append-only JSONL of training metrics; on resume, lines past the restored step go, and
    so does an earlier final evaluation (the resumed run writes its own).

    Args:
        path: the metrics.jsonl file.
        resume_step: the restored step (None: a fresh run, the file starts empty).

    Attributes:
        elapsed: the training-loop seconds the kept lines had reached (their last "elapsed";
            0.0 for a fresh run), so a resumed run counts its earlier loop time too.
    """

    def __init__(self, path, resume_step):
        self.path = pathlib.Path(path)
        kept = []
        if self.path.exists() and resume_step is not None:
            kept = [rec for rec in read_metrics(self.path)
                    if rec.get("step", 0) <= resume_step and not rec.get("final")]
        self.elapsed = max((rec["elapsed"] for rec in kept if "elapsed" in rec), default=0.0)
        atomic.write_text(self.path, "".join(json.dumps(rec) + "\n" for rec in kept))
        self.f = open(self.path, "a")

    def write(self, record):
        """Append one record as a JSON line, flushed (a kill loses at most the line being written).

        Args:
            record: a JSON-serialisable dict.
        """
        self.f.write(json.dumps(record) + "\n")
        self.f.flush()

    def close(self):
        self.f.close()
