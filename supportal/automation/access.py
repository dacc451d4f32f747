"""Every macro lookup in a view goes through here: one the user may not use or manage is a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from supportal.automation.models import Macro


def get_macro_to_manage(request: HttpRequest, pk: int) -> Macro:
    """A macro the user may edit: their own, or (admins) a shared one."""
    macro = Macro.objects.manageable_by(request.user).select_related("group").filter(pk=pk).first()
    if macro is None:
        raise Http404
    return macro


def get_macro_to_use(request: HttpRequest, pk: object) -> Macro:
    """An active macro the user may apply to a request."""
    if not str(pk).isdigit():
        raise Http404
    macro = Macro.objects.usable_by(request.user).filter(pk=int(str(pk))).first()
    if macro is None:
        raise Http404
    return macro
