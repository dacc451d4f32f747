"""Benchmarks, load tests and the generators of their data sets (`make bench`; figures in
docs/benchmarks.md). Not part of the product: nothing in the areas imports from here."""
