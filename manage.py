#!/usr/bin/env python
"""Django's command-line utility, with the embedded runtime filled in first.

When DATABASE_URL is unset (and the settings are not the production ones), a private Postgres
is started under the data dir for the duration of the command; see kdapp/embedded/runtime.py.
"""

from __future__ import annotations

import sys


def main() -> None:
    from kdapp.embedded.runtime import prepare_environment

    prepare_environment()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
