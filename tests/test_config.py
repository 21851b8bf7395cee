from pathlib import Path

import pytest

from robomem.config import RobomemConfig
from robomem.errors import ConfigError


def test_defaults_are_embedded():
    c = RobomemConfig()
    assert c.perception.segmenter == "oracle"
    assert c.index.device == "auto"
    assert c.generator.backend == "template"


def test_yaml_overrides_only_given_keys(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("seed: 3\nmemory:\n  grid_resolution: 0.05\nindex:\n  device: cpu\n")
    c = RobomemConfig.load(p)
    assert c.seed == 3 and c.memory.grid_resolution == 0.05 and c.index.device == "cpu"
    assert c.memory.object_voxel_size == RobomemConfig().memory.object_voxel_size


@pytest.mark.parametrize("text, needle", [
    ("memory:\n  grid_resolutoin: 0.05\n", "did you mean 'grid_resolution'"),
    ("memory:\n  grid_resolution: fine\n", "memory.grid_resolution must be float"),
    ("perception: 3\n", "must be a mapping"),
    ("seed: [1\n", "not valid YAML"),
    ("bogus: 1\n", "bogus is not a known setting"),
])
def test_bad_config_names_key(tmp_path, text, needle):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[")):
        RobomemConfig.load(p)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        RobomemConfig.load(tmp_path / "nope.yaml")


def test_shipped_default_yaml_equals_the_code_defaults():
    """configs/default.yaml documents every setting; it must not drift from the dataclasses."""
    path = Path(__file__).resolve().parents[1] / "configs" / "default.yaml"
    assert RobomemConfig.load(path) == RobomemConfig()
