"""Site pages: thin views that read through selectors and act through services."""

from django.shortcuts import render

from competitions.models import Competition


def home(request):
    competitions = Competition.objects.prefetch_related("phases", "tasks")
    return render(request, "competitions/home.html", {"competitions": competitions})
