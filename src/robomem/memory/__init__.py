"""Memory: object map, occupancy and frontiers, snapshots, semantic forest, vector index, persistence,
and the working-memory bank of the policy."""
