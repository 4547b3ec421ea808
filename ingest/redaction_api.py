"""GET/PUT /api/v1/redaction: the tenant's redaction policy, for its owners and admins."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import record
from accounts.scoping import MANAGERS, HasRole, caller_for_request
from devlogs.errors import ApiError
from devlogs.openapi import errors
from ingest import redaction
from ingest.models import RedactionPolicy

LIST_FIELDS = ("custom_patterns", "drop_keys", "mask_keys")
FLAG_FIELDS = ("passwords", "tokens", "card_numbers", "emails")


def _line(**kwargs):
    # One stored line each: a newline inside an entry would silently split it in two.
    return serializers.RegexField(r"^[^\r\n]*$", error_messages={"invalid": "An entry cannot contain a line break."},
                                  **kwargs)


class PolicySerializer(serializers.Serializer):
    """The policy as the API shows it; on PUT every field is optional and omitted ones keep their value."""

    passwords = serializers.BooleanField(required=False, help_text="credentials key=value, JSON, URL user info")
    tokens = serializers.BooleanField(required=False, help_text="API keys and tokens of known formats, "
                                                                "Authorization headers, private keys")
    card_numbers = serializers.BooleanField(required=False, help_text="Luhn-checked payment card numbers")
    emails = serializers.BooleanField(required=False, help_text="email addresses (off by default)")
    custom_patterns = serializers.ListField(child=_line(max_length=redaction.MAX_PATTERN_CHARS, trim_whitespace=False),
                                            required=False, max_length=redaction.MAX_CUSTOM_PATTERNS,
                                            help_text="RE2 patterns; the first group is redacted when there is one")
    drop_keys = serializers.ListField(child=_line(max_length=redaction.MAX_KEY_CHARS), required=False,
                                      max_length=redaction.MAX_KEYS,
                                      help_text="attribute keys removed (exact, case-insensitive)")
    mask_keys = serializers.ListField(child=_line(max_length=redaction.MAX_KEY_CHARS), required=False,
                                      max_length=redaction.MAX_KEYS,
                                      help_text="attribute keys whose values are replaced (and keys ending _<key>)")
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    is_default = serializers.BooleanField(read_only=True, help_text="true until the policy is first saved")


def policy_json(policy: RedactionPolicy) -> dict:
    body = {field: getattr(policy, field) for field in FLAG_FIELDS}
    body.update({field: redaction.split_lines(getattr(policy, field)) for field in LIST_FIELDS})
    body["updated_at"] = policy.updated_at
    body["is_default"] = policy.pk is None
    return body


def redaction_policy_update(*, tenant, actor: str, changes: dict) -> RedactionPolicy:
    """Apply `changes` (API field → value) to the tenant's policy, validate, save, audit.

    Raises django ValidationError naming the field at fault.
    """
    with transaction.atomic():
        policy = RedactionPolicy.objects.select_for_update().filter(tenant=tenant).first() \
            or RedactionPolicy(tenant=tenant)
        before = policy_json(policy)
        for field, value in changes.items():
            setattr(policy, field, "\n".join(value) if field in LIST_FIELDS else value)
        policy.full_clean(exclude=["tenant"])
        policy.save()
        after = policy_json(policy)
        changed = {field: after[field] for field in (*FLAG_FIELDS, *LIST_FIELDS) if after[field] != before[field]}
        if changed or before["is_default"]:
            record(tenant=tenant, actor=actor, action="redaction.changed", changes=changed)
    return policy


class RedactionPolicyView(APIView):
    """GET: the tenant's redaction policy. PUT: change it. Both for the tenant's owners and admins."""

    permission_classes = [HasRole]
    write_roles = MANAGERS

    @extend_schema(responses={200: PolicySerializer, **errors(403)})
    def get(self, request):
        caller = caller_for_request(request)
        if not caller.has_role(MANAGERS):
            raise ApiError(403, "permission_denied", "Only the tenant's owners and admins see its redaction policy.")
        policy = caller.rows(RedactionPolicy).first() or RedactionPolicy(tenant=caller.tenant)
        return Response(policy_json(policy))

    @extend_schema(request=PolicySerializer, responses={200: PolicySerializer, **errors(400, 403, 409)})
    def put(self, request):
        caller = caller_for_request(request)
        data = PolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            policy = redaction_policy_update(tenant=caller.tenant, actor=caller.actor, changes=data.validated_data)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise ApiError(400, "invalid", " ".join(messages), field=field) from None
        except IntegrityError:  # two first saves at once: one wins, the other may simply retry
            raise ApiError(409, "conflict", "The policy was created at the same moment; send it again.") from None
        return Response(policy_json(policy))
