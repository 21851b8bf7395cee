"""Source URIs: ``7scenes:PATH``, ``bag:PATH``, ``episode:PATH``, ``scannet:PATH``, ``sim:house?seed=N``.

Options go after ``?`` as ``key=value`` pairs joined by ``&`` (e.g. ``7scenes:DIR?every=4&limit=50``).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any
from urllib.parse import parse_qsl

from robomem.errors import SourceError

# scheme -> "module:callable"; the callable takes (path, **options) and returns a FrameSource.
SCHEMES = {
    "7scenes": "robomem.data.sevenscenes:SevenScenesReader",
    "bag": "robomem.data.bag:BagReader",
    "episode": "robomem.data.episode:EpisodeReader",
    "scannet": "robomem.data.scannet:ScanNetScene",
    "sim": "robomem.sim.source:SimSource",
}
INT_OPTIONS = {"every", "start", "limit", "seed", "frames", "width", "height"}
FLOAT_OPTIONS = {"sync_tol", "pose_tol"}


def parse_uri(uri: str) -> tuple[str, str, dict[str, Any]]:
    """Split a source URI into (scheme, path, options)."""
    scheme, sep, rest = uri.partition(":")
    if not sep or scheme not in SCHEMES:
        raise SourceError(f"source {uri!r} has no known scheme",
                          f"write it as SCHEME:PATH with SCHEME one of {', '.join(SCHEMES)}")
    path, _, query = rest.partition("?")
    if not path:
        raise SourceError(f"source {uri!r} has no path", f"write it as {scheme}:PATH")
    options: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        try:
            options[key] = int(value) if key in INT_OPTIONS else float(value) if key in FLOAT_OPTIONS else value
        except ValueError:
            raise SourceError(f"source option {key}={value!r} must be a number", f"write {key}=<number>") from None
    return scheme, path, options


def open_source(uri: str, **overrides: Any) -> Any:
    """Open the FrameSource a URI names; ``overrides`` add or replace URI options."""
    scheme, path, options = parse_uri(uri)
    options.update({k: v for k, v in overrides.items() if v is not None})
    module, _, name = SCHEMES[scheme].partition(":")
    try:
        factory = getattr(importlib.import_module(module), name)
    except ImportError as e:
        raise SourceError(f"{scheme}: sources are not available ({e})",
                          "install robomem with its dependencies (make setup)") from None
    params = inspect.signature(factory).parameters
    unknown = [k for k in options if k not in params]
    if unknown:
        known = [p for p in params if p != "path"]
        raise SourceError(f"{scheme}: source has no option {unknown[0]!r}",
                          f"use one of {', '.join(known) or 'no options'}")
    return factory(path, **options)
