"""`robomem query`: arguments, the missing-memory error, and the two output formats."""

import json

import pytest
from scannet_memory import scannet_run

from robomem.cli import main
from robomem.cli.query import format_answer
from robomem.query import Engine


def test_query_help_lists_options(capsys):
    with pytest.raises(SystemExit) as e:
        main(["query", "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and "--memory" in out and "--json" in out and "--max-results" in out


def test_missing_memory_directory_is_one_line_error(tmp_path, capsys):
    assert main(["query", "--memory", str(tmp_path / "nope"), "where is the mug?"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("robomem: error: memory directory") and "Fix:" in err and "\n" not in err


def test_unknown_kind_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as e:
        main(["query", "--memory", ".", "--kind", "poetry", "x"])
    assert e.value.code == 2


def test_output_formats(scannet):
    run = scannet_run(str(scannet))
    a = Engine(run.memory).ask("where is the sink?")
    assert json.loads(format_answer(a, True)) == json.loads(json.dumps(a.to_dict()))
    text = format_answer(a, False).splitlines()
    assert text[0] == a.text and text[2].startswith(f"  target {run.id(8)} sink")
