"""A one-file Django project for the tests: one view, no database."""

from __future__ import annotations

from typing import Any

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-only",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    django.setup()

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"name": request.GET.get("name"), "method": request.method, "x": request.POST.get("x")}
    )


urlpatterns = [path("hello/", hello)]


def wsgi_application() -> Any:
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def asgi_application() -> Any:
    from django.core.asgi import get_asgi_application

    return get_asgi_application()
