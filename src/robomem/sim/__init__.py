"""Embedded MuJoCo worlds: procedural houses for navigation (house, nav_env, explore, source) and
tabletop memory tasks. Import the submodule you need; nothing heavy is imported here."""
