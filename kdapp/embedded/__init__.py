"""The embedded runtime: what `make run` and the tests start when no services are configured."""
