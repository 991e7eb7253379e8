"""Every read a view or task needs, scoped to what the user may see."""
