"""Plain Python, no Django imports: captioners, facts, knowledge linking, metrics."""
