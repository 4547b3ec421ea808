"""`/es/…`: enough of Elasticsearch's HTTP API for Fluent Bit, Vector, Logstash and the official clients.

GET/HEAD `/es/` (cluster info), `/es/_license`, `/es/_cluster/health` answer the clients' start-up
probes; POST/PUT `/es/_bulk` and `/es/<index>/_bulk` take documents through the same validation,
quotas, redaction and durable queue as POST /api/v1/logs (ingest.submit.submit_lines). Every
answer, errors included, is in Elasticsearch's shape and carries `X-Elastic-Product:
Elasticsearch`, which Logstash and the official clients check. See docs/shippers-bulk-syslog.md.
"""

import base64
import binascii
import time

from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication, KeyPrincipal
from accounts.keys import InvalidKey, authenticate_key
from accounts.scoping import HasScope, caller_for_request
from devlogs.errors import ApiError, database_unavailable
from ingest.accept import now_ns
from ingest.event_ids import uuid7_strings
from ingest.parsing import (FORM_TYPES, BodyError, decompress, media_type, normalise_records,
                            record_or_rejection)
from ingest.submit import submit_lines
from ingest.views import RawBodyNegotiation, limits_from_settings, read_body
from shippers.es_bulk import (
    BulkRequestError,
    bulk_response,
    cluster_health,
    cluster_info,
    document_event_id,
    error_body,
    license_info,
    parse_bulk,
    record_from_document,
)

PRODUCT_HEADER = ("X-Elastic-Product", "Elasticsearch")


# Elasticsearch's error types for our statuses, so clients classify them as they would ES's own.
_ERROR_TYPES = {400: "illegal_argument_exception", 401: "security_exception", 403: "security_exception",
                404: "resource_not_found_exception", 405: "illegal_argument_exception",
                413: "content_too_long_exception", 415: "media_type_header_exception",
                429: "es_rejected_execution_exception", 503: "unavailable_shards_exception"}


class ElasticApiKeyAuthentication(ApiKeyAuthentication):
    """Also accepts `Authorization: ApiKey <value>` (the ES clients' api_key option): the value is our key,
    or base64 of `id:key` as Logstash and the official clients encode it."""

    def authenticate(self, request):
        scheme, _, value = (request.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "apikey":
            return super().authenticate(request)
        raw = _key_from_api_key_value(value.strip())
        try:
            key = authenticate_key(raw)
        except InvalidKey as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None
        return KeyPrincipal(key), key

    def authenticate_header(self, request):
        return 'Basic realm="devlogs", ApiKey, Bearer realm="devlogs"'


def _key_from_api_key_value(value: str) -> str:
    if value.startswith("dl_"):
        return value
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise exceptions.AuthenticationFailed("The ApiKey credentials are neither a key nor base64 of 'id:key'.",
                                              code="malformed_authorization") from None
    return decoded.partition(":")[2] or decoded


def es_exception_handler(exc, context):
    """Any failure of an /es/ view, in Elasticsearch's error shape."""
    headers = {}
    exc = database_unavailable(exc) or exc  # the database down: 503 with Retry-After, like the queue
    if isinstance(exc, ApiError):
        status, reason, headers = exc.status_code, exc.message, dict(exc.headers)
    elif isinstance(exc, BulkRequestError):
        return _es_error(exc.status, exc.error_type, exc.reason)
    elif isinstance(exc, Http404):
        status, reason = 404, "Not found."
    elif isinstance(exc, exceptions.APIException):
        status, reason = exc.status_code, str(exc.detail)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    else:
        return None  # unexpected: Django's 500 handler logs it
    response = _es_error(status, _ERROR_TYPES.get(status, "exception"), reason)
    for name, value in headers.items():
        response[name] = value
    return response




def _es_error(status: int, error_type: str, reason: str) -> Response:
    return Response(error_body(status, error_type, reason), status=status)


class ElasticView(APIView):
    """Base for /es/ views: API-key auth with the ingest scope, ES-shaped answers and headers."""

    # The project's authentication (client certificates, keys) with the ApiKey scheme added.
    authentication_classes = [ElasticApiKeyAuthentication if cls is ApiKeyAuthentication else cls
                              for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    permission_classes = [HasScope]
    required_scope = "ingest"
    content_negotiation_class = RawBodyNegotiation
    parser_classes: list = []  # bodies are read raw
    # Not in our OpenAPI schema: these speak Elasticsearch's shapes, documented in docs/shippers-bulk-syslog.md.
    schema = None

    def get_exception_handler(self):
        return es_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response[PRODUCT_HEADER[0]] = PRODUCT_HEADER[1]
        return response

    def head(self, request, *args, **kwargs):
        """HEAD answers the status and headers of GET without a body (Logstash's health check)."""
        get = getattr(self, "get", None)
        if get is None:
            raise exceptions.MethodNotAllowed("HEAD")
        response = get(request, *args, **kwargs)
        return HttpResponse(status=response.status_code, content_type="application/json")


class ClusterInfoView(ElasticView):
    def get(self, request):
        return Response(cluster_info(name=request.get_host().split(":")[0] or "devlogs"))


class LicenseView(ElasticView):
    def get(self, request):
        return Response(license_info())


class ClusterHealthView(ElasticView):
    def get(self, request):
        return Response(cluster_health())


class UnknownEsEndpointView(ElasticView):
    """Anything else under /es/: an ES-shaped 404 naming what devlogs does speak."""

    def _refuse(self, request, *args, **kwargs):
        raise ApiError(404, "not_found",
                       f"devlogs does not implement [{request.method} {request.path}]; it answers GET /es/, "
                       "/es/_license, /es/_cluster/health and POST /es/_bulk (docs/shippers-bulk-syslog.md).")

    get = post = put = delete = patch = _refuse


class BulkView(ElasticView):
    """POST/PUT /es/_bulk and /es/<index>/_bulk."""

    def post(self, request, index: str | None = None):
        started = time.monotonic()
        caller = caller_for_request(request)
        media = media_type(request.headers.get("Content-Type"))
        if media in FORM_TYPES:
            raise ApiError(415, "media_type_header_exception",
                           f"Content-Type [{media}] is not supported; send application/x-ndjson.")
        limits = limits_from_settings()
        received_ns = now_ns()
        try:
            body = read_body(request, limits.max_body_bytes)
            data = decompress(body, request.headers.get("Content-Encoding"), limits.max_decompressed_bytes)
        except BodyError as exc:
            raise ApiError(exc.status, exc.code, exc.message, field=exc.field) from None
        items = parse_bulk(data, default_index=index, max_items=limits.max_lines)

        documents = [item for item in items if not item.failed]
        parsed = normalise_records([record_or_rejection(record_from_document, item.source, index=item.index)
                                    for item in documents], size_bytes=len(data),
                                   received_ns=received_ns, limits=limits, noun="documents")
        for rejection in parsed.rejected:  # a document that fails validation fails alone, as in ES
            field = f" [{rejection.field}]" if rejection.field else ""
            documents[rejection.index].fail(400, "mapper_parsing_exception",
                                            f"failed to parse field{field}: {rejection.message}")
        lines, ids = parsed.lines, []
        for position, line in enumerate(lines):
            item = documents[line["index"]]
            if item.doc_id is None:
                item.doc_id = uuid7_strings(1)[0]
                ids.append(item.doc_id)
            else:
                ids.append(document_event_id(app_id=caller.key.app_id, index=item.index, doc_id=item.doc_id,
                                             ts_ns=line["ts"]))
            line["index"] = position
        if lines:
            submit_lines(caller=caller, lines=lines, received_ns=received_ns, size_bytes=len(data), event_ids=ids,
                         protocol="elasticsearch")
        took_ms = int((time.monotonic() - started) * 1000)
        return Response(bulk_response(items, took_ms=took_ms), status=200)

    put = post
