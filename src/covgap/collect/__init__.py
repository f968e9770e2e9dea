"""Reading coverage data in every form users have, into the model."""
