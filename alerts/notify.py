"""What a notification says, and how each kind of channel is sent it.

Every notification carries the rule, the count, the window, a few sample lines and a link to the
explorer showing the rule's query over that window. The webhook body is the JSON `message()`;
Slack gets text and blocks; email a plain-text mail.
"""

import time

import orjson
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from alerts.links import explorer_url
from alerts.models import Channel, Delivery, Event, Rule
from alerts.outbound import DeliveryError, post
from alerts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, standard_headers
from logs.entries import iso

USER_AGENT = "devlogs-alerts/1"
SLACK_TEXT_LIMIT = 2900  # a Slack section's text is at most 3,000 characters


def duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def message(event: Event, *, kind: str, delivery_key: str) -> dict:
    """The notification as data (the webhook's JSON body; the other channels are rendered from it)."""
    rule = event.rule
    seconds = int((event.window_end - event.window_start).total_seconds())
    return {
        "version": 1,
        "type": f"alert.{kind}",
        "delivery": delivery_key,
        "tenant": event.tenant.slug,
        "rule": {"id": rule.pk, "name": rule.name, "kind": rule.kind, "query": event.query,
                 "condition": event.condition, "window_seconds": rule.window_seconds},
        "state": event.state,
        "at": iso(event.at),
        "episode": event.episode_id or event.pk,
        "count": event.count,
        "window": {"since": iso(event.window_start), "until": iso(event.window_end), "seconds": seconds},
        "new_values": event.new_values,
        "samples": event.samples,
        "url": explorer_url(tenant_slug=event.tenant.slug, query=event.query, since=event.window_start,
                            until=event.window_end),
    }


def headline(data: dict) -> str:
    rule, window = data["rule"], duration(data["window"]["seconds"])
    if data["type"] == "alert.test":
        return f"TEST: this channel receives devlogs alerts for {data['tenant']}"
    if data["type"] == "alert.resolved":
        return f"RESOLVED: {rule['name']} ({data['count']} matching lines in {window})"
    if rule["kind"] == Rule.Kind.NEW_VALUE:
        values = ", ".join(data["new_values"][:3]) + (" …" if len(data["new_values"]) > 3 else "")
        return f"FIRING: {rule['name']}: new {rule['condition'].removeprefix('a new value of ')} {values}"
    return f"FIRING: {rule['name']} ({data['count']} matching lines in {window}; condition: {rule['condition']})"


def _sample_lines(data: dict) -> list[str]:
    return [f"{s['time']} {s['level'].upper()} [{s['app']}] {s['message'][:300]}" for s in data["samples"]]


def text(data: dict) -> str:
    """Plain text: the email body, Slack's fallback."""
    lines = [headline(data), "", f"Query: {data['rule']['query'] or '(everything)'}",
             f"Window: {data['window']['since']} → {data['window']['until']}", f"Count: {data['count']}"]
    if data["new_values"]:
        lines += ["New values:", *[f"  {v}" for v in data["new_values"]]]
    if data["samples"]:
        lines += ["", "Sample lines:", *[f"  {line}" for line in _sample_lines(data)]]
    lines += ["", f"Open in devlogs: {data['url']}"]
    return "\n".join(lines)


def slack(data: dict) -> dict:
    """A Slack-compatible incoming-webhook body (Mattermost and Rocket.Chat read `text` too)."""
    summary = f"*{_escape(headline(data))}*\nQuery: `{_escape(data['rule']['query'] or '*')}`"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": summary}}]
    if data["samples"]:
        samples = _escape("\n".join(_sample_lines(data)))[:SLACK_TEXT_LIMIT]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{samples}```"}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{data['url']}|Open in devlogs>"}]})
    return {"text": headline(data), "blocks": blocks}


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send(channel: Channel, data: dict) -> int | None:
    """Deliver to one channel: the HTTP status for webhooks, None for email. DeliveryError on failure."""
    if channel.kind == Channel.Kind.WEBHOOK:
        body = orjson.dumps(data)
        timestamp = int(time.time())
        return post(channel.url, body, {
            "Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Devlogs-Event": data["type"],
            "X-Devlogs-Delivery": data["delivery"], TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(channel.secret, timestamp, body),
            **standard_headers(channel.secret, data["delivery"], timestamp, body)})
    if channel.kind == Channel.Kind.SLACK:
        return post(channel.url, orjson.dumps(slack(data)),
                    {"Content-Type": "application/json", "User-Agent": USER_AGENT})
    if channel.kind == Channel.Kind.EMAIL:
        subject = f"[devlogs] {headline(data)}"[:200]
        try:
            EmailMessage(subject, text(data), settings.DEFAULT_FROM_EMAIL, channel.emails,
                         headers={"X-Devlogs-Delivery": data["delivery"]}).send()
        except Exception as exc:  # smtplib and socket errors alike: the delivery is retried
            raise DeliveryError(f"email not sent: {type(exc).__name__}: {exc}"[:300]) from None
        return None
    raise DeliveryError(f"unknown channel kind {channel.kind!r}")


def deliver(delivery: Delivery) -> int | None:
    if not delivery.channel.enabled:
        raise DeliveryError("the channel is disabled")
    return send(delivery.channel, message(delivery.event, kind=delivery.kind, delivery_key=delivery.idempotency_key))


def test_message(tenant) -> dict:
    """A notification with the real shape and made-up content, to check a channel end to end."""
    now = timezone.now()
    return {
        "version": 1, "type": "alert.test", "delivery": f"test:{int(now.timestamp())}", "tenant": tenant.slug,
        "rule": {"id": None, "name": "Test notification", "kind": "count", "query": "", "condition": "count > 0",
                 "window_seconds": 300},
        "state": "firing", "at": iso(now), "episode": None, "count": 0,
        "window": {"since": iso(now), "until": iso(now), "seconds": 300}, "new_values": [], "samples": [],
        "url": settings.DEVLOGS_PUBLIC_URL + "/",
    }
