"""One module per export format: pure functions over rows, no Django imports."""
