"""Timed repeats and audit rounds count only if they predicted what the scored run did."""

from django.db import migrations, models


def count_past_rounds(apps, schema_editor):
    # Rounds measured before this rule counted when they ran and their predictions were valid.
    AuditMeasurement = apps.get_model("competitions", "AuditMeasurement")
    AuditMeasurement.objects.filter(duration_s__isnull=False, failure="").update(counted=True)


class Migration(migrations.Migration):
    dependencies = [("competitions", "0012_attempts_unbounded_above")]

    operations = [
        migrations.AddField(
            model_name="run",
            name="predictions_digest",
            field=models.CharField(
                blank=True,
                help_text="SHA-256 of the scored predictions as the contract reads them: timed "
                "repeats and audit rounds count only if they predict the same "
                "(evaluator.same_predictions).",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="run",
            name="timing_flag",
            field=models.TextField(
                blank=True,
                help_text="For the organisers: timed repeats not counted because their "
                "predictions differed from the scored run's, and why. Empty when every repeat "
                "counted.",
            ),
        ),
        migrations.AddField(
            model_name="auditmeasurement",
            name="counted",
            field=models.BooleanField(
                default=False,
                help_text="Its duration counts: the round ran and predicted what the original "
                "run did. Otherwise `failure` says why, and the run has no audit figure.",
            ),
        ),
        migrations.AlterField(
            model_name="auditmeasurement",
            name="matches_original",
            field=models.BooleanField(
                default=False,
                help_text="Its predictions were the original run's (the same predictions; for a "
                "run recorded before predictions were kept, the same score).",
            ),
        ),
        migrations.RunPython(count_past_rounds, migrations.RunPython.noop),
    ]
