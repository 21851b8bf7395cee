"""robomem's episode format: a folder of posed RGB-D frames that the simulator and recorders write.

Layout (format version 1, documented in docs/data.md)::

    EPISODE/
      episode.json        {"format": "robomem-episode", "version": 1, "intrinsics": {...}, "meta": {...}}
      frames.jsonl        one JSON object per frame: frame_id, t, T_world_cam (16 floats, row-major),
                          rgb and depth file names, and "labels" {instance id: label} when masks exist
      rgb/000000.png      uint8 RGB, lossless
      depth/000000.npz    float32 "depth" in metres (+ int32 "instance_mask" for simulator episodes)

Writing is append-only and crash-safe: a frame's files are written before its line in frames.jsonl, and
the reader ignores a last line cut short by a crash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from robomem.data.sevenscenes import read_image
from robomem.data.source import SourceInfo, select, summarize
from robomem.errors import InputError, SourceError
from robomem.types import CameraIntrinsics, Frame

FORMAT = "robomem-episode"
VERSION = 1


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file and rename it over ``path``, so readers never see half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class EpisodeWriter:
    """Appends Frames to an episode folder. Use as a context manager or call close()."""

    def __init__(self, path: str | Path, meta: dict[str, Any] | None = None, overwrite: bool = False):
        self.path = Path(path)
        if (self.path / "frames.jsonl").exists() and not overwrite:
            raise SourceError(f"{self.path} already holds an episode",
                              "choose a new folder, or pass overwrite=True to replace it")
        (self.path / "rgb").mkdir(parents=True, exist_ok=True)
        (self.path / "depth").mkdir(parents=True, exist_ok=True)
        self.meta = dict(meta or {})
        self._K: CameraIntrinsics | None = None
        self._n = 0
        self._lines = open(self.path / "frames.jsonl", "w")  # noqa: SIM115 (closed by close())

    def write(self, frame: Frame) -> None:
        if self._K is None:
            self._K = frame.K
            write_json_atomic(self.path / "episode.json", {"format": FORMAT, "version": VERSION,
                                                          "intrinsics": frame.K.to_dict(), "meta": self.meta})
        elif frame.K != self._K:
            raise InputError(f"frame {frame.frame_id} has intrinsics {frame.K} but the episode has {self._K}",
                             "write frames of one camera (and one resolution) per episode")
        stem = f"{self._n:06d}"
        Image.fromarray(frame.rgb).save(self.path / "rgb" / f"{stem}.png", compress_level=1)
        arrays = {"depth": frame.depth}
        if frame.instance_mask is not None:
            arrays["instance_mask"] = frame.instance_mask
        np.savez_compressed(self.path / "depth" / f"{stem}.npz", **arrays)
        rec: dict[str, Any] = {"frame_id": frame.frame_id, "t": frame.t,
                               "T_world_cam": frame.T_world_cam.reshape(-1).tolist(),
                               "rgb": f"rgb/{stem}.png", "depth": f"depth/{stem}.npz"}
        if frame.instance_labels is not None:
            rec["labels"] = {str(k): v for k, v in frame.instance_labels.items()}
        self._lines.write(json.dumps(rec) + "\n")
        self._lines.flush()
        self._n += 1

    def close(self) -> None:
        if not self._lines.closed:
            self._lines.flush()
            os.fsync(self._lines.fileno())
            self._lines.close()

    def __enter__(self) -> EpisodeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EpisodeReader:
    """Frames of an episode folder written by EpisodeWriter (or by hand, following docs/data.md)."""

    kind = "episode"

    def __init__(self, path: str | Path, every: int = 1, start: int = 0, limit: int | None = None):
        self.path = Path(path)
        self.uri = f"episode:{self.path}"
        head = self.path / "episode.json"
        if not self.path.is_dir():
            raise SourceError(f"episode folder {self.path} does not exist", "pass a folder made by robomem")
        if not head.is_file():
            raise SourceError(f"{head} is missing", "pass an episode folder written by robomem (sim record)")
        try:
            header = json.loads(head.read_text())
        except json.JSONDecodeError as e:
            raise SourceError(f"{head} is not valid JSON ({e})", "re-record the episode") from None
        if header.get("format") != FORMAT:
            raise SourceError(f"{head} is not a robomem episode (format={header.get('format')!r})",
                              "pass a folder written by robomem")
        if header.get("version", 0) > VERSION:
            raise SourceError(f"{head} has format version {header['version']}, newer than this robomem "
                              f"reads ({VERSION})", "upgrade robomem")
        self.meta: dict[str, Any] = header.get("meta", {})
        try:
            self.K = CameraIntrinsics.from_dict(header["intrinsics"])
        except (KeyError, InputError) as e:
            raise SourceError(f"{head}: bad or missing intrinsics ({e})", "re-record the episode") from None
        records = []
        lines = (self.path / "frames.jsonl").read_text().splitlines()
        for i, line in enumerate(lines):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                if i == len(lines) - 1:  # the line a crash cut short: that frame was never committed
                    break
                raise SourceError(f"{self.path}/frames.jsonl line {i + 1} is not JSON",
                                  "remove the damaged line") from None
        self._records = [records[i] for i in select(len(records), every, start, limit)]

    def __len__(self) -> int:
        return len(self._records)

    def _frame(self, rec: dict[str, Any]) -> Frame:
        rgb = read_image(self.path / rec["rgb"], "RGB")
        try:
            with np.load(self.path / rec["depth"]) as z:
                depth = z["depth"]
                mask = z["instance_mask"] if "instance_mask" in z.files else None
        except (OSError, KeyError, ValueError) as e:
            raise SourceError(f"{self.path / rec['depth']} cannot be read ({e})", "re-record the episode") from None
        labels = {int(k): v for k, v in rec["labels"].items()} if "labels" in rec else None
        try:
            return Frame(rgb=rgb, depth=depth, K=self.K, T_world_cam=np.array(rec["T_world_cam"]).reshape(4, 4),
                         t=rec["t"], frame_id=rec["frame_id"], instance_mask=mask, instance_labels=labels)
        except InputError as e:
            raise SourceError(f"{self.path} frame {rec.get('frame_id')}: {e.what}", e.fix) from None

    def __iter__(self) -> Iterator[Frame]:
        for rec in self._records:
            yield self._frame(rec)

    def poses(self) -> np.ndarray:
        return np.array([np.array(r["T_world_cam"]).reshape(4, 4) for r in self._records]).reshape(-1, 4, 4)

    def info(self) -> SourceInfo:
        t = np.array([r["t"] for r in self._records])
        pos = self.poses()[:, :3, 3]
        return summarize(self.uri, self.kind, t, pos, self.K.width, self.K.height,
                         **{k: v for k, v in self.meta.items() if isinstance(v, str | int | float)})
