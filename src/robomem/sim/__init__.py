"""Embedded MuJoCo worlds: procedural houses (navigation) and tabletop memory tasks (robomem.sim.tabletop)."""
