"""Settings modules: ``development`` (used by ``make run``), ``test``, and ``production``.

Every value comes from the environment through the typed readers in ``kdapp.env``.
"""
