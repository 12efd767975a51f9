"""Analysis of layouts: specialization indices, baseline comparison, explanations."""
