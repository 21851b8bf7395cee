"""mapping_node: perception and memory in one process (camera topics in, no image copies between processes).

Everything memory_node serves, fed straight from the camera: rgb + depth + camera_info + camera pose
(+ the simulator's instance mask for the oracle segmenter), synchronised, perceived, integrated.
Perception and integration run on the memory's owner thread, one frame at a time; the memory is opened
with the perceiver's query encoder, so detections and questions are embedded in the same space.

Run: python -m robomem_ros.mapping_node --ros-args --params-file launch/params/mapping.yaml
"""

from __future__ import annotations

from typing import Any, ClassVar

from robomem.types import Frame
from robomem_ros.camera_input import CAMERA_PARAMS, CameraInput
from robomem_ros.memory_node import MemoryNode
from robomem_ros.params import Param
from robomem_ros.perception_node import build_node_perceiver
from robomem_ros.runner import run


class MappingNode(MemoryNode):
    NAME = "mapping_node"
    EXTRA_PARAMS: ClassVar[list[Param]] = [*CAMERA_PARAMS,
                    Param("perception.segmenter", "", "segmenter ('' = the config file's; oracle | geometric)")]

    def prepare(self) -> Any:
        self.perceiver = build_node_perceiver(self.config, self.params["perception.segmenter"])
        return self.perceiver.query_encoder

    def setup_input(self) -> None:
        self.camera = CameraInput(self, self.params, self._on_frame)

    def _on_frame(self, frame: Frame, _msgs: dict[str, Any]) -> None:
        self.owner.call(self._perceive_and_integrate, frame)

    def _perceive_and_integrate(self, frame: Frame) -> None:
        self.counts["received"] += 1
        self.integrate(frame, self.perceiver(frame))

    def status(self) -> dict[str, Any]:
        s = super().status()
        cam = self.camera.stats
        handled = max(1, cam["processed"] + cam["errors"])
        s.update({"frames_received": cam["sets"], "frames_dropped": cam["dropped"],
                  "frames_pending": self.camera.pending, "errors": cam["errors"] + self.counts["errors"],
                  "last_error": self.camera.last_error or self.last_error, "process_ms": round(cam["process_ms"], 2),
                  "process_ms_mean": round(cam["process_ms_total"] / handled, 2),
                  "sync_dropped": self.camera.sync.dropped})
        return s

    def close(self) -> None:
        self.camera.close()
        super().close()


def main(argv: list[str] | None = None) -> int:
    return run(MappingNode.NAME, MappingNode, argv)


if __name__ == "__main__":
    raise SystemExit(main())
