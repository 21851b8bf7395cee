"""Memory-conditioned diffusion policy for the tabletop tasks: demonstrations (``dataset``), networks
(``model``), the policy (``policy``), training (``train``), rollouts (``runner``) and evaluation
(``evaluate``). See docs/policy.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_policy(directory: str | Path) -> Any:
    """The policy saved in ``directory`` by ``save_pretrained`` (what ``robomem policy train`` writes), in eval mode."""
    from robomem.policy.policy import MemoryDiffusionPolicy

    return MemoryDiffusionPolicy.from_pretrained(directory)
