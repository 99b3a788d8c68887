from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("competitions", "0023_retention_removed_archives"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="checked_image_id",
            field=models.CharField(blank=True, max_length=80),
        ),
    ]
