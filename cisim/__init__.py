"""cisim."""
