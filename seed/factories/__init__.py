"""Factories for the demo seed and the tests: one module per area, each holding the shape of
the rows that area builds more than once. Values the seed draws from its rng stay at the call
site, in the order the rows are written, so one seed value keeps giving the same rows."""
