from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("competitions", "0024_submission_checked_image_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="image_archive_bytes",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="submission",
            name="archive_checked_bytes",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
    ]
