"""API tokens carry a list of scopes instead of one scope.

The old scopes map onto the new ones: ``export`` (read finished data) becomes ``export:read``,
``full`` (everything the user may do) becomes ``manage``. A database check holds the same rule as
the model's validator: a non-empty JSON array of known scope names.
"""

import django.db.models.lookups
from django.db import migrations, models

import annotations.models.jobs


def _check_constraints_now(schema_editor):
    # The UPDATEs queue the deferred foreign-key checks of the rows they touch; Postgres will not
    # ALTER a table with checks pending, so run them before the next schema change.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def scope_to_scopes(apps, schema_editor):
    # Every row gets a valid list before the check constraint arrives, whatever its old value.
    ApiToken = apps.get_model("annotations", "ApiToken")
    ApiToken.objects.update(scopes=["export:read"])
    ApiToken.objects.filter(scope="full").update(scopes=["manage"])
    _check_constraints_now(schema_editor)


def scopes_to_scope(apps, schema_editor):
    # Going back loses detail: a token with manage becomes full, any other becomes export.
    ApiToken = apps.get_model("annotations", "ApiToken")
    ApiToken.objects.filter(scopes__contains=["manage"]).update(scope="full")
    ApiToken.objects.exclude(scopes__contains=["manage"]).update(scope="export")
    _check_constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0002_immutability_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(
                default=list,
                help_text="Distinct scope names: export:read, annotate, manage.",
                validators=[annotations.models.jobs.validate_token_scopes],
            ),
            preserve_default=False,
        ),
        migrations.RunPython(scope_to_scopes, scopes_to_scope, elidable=False),
        migrations.RemoveField(
            model_name="apitoken",
            name="scope",
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(
                help_text="sha256 hex of the secret.", max_length=64, unique=True
            ),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    django.db.models.lookups.Exact(
                        models.Func(
                            models.F("scopes"),
                            function="jsonb_typeof",
                            output_field=models.TextField(),
                        ),
                        models.Value("array"),
                    ),
                    ("scopes__contained_by", ["export:read", "annotate", "manage"]),
                    models.Q(("scopes", []), _negated=True),
                ),
                name="api_token_scopes_known",
            ),
        ),
    ]
