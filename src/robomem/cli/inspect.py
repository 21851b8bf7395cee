"""`robomem inspect`: list a memory's objects and draw its map."""

from __future__ import annotations

import argparse
import json
import math


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("inspect", parents=[common], help="list a memory's objects and draw its map",
                       description="List the objects of the memory in DIR (read-only: works while a map run "
                                   "writes it) and draw a top-down map PNG.")
    p.add_argument("--memory", required=True, metavar="DIR", help="memory directory written by `robomem map`")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--png", metavar="FILE", default=None, help="map picture to write (default DIR/map.png)")
    p.add_argument("--no-png", action="store_true", help="do not draw the map")
    p.add_argument("--region", type=float, nargs=4, metavar=("X0", "X1", "Y0", "Y1"), default=None,
                   help="draw only this part of the floor plane (metres, the map's axes)")
    p.add_argument("--highlight", nargs="+", metavar="ID[=NAME]", default=None,
                   help="draw these objects strongly (named NAME when given), the others in grey")
    p.set_defaults(func=run)


def _num(x: float) -> float | None:
    return round(float(x), 3) if math.isfinite(x) else None


def describe(memory) -> dict:
    """A JSON-ready summary of a memory: counts and every object."""
    objects = []
    for o in memory.objects():
        objects.append({"id": o.id, "label": o.label, "caption": o.caption,
                        "centre": [_num(v) for v in o.centroid], "extent": [_num(v) for v in o.extent],
                        "n_sightings": o.n_sightings, "first_seen": _num(o.first_seen), "last_seen": _num(o.last_seen),
                        "n_points": 0 if o.points is None else len(o.points)})
    snaps = memory.snapshots()
    return {"memory": str(memory.path), "frames": len(memory.trajectory()[0]), "source": memory.source,
            "objects": objects, "memory_snapshots": sum(s.frontier_id is None for s in snaps),
            "frontier_snapshots": sum(s.frontier_id is not None for s in snaps),
            "frontiers": len(memory.frontiers())}


def _highlights(items: list[str] | None, memory) -> dict[int, str] | None:
    """``["18=chair", "2"]`` -> {18: "chair", 2: ""}; unknown ids are an error naming the id."""
    if not items:
        return None
    from robomem.errors import InputError

    out: dict[int, str] = {}
    for item in items:
        key, _, name = item.partition("=")
        try:
            oid = int(key)
        except ValueError:
            raise InputError(f"--highlight {item!r} does not start with an object id", "write ID or ID=NAME") from None
        if memory.resolve(oid) is None:
            raise InputError(f"--highlight: object {oid} is not in {memory.path}", "use an id `robomem inspect` lists")
        out[int(memory.resolve(oid))] = name
    return out


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from robomem.memory.scene import Memory

    memory = Memory.open(args.memory, readonly=True)
    try:
        info = describe(memory)
        png = None
        if not args.no_png:
            from robomem.viz import plot_memory_map

            if args.region is not None and not (args.region[0] < args.region[1] and args.region[2] < args.region[3]):
                from robomem.errors import InputError

                raise InputError(f"--region {args.region} is empty", "give X0 < X1 and Y0 < Y1")
            png = plot_memory_map(memory, args.png or Path(args.memory) / "map.png",
                                  region=None if args.region is None else tuple(args.region),
                                  highlight=_highlights(args.highlight, memory))
            info["png"] = str(png)
    finally:
        memory.close()
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    src = info["source"] or {}
    print(f"memory {info['memory']}: {len(info['objects'])} objects, {info['frames']} frames, "
          f"{info['memory_snapshots']} memory snapshots, {info['frontiers']} frontiers"
          + (f", source {src.get('uri')} (cursor {src.get('cursor')})" if src else ""))
    print(f"{'id':>5} {'label':<20} {'centre (m)':<24} {'extent (m)':<20} {'seen':>5} {'first (s)':>9} {'last (s)':>9}")
    for o in info["objects"]:
        c = ", ".join(f"{v:.2f}" for v in o["centre"])
        e = ", ".join(f"{v:.2f}" for v in o["extent"])
        print(f"{o['id']:>5} {o['label'][:20]:<20} {c:<24} {e:<20} {o['n_sightings']:>5} "
              f"{o['first_seen'] or 0:>9.2f} {o['last_seen'] or 0:>9.2f}")
    if png:
        print(f"wrote {png}")
    return 0
