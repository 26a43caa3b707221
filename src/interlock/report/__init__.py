"""Renderings of check results: one model (`model.py`), one module per output format."""
