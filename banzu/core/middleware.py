"""Log-in everywhere (security bar): Django's LoginRequiredMiddleware, with the API left to DRF.

DRF views authenticate inside the view (session or token) and their default permission is
IsAuthenticated, so the middleware lets them through and DRF answers 401/403 in JSON. Pages opt
out only with ``login_not_required``; a meta-test lists every such view.
"""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import Http404
from rest_framework.views import APIView


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class DomainErrorMiddleware:
    """Pages answer scope and permission errors like the API: 404 out of scope, 403, 409."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render
        from django.views.defaults import page_not_found

        from banzu.core.errors import Conflict, NotAllowed, OutOfScope

        if isinstance(exception, OutOfScope):
            return page_not_found(request, Http404())
        if isinstance(exception, NotAllowed):
            return render(request, "403.html", {"message": exception.message}, status=403)
        if isinstance(exception, Conflict):
            return render(request, "409.html", {"message": exception.message}, status=409)
        return None
