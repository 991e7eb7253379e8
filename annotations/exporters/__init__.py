"""Dataset exports as plain Python, no Django imports: the export record (``record``) and the
format writers that turn a stream of records into files (``formats``)."""
