"""The formulation: array blocks (variables, constraints, objective), the compiled
production model, and its Pyomo twin built from the same index sets."""
