"""Permission-matrix rows per area (see tests/api/matrix.py)."""
