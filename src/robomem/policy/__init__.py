"""Memory-conditioned diffusion policy for the tabletop tasks: demonstrations (``dataset``), networks
(``model``), the policy (``policy``), training (``train``), rollouts (``runner``) and evaluation
(``evaluate``). See docs/policy.md."""
