"""Persistence: a `robomem map` killed with SIGKILL leaves a consistent, resumable memory that ends up
identical to an uninterrupted run; damaged or foreign directories give clear errors, never an empty memory."""

import hashlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from memory_helpers import SEVEN_SCENES_UP, kitchen_frames, write_episode

from robomem.cli import main
from robomem.config import RobomemConfig
from robomem.data.episode import EpisodeReader
from robomem.errors import StoreError, WrongThreadError
from robomem.memory.scene import Memory
from robomem.memory.store import ARRAYS, DB_NAME, IMAGES
from robomem.perception.perceiver import build_perceiver

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def episode(seven_scenes, tmp_path_factory):
    """42 real kitchen frames (half resolution) with world-region instance masks, as a robomem episode."""
    frames, _ = kitchen_frames(seven_scenes, every=6, n_revisited=6, n_other=6)
    root = tmp_path_factory.mktemp("store")
    ep = write_episode(frames, root / "episode")
    cfg = root / "memory.yaml"
    cfg.write_text(yaml.safe_dump({"memory": {"save_every": 3, "up": SEVEN_SCENES_UP}}))
    return ep, cfg, len(frames)


@pytest.fixture(scope="module")
def straight(episode, tmp_path_factory):
    """The same episode mapped in one uninterrupted in-process run (the reference)."""
    ep, cfg, _ = episode
    config = RobomemConfig.load(cfg)
    perceiver = build_perceiver(config.perception)
    mem = Memory.create(tmp_path_factory.mktemp("straight") / "mem", config, text_encoder=perceiver.text_encoder)
    mem.set_source(f"episode:{ep}")
    for k, frame in enumerate(EpisodeReader(ep)):
        mem.integrate(frame, perceiver(frame), cursor=k + 1)
    mem.save()
    yield mem
    mem.close()


def cursor_of(memory_dir: Path) -> int:
    db = memory_dir / DB_NAME
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'source'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return 0
    src = json.loads(row[0]) if row else None
    return int(src["cursor"]) if src else 0


def map_command(ep: Path, mem: Path, cfg: Path) -> list[str]:
    return [sys.executable, "-m", "robomem.cli", "map", "--source", f"episode:{ep}", "--memory", str(mem),
            "--segmenter", "oracle", "--config", str(cfg)]


def run_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def snapshot_of(mem: Memory) -> dict:
    """Everything observable about a memory but embeddings (compare those with ``same_embeddings``)."""
    return {"objects": [(o.id, o.label, o.n_sightings, o.first_seen, o.last_seen, o.points.tobytes())
                        for o in mem.objects()],
            "sightings": [(s.object_id, s.frame_id, s.t, s.n_points, s.position.tobytes()) for s in mem.sightings()],
            "trajectory": mem.trajectory()[1].tobytes(),
            "snapshots": [(s.id, s.frame_id, tuple(s.object_ids), s.frontier_id) for s in mem.snapshots()],
            "frontiers": [(f.id, f.size, f.centroid.tobytes()) for f in mem.frontiers()],
            "occupancy": (mem.occupancy.state.tobytes(), mem.occupancy.origin.tobytes()),
            "redirects": mem.objects_map.redirects, "source": mem.source}


def same_embeddings(a: Memory, b: Memory) -> bool:
    """Equal up to float noise: MiniLM gives a text slightly different last bits depending on the batch
    it is encoded in, and a resumed process starts with an empty text cache."""
    ea, eb = [np.array([o.embedding for o in m.objects()]) for m in (a, b)]
    return ea.shape == eb.shape and np.allclose(ea, eb, atol=1e-6)


def check_consistent(mem: Memory, files: bool = True) -> None:
    """Objects, sightings, frames and files agree; no dangling references."""
    seqs = [f.seq for f in mem.timeline.frames]
    assert seqs == list(range(len(seqs))) and mem.source["cursor"] == len(seqs)
    frame_ids = [f.frame_id for f in mem.timeline.frames]
    assert len(set(frame_ids)) == len(frame_ids)  # no frame integrated twice
    live = {o.id for o in mem.objects()}
    for o in mem.objects():
        assert len(mem.sightings(o.id)) == o.n_sightings > 0
    assert {s.object_id for s in mem.sightings()} == live
    pairs = [(s.object_id, s.frame_id) for s in mem.sightings()]
    assert len(set(pairs)) == len(pairs)  # at most one sighting per object and frame
    for s in mem.snapshots():
        assert (mem.path / s.path).is_file() and set(s.object_ids) <= live
    if not files:
        return
    on_disk = {p.name for p in (mem.path / ARRAYS).iterdir()}
    referenced, images = mem._referenced_files()
    assert on_disk == referenced  # the writer's open removed anything a crash left behind
    assert {p.name for p in (mem.path / IMAGES).iterdir()} == {Path(p).name for p in images}


def test_sigkill_mid_run_then_resume_matches_an_uninterrupted_run(episode, straight, tmp_path, capsys):
    ep, cfg, n = episode
    mem_dir = tmp_path / "mem"
    proc = subprocess.Popen(map_command(ep, mem_dir, cfg), env=run_env(), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    reads = 0
    while cursor_of(mem_dir) < 9 and proc.poll() is None and time.monotonic() < deadline:
        if cursor_of(mem_dir) >= 3:  # readers next to the running writer see consistent saved states
            with Memory.open(mem_dir, readonly=True) as reader:
                check_consistent(reader, files=False)
            reads += 1
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"map ended before it was killed: {stderr[-2000:]}"
    saved = cursor_of(mem_dir)
    assert 9 <= saved < n and reads > 0
    with Memory.open(mem_dir) as mem:  # the lock died with the process
        check_consistent(mem)
        assert mem.n_frames == saved
    # the second run goes through the same CLI entry point, in this process (the text model is loaded)
    assert main(map_command(ep, mem_dir, cfg)[3:]) == 0
    assert f"{n} of {n} source frames" in capsys.readouterr().out
    with Memory.open(mem_dir) as mem:
        check_consistent(mem)
        assert mem.n_frames == n
        assert snapshot_of(mem) == snapshot_of(straight)  # no duplicate objects, sightings or frames
        assert same_embeddings(mem, straight)
    assert main(map_command(ep, mem_dir, cfg)[3:]) == 0
    assert "already integrated" in capsys.readouterr().out


@pytest.fixture
def small(episode, straight, tmp_path):
    """A copy of the reference memory to damage."""
    dst = tmp_path / "mem"
    shutil.copytree(straight.path, dst, ignore=shutil.ignore_patterns("lock"))
    return dst


def test_reopen_gives_the_same_memory(small, straight):
    with Memory.open(small, readonly=True) as mem:
        assert snapshot_of(mem) == snapshot_of(straight) and same_embeddings(mem, straight)
        o = mem.objects()[0]
        assert mem.get_object(o.id).label == o.label


def damage_first(folder: Path, how: str) -> Path:
    victim = sorted(p for p in folder.iterdir() if not p.name.startswith("."))[0]
    if how == "flip":
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))
    else:
        victim.unlink()
    return victim


@pytest.mark.parametrize("folder,how,message", [(ARRAYS, "flip", "is corrupt"), (ARRAYS, "delete", "is missing"),
                                                (IMAGES, "delete", "are missing")])
def test_damaged_files_give_a_clear_error(small, folder, how, message):
    victim = damage_first(small / folder, how)
    with pytest.raises(StoreError, match=message) as err:
        Memory.open(small)
    assert victim.name in str(err.value) or folder == IMAGES
    assert "Fix:" in str(err.value)


def test_damaged_or_missing_database(small):
    (small / "memory.db-wal").unlink(missing_ok=True)
    (small / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable SQLite database"):
        Memory.open(small)
    (small / DB_NAME).unlink()
    with pytest.raises(StoreError, match=r"is missing: the memory .* is damaged"):
        Memory.open(small)
    with pytest.raises(StoreError, match="damaged memory"):
        Memory.create(small)


def set_meta(path: Path, key: str, value) -> None:
    con = sqlite3.connect(path / DB_NAME)
    con.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(value), key))
    con.commit()
    con.close()


def test_schema_version_mismatch(small):
    set_meta(small, "schema_version", 99)
    with pytest.raises(StoreError, match="schema version 99, newer than this robomem reads"):
        Memory.open(small)
    set_meta(small, "schema_version", 0)
    with pytest.raises(StoreError, match="schema version 0 and no migration"):
        Memory.open(small)
    set_meta(small, "format", "something-else")
    with pytest.raises(StoreError, match="is not a robomem memory"):
        Memory.open(small)


def test_schema_1_memory_is_migrated_and_reads_the_same(small, straight):
    """A memory as schema 1 wrote it (no pairs table, no voxel column, one point file per object) is
    migrated when opened for writing and gives the same objects; read-only opens refuse to migrate."""
    con = sqlite3.connect(small / DB_NAME)
    rows = con.execute("SELECT id, points_file FROM objects").fetchall()
    with Memory.open(small, readonly=True) as mem:
        points = {o.id: (o.points, o.colors) for o in mem.objects()}
    for oid, _ in rows:  # schema 1 layout: arrays/obj-<id>-<sha>.npz holding "points" and "colors"
        buf = io.BytesIO()
        np.savez(buf, points=points[oid][0], colors=points[oid][1])
        data = buf.getvalue()
        name = f"obj-{oid}-{hashlib.sha256(data).hexdigest()[:20]}.npz"
        (small / ARRAYS / name).write_bytes(data)
        con.execute("UPDATE objects SET points_file = ? WHERE id = ?", (name, oid))
    con.execute("DROP TABLE pairs")
    con.execute("ALTER TABLE objects DROP COLUMN voxel")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="older schema version 1"):
        Memory.open(small, readonly=True)
    with Memory.open(small) as mem:  # migrates
        assert snapshot_of(mem) == snapshot_of(straight) and same_embeddings(mem, straight)
        assert mem.objects_map.pairs == {} and all(o.voxel == 0.03 for o in mem.objects_map.objects.values())
        mem.save()
    with Memory.open(small, readonly=True) as mem:
        assert snapshot_of(mem) == snapshot_of(straight)


def test_point_packs_are_compacted(small):
    """Each save writes the changed objects' points into one pack; a pack most of whose point sets were
    rewritten later is compacted away, so the arrays folder does not grow with every save."""
    with Memory.open(small) as mem:
        ids = sorted(mem.objects_map.objects)
        previous = set(mem._points_file.values())
        for oid in ids:  # rewrite the objects one save at a time
            mem._dirty.add(oid)
            mem.save()
            packs = set(mem._points_file.values())
            held = {p: sum(f == p for f in mem._points_file.values()) for p in packs}
            assert all(2 * n >= mem._pack_sizes[p] for p, n in held.items())  # none mostly stale
            on_disk = {p.name for p in (mem.path / ARRAYS).glob("pts-*")}
            assert packs <= on_disk <= packs | previous  # the previous save's files stay one more save
            previous = packs
        assert len(set(mem._points_file.values())) < len(ids)
    with Memory.open(small, readonly=True) as mem:
        assert sorted(o.id for o in mem.objects()) == ids


def test_one_writer_many_readers(small, tmp_path):
    writer = Memory.open(small)
    try:
        with pytest.raises(StoreError, match="already open for writing"):
            Memory.open(small)
        with Memory.open(small, readonly=True) as reader:
            assert len(reader.objects()) == len(writer.objects())
    finally:
        writer.close()
    Memory.open(small).close()  # released
    with pytest.raises(StoreError, match="already holds a memory"):
        Memory.create(small)
    with pytest.raises(StoreError, match="does not exist"):
        Memory.open(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(StoreError, match="does not hold a robomem memory"):
        Memory.open(empty)


def test_crash_leftovers_are_collected_and_a_failed_integrate_is_never_saved(small, episode):
    (small / ARRAYS / "obj-999-0123456789abcdef0123.npz").write_bytes(b"orphan of a crash")
    (small / IMAGES / ".tmp-00009999.jpg").write_bytes(b"half an image")
    ep, _, _ = episode
    frame = next(iter(EpisodeReader(ep)))
    mem = Memory.open(small)
    try:
        assert not (small / ARRAYS / "obj-999-0123456789abcdef0123.npz").exists()
        assert not (small / IMAGES / ".tmp-00009999.jpg").exists()
        before = snapshot_of(mem)

        def boom(frame):
            raise RuntimeError("disk on fire")

        mem.occupancy.integrate = boom
        perceiver = build_perceiver(mem.config.perception)
        with pytest.raises(RuntimeError):
            mem.integrate(frame, perceiver(frame))
        assert mem.in_flight
        with pytest.raises(StoreError, match="failed halfway"):
            mem.save()
    finally:
        mem.close()
    with Memory.open(small) as mem:
        assert snapshot_of(mem) == before


def test_another_thread_is_refused_before_it_touches_the_memory(small, episode):
    """A Memory belongs to the thread that opened it: integrate/save/ask/close from another thread raise
    WrongThreadError naming the fix, change nothing, and the owner thread carries on."""
    from concurrent.futures import ThreadPoolExecutor

    ep, _, _ = episode
    frame = next(iter(EpisodeReader(ep)))
    with Memory.open(small) as mem:
        before, n_before = snapshot_of(mem), mem.n_frames
        detections = build_perceiver(mem.config.perception)(frame)
        calls = {"integrate": lambda: mem.integrate(frame, detections), "save": mem.save,
                 "ask": lambda: mem.ask("where is the chair?"), "close": mem.close}
        with ThreadPoolExecutor(1) as pool:
            for name, call in calls.items():
                with pytest.raises(WrongThreadError, match=f"Memory.{name}.*one thread only"):
                    pool.submit(call).result()
        assert not mem.in_flight and snapshot_of(mem) == before
        mem.integrate(frame, detections)  # the owner still can
        mem.save()
        assert mem.n_frames == n_before + 1


def test_cli_refuses_another_source_and_reports_damage(small, episode, capsys):
    ep, _, _ = episode
    assert main(["map", "--source", f"episode:{ep}?every=2", "--memory", str(small), "--limit", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "was built from" in err[0] and "Fix:" in err[0]
    damage_first(small / ARRAYS, "flip")
    assert main(["inspect", "--memory", str(small), "--no-png"]) == 2
    assert "is corrupt" in capsys.readouterr().err


def test_inspect_lists_objects_and_draws_the_map(small, capsys, tmp_path):
    png = tmp_path / "map.png"
    assert main(["inspect", "--memory", str(small), "--json", "--png", str(png)]) == 0
    info = json.loads(capsys.readouterr().out)
    with Memory.open(small, readonly=True) as mem:
        assert [o["id"] for o in info["objects"]] == [o.id for o in mem.objects()]
        o = info["objects"][0]
        rec = mem.get_object(o["id"])
        assert o["label"] == rec.label and o["n_sightings"] == rec.n_sightings
        assert np.allclose(o["centre"], rec.centroid, atol=1e-3) and np.allclose(o["extent"], rec.extent, atol=1e-3)
    assert png.stat().st_size > 10_000
    assert main(["inspect", "--memory", str(small), "--no-png"]) == 0
    table = capsys.readouterr().out
    assert "objects" in table and info["objects"][0]["label"] in table
    # a part of the map with some objects named; bad ids and empty regions are clear errors (exit 2)
    ids = [o["id"] for o in info["objects"]]
    crop = tmp_path / "crop.png"
    assert main(["inspect", "--memory", str(small), "--png", str(crop), "--region", "-5", "5", "-5", "5",
                 "--highlight", f"{ids[0]}=thing", str(ids[-1])]) == 0
    assert crop.stat().st_size > 10_000
    capsys.readouterr()
    assert main(["inspect", "--memory", str(small), "--highlight", "99999"]) == 2
    assert "--highlight: object 99999" in capsys.readouterr().err
    assert main(["inspect", "--memory", str(small), "--region", "1", "0", "0", "1"]) == 2
    assert "--region" in capsys.readouterr().err
