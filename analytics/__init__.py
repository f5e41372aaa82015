"""Statistical building blocks used by dbt Python models and tests: record linkage, weighting, matching."""
