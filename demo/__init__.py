"""Demo partnership: a deterministic data generator (``demo.generate``) and an HTTP feed server
(``demo.server``) speaking the wire contracts in docs/feeds.md. See demo/README.md."""
