"""Frame sources (dataset readers, bags, episodes, the simulator) and writers; see ``open_source``."""

from robomem.data.source import FrameSource, SourceInfo
from robomem.data.uri import open_source, parse_uri

__all__ = ["FrameSource", "SourceInfo", "open_source", "parse_uri"]
