"""The JSON API's common shell: authentication, roles, JSON in and out, errors.

Scripts authenticate with a per-user API token, `Authorization: Bearer <token>`
(console/tokens.py); a request without one is a browser's: its session, and for unsafe
methods the CSRF token, as on the pages. HTTP Basic credentials are never accepted and
never asked for: a browser that cached them would send them along with any cross-site
form post.
"""

import json
from collections.abc import Callable
from functools import wraps

from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from console import audit
from console.errors import Refused
from console.fields import FieldsRefused
from console.roles import Role, has_role

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
HOW_TO_AUTHENTICATE = ("send an API token as 'Authorization: Bearer <token>' "
                       "(an administrator issues it)")


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


def _authorization(request: HttpRequest) -> tuple[str, str]:
    """The Authorization header as (scheme in lower case, credentials)."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower(), credentials.strip()


def _authenticate(request: HttpRequest) -> None:
    """Set `request.user` from the Bearer token, or keep the browser's session user.

    A locked-out token caller gets django-axes' refusal (console.lockout) in place of
    the 401 raised here.
    """
    scheme, credentials = _authorization(request)
    if scheme == "bearer":
        user = authenticate(request, api_token=credentials)
        if user is None:
            raise ApiError(401, "This API token is unknown or revoked: ask an administrator "
                                "for a new one.")
        request.user = user
    elif not request.user.is_authenticated:
        if scheme == "basic":
            raise ApiError(401, "HTTP Basic credentials are not accepted: "
                                f"{HOW_TO_AUTHENTICATE}.")
        raise ApiError(401, f"Log in, or {HOW_TO_AUTHENTICATE}.")
    elif request.method not in SAFE_METHODS and (refusal := _csrf_refusal(request)):
        raise ApiError(403, refusal)


def _csrf_refusal(request: HttpRequest) -> str | None:
    response = CsrfViewMiddleware(_no_view).process_view(request, _no_view, (), {})
    return None if response is None else "CSRF token missing or wrong."


def _no_view(request: HttpRequest) -> HttpResponse:
    """The view and the rest of the chain, to a CSRF check alone: it calls neither, and
    a call would answer 500 rather than let the request through unchecked."""
    return HttpResponse(status=500)


def json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FieldsRefused([f"The body is not JSON: {error}"]) from error
    except RecursionError as error:
        raise FieldsRefused(["The body nests too deeply: send a flat JSON object."]) from error
    if not isinstance(body, dict):
        raise FieldsRefused(["The body must be a JSON object."])
    return body


AUDITED_STATUSES = {400, 403, 404, 405, 409}


def audit_refusals(endpoint: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Audit every refused call once, like a refused page: probing shows in the trail.

    A 401 is not audited here: a wrong password is audited as a failed login already.
    """

    @wraps(endpoint)
    def audited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = endpoint(request, *args, **kwargs)
        if response.status_code in AUDITED_STATUSES:
            body = json.loads(response.content)
            detail = "; ".join(body.get("problems") or [body.get("error", "")])
            match, method = request.resolver_match, request.method
            assert match is not None and method is not None  # a routed request has both
            audit.record(request, f"{match.url_name}.{method.lower()}",
                         request.get_full_path(), outcome=audit.Outcome.REFUSED,
                         detail=f"{response.status_code}: {detail}")
        return response

    return audited


def api_view(methods: set[str], roles: tuple[Role, ...]) -> Callable:
    """Wrap a view `(request, *args) -> (status, data)` as a JSON API endpoint; a view
    may answer an HttpResponse of its own instead (the metrics' text format)."""

    def decorator(view: Callable) -> Callable:
        @login_not_required
        @csrf_exempt
        @wraps(view)
        @audit_refusals
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                # Who is asking comes first: an anonymous caller learns no endpoint's methods.
                _authenticate(request)
                if request.method not in methods:
                    raise ApiError(405, f"Use {' or '.join(sorted(methods))}.")
                if not has_role(request.user, *roles):
                    raise ApiError(403, "Your role may not do this: needs "
                                   + " or ".join(roles) + ".")
                result = view(request, *args, **kwargs)
                if isinstance(result, HttpResponse):  # an answer that is not JSON
                    return result
                status, data = result
            except ApiError as error:
                response = JsonResponse(error.body, status=error.status)
                if error.status == 401:
                    # Bearer, never Basic: browsers prompt for and cache only Basic.
                    response["WWW-Authenticate"] = 'Bearer realm="lockstep"'
                return response
            except Http404 as error:
                return JsonResponse({"error": str(error) or "Not found."}, status=404)
            except PermissionDenied as error:  # the pages' own checks, shared with the API
                return JsonResponse({"error": str(error) or "Not allowed."}, status=403)
            except Refused as error:
                problems = getattr(error, "problems", [str(error)])
                return JsonResponse({"error": str(error), "problems": problems}, status=400)
            return JsonResponse(data, status=status, safe=False)

        return wrapper

    return decorator
