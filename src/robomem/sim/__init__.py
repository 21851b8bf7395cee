"""Embedded MuJoCo worlds: procedural houses for navigation (house, nav_env, explore, source) and
tabletop memory tasks (tabletop). Import the submodule you need; nothing heavy is imported here."""
