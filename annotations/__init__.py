"""The KD Studio domain: datasets, items, captions, facts, annotations, reviews, jobs, exports."""
