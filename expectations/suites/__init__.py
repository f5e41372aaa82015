"""One module per domain, each exporting ``SUITES: list[SuiteSpec]``; the gate discovers them all."""
