"""Pure functions over the model: ranking, planning."""
