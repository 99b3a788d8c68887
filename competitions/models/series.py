"""A series: the competition that comes back each quarter (e.g. "AI Fellowship"); each of its
competitions is one edition, linked to the one before (services/editions.py)."""

from django.db import models


class Series(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)

    class Meta:
        app_label = "competitions"
        ordering = ["name"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.name
