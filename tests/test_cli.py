import subprocess
import sys

import pytest

from robomem.cli import COMMANDS, build_parser, main


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    assert f"robomem {command}" in capsys.readouterr().out


def test_global_options_before_and_after_command(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seed: 1\n")
    p = build_parser()
    a = p.parse_args(["-v", "--config", str(cfg), "data", "info", "x:y"])
    b = p.parse_args(["data", "info", "-v", "--config", str(cfg), "x:y"])
    assert a.verbose == b.verbose == 1 and a.config == b.config == str(cfg)


def test_console_script_runs():
    r = subprocess.run([sys.executable, "-m", "robomem.cli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("robomem ")
