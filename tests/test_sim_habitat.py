"""The habitat-sim adapter: habitat-sim has no wheel here, so what can be checked is that the adapter is
opt-in, says how to get habitat-sim, and that its pure helpers are right."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

from robomem.errors import RobomemError


def test_habitat_adapter_is_opt_in_and_explains_itself():
    import robomem.sim.nav_env  # noqa: F401  (the embedded simulator never imports habitat_sim)

    assert "habitat_sim" not in sys.modules
    hab = importlib.import_module("robomem.sim.habitat")
    assert "habitat_sim" not in sys.modules  # importing the adapter does not import habitat-sim either
    if not hab.available():  # this machine: making an env says what to install
        with pytest.raises(RobomemError, match="habitat-sim"):
            hab.HabitatEnv("scene.glb")


def test_habitat_axis_conversion_and_colour_words():
    from robomem.sim.habitat import from_habitat, nearest_colour_word, to_habitat

    p = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(from_habitat(to_habitat(*p)), p)
    np.testing.assert_allclose(to_habitat(0.0, 0.0, 1.2), [0.0, 1.2, 0.0])  # robomem z-up -> habitat y-up
    assert nearest_colour_word([200, 30, 20]) == "red" and nearest_colour_word([20, 70, 200]) == "blue"
