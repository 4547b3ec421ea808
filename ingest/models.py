"""Ingest's own tables: idempotency keys seen, and each tenant's redaction policy."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from ingest import redaction


class IdempotencyKey(models.Model):
    """A retried request reuses its first receipt time and event ids."""

    app_id = models.BigIntegerField()
    key = models.CharField(max_length=200)
    received_ns = models.BigIntegerField(help_text="when the first request with this key arrived")
    body_sha256 = models.CharField(max_length=64, blank=True, default="",
                                   help_text="of the first request's decompressed body: a different body is refused")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app_id", "key"], name="idempotencykey_unique_app_key")]


def _default_mask_keys() -> str:
    return "\n".join(redaction.DEFAULT_MASK_KEYS)


class RedactionPolicy(models.Model):
    """What a tenant's lines lose at ingest, before they reach the queue (docs/redaction.md).

    A tenant without a row gets the defaults of these fields: credentials, tokens and card
    numbers redacted, emails kept, the usual secret-bearing attribute keys masked.
    """

    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.CASCADE, related_name="redaction_policy")
    passwords = models.BooleanField(default=True, help_text="Credentials written key=value, in JSON, as "
                                    "--flag value, in URL user info, and Cookie headers.")
    tokens = models.BooleanField(default=True, help_text="API keys and tokens of known formats (AWS, GitHub, "
                                 "GitLab, Slack, Stripe, Google, JWT, devlogs keys…), Authorization headers, "
                                 "Bearer and Basic credentials, PEM private key blocks.")
    card_numbers = models.BooleanField(default=True, help_text="Payment card numbers (issuer prefix, length and "
                                       "Luhn checked; spaces or dashes allowed).")
    emails = models.BooleanField(default=False, help_text="Email addresses. Off by default: people search logs "
                                 "by them; turn on where personal data must not be kept.")
    custom_patterns = models.TextField(blank=True, help_text="RE2 regular expressions, one per line. A pattern "
                                       "with a group redacts only its first group.")
    drop_keys = models.TextField(blank=True, help_text="Attribute keys removed entirely, one per line "
                                 "(exact, case-insensitive, at any depth).")
    mask_keys = models.TextField(blank=True, default=_default_mask_keys, help_text="Attribute keys whose values "
                                 "are replaced, one per line; db_password, X-Api-Key and accessToken all match "
                                 "password, api_key and token.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "redaction policy"
        verbose_name_plural = "redaction policies"

    def __str__(self) -> str:
        return f"redaction for {self.tenant}"

    def clean(self):
        errors = {}
        try:
            redaction.check_custom_patterns(redaction.split_lines(self.custom_patterns))
        except redaction.InvalidPattern as exc:
            errors["custom_patterns"] = str(exc)
        for field in ("drop_keys", "mask_keys"):
            try:
                redaction.check_keys(redaction.split_lines(getattr(self, field)), field.replace("_", " "))
            except ValueError as exc:
                errors[field] = str(exc)
        if errors:
            raise ValidationError(errors)

    def spec(self) -> redaction.Spec:
        return redaction.Spec(passwords=self.passwords, tokens=self.tokens, card_numbers=self.card_numbers,
                              emails=self.emails, custom_patterns=tuple(redaction.split_lines(self.custom_patterns)),
                              drop_keys=frozenset(key.strip() for key in redaction.split_lines(self.drop_keys)),
                              mask_keys=tuple(key.strip() for key in redaction.split_lines(self.mask_keys)))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Now for this process (and a test that reads back at once), again once committed, so a
        # request that read the old row in between does not keep it for the cache's lifetime.
        redaction.invalidate(self.tenant_id)
        transaction.on_commit(lambda: redaction.invalidate(self.tenant_id))

    def delete(self, *args, **kwargs):
        tenant_id = self.tenant_id
        result = super().delete(*args, **kwargs)
        redaction.invalidate(tenant_id)
        transaction.on_commit(lambda: redaction.invalidate(tenant_id))
        return result
