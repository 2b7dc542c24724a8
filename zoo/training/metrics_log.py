"""metrics.jsonl: one JSON object per log or evaluation line of a run.

Example:
>>> log = MetricsLog("/tmp/run/metrics.jsonl", resume_step=None)
>>> log.write({"step": 1, "loss": 5.5})
>>> log.close()
"""
import json
import pathlib

from zoo import atomic


class MetricsLog:
    """Append-only JSONL of training metrics; on resume, lines past the restored step go.

    Args:
        path: the metrics.jsonl file.
        resume_step: the restored step (None: a fresh run, the file starts empty).
    """

    def __init__(self, path, resume_step):
        self.path = pathlib.Path(path)
        kept = []
        if self.path.exists() and resume_step is not None:
            for line in self.path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a line cut by a kill
                if rec.get("step", 0) <= resume_step:
                    kept.append(line)
        atomic.write_text(self.path, "".join(k + "\n" for k in kept))
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
