"""Evaluating alert rules: look at a window (reads only), then change state in one short transaction.

    evaluate_due_rules(now)   every due rule, each claimed so no two workers evaluate it at once
    evaluate_rule(rule, now)  one rule; tests call it with an explicit `now`

The window ends DEVLOGS_ALERT_DELAY_SECONDS before `now`: lines are counted once committed, and a
line accepted at ingest may sit in the queue or in a processor's batch for a few seconds. A window
ending at `now` would undercount its last seconds (an absence rule would fire on a healthy app).

A state change, its history row and the notifications it owes (Delivery rows, the outbox) commit
together, so a crash never leaves a firing without its notification or sends one twice.
"""

import hashlib
import logging
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from alerts.fingerprint import fingerprint
from alerts.models import Delivery, Event, Rule, SeenValue, State
from devlogs import metrics
from logs.facet_values import value_filter
from logs.search import Search
from logs.store import get_store

log = logging.getLogger("devlogs.alerts")

# A claim outlives any one evaluation; a worker that dies leaves it to expire.
LEASE = timedelta(minutes=5)
SAMPLES = 5
# A new new_value rule first learns what the last day already held: it alerts on values new from then on.
BASELINE = timedelta(hours=24)
MAX_VALUES = 1000  # distinct values (the most frequent) looked at per evaluation
FINGERPRINT_SCAN = 20_000  # newest lines whose messages are fingerprinted per evaluation
FINGERPRINT_PAGE = 2000
FINGERPRINT = "fingerprint"


@dataclass
class Observation:
    """What a rule's window held."""

    since: datetime
    until: datetime
    count: int
    samples: list[dict] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # new_value: the distinct values in the window
    value_samples: dict[str, dict] = field(default_factory=dict)  # new_value: a line for each unseen value


@dataclass
class Outcome:
    rule_id: int
    state: str
    count: int
    event: Event | None
    new_values: list[str]


def window(rule: Rule, now: datetime) -> tuple[datetime, datetime]:
    until = now - timedelta(seconds=settings.DEVLOGS_ALERT_DELAY_SECONDS)
    return until - timedelta(seconds=rule.window_seconds), until


def condition_text(rule: Rule) -> str:
    if rule.kind == Rule.Kind.ABSENCE:
        return "no matching lines"
    if rule.kind == Rule.Kind.NEW_VALUE:
        return f"a new value of {rule.field}"
    return f"count {'>' if rule.comparison == Rule.Comparison.ABOVE else '<'} {rule.threshold}"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- observing ------------------------------------------------------------------------------------

def observe(rule: Rule, now: datetime) -> Observation:
    """Count, samples and (new_value) distinct values in the rule's window. Reads only."""
    since, until = window(rule, now)
    search = Search.for_tenant(rule.tenant, rule.query, since=since, until=until)
    store = get_store()
    count = store.count(search)
    if rule.kind != Rule.Kind.NEW_VALUE:
        samples = store.search(search, limit=SAMPLES).entries if count else []
        return Observation(since, until, count, samples=samples)
    if rule.baseline_at is None:
        search = replace(search, since=until - max(timedelta(seconds=rule.window_seconds), BASELINE))
    values, samples = distinct_values(search, rule.field)
    known = set(SeenValue.objects.filter(rule=rule, digest__in=[digest(v) for v in values])
                .values_list("digest", flat=True))
    value_samples = {}
    learning = rule.baseline_at is None  # nothing will fire: no samples needed
    for value in [] if learning else [v for v in values if digest(v) not in known][:SAMPLES]:
        if value in samples:
            value_samples[value] = samples[value]
            continue
        found = store.search(replace(search, extra=value_filter(rule.field, value)), limit=1).entries
        if found:
            value_samples[value] = found[0]
    return Observation(since, until, count, values=values, value_samples=value_samples)


def distinct_values(search: Search, name: str) -> tuple[list[str], dict[str, dict]]:
    """The field's values in the search (most frequent first), and for fingerprints a line (entry) each."""
    if name == FINGERPRINT:
        return _fingerprints(search)
    return [row["value"] for row in get_store().facets(search, [name], limit=MAX_VALUES)[name]], {}


def _fingerprints(search: Search) -> tuple[list[str], dict[str, dict]]:
    """The fingerprints of the newest FINGERPRINT_SCAN messages, newest first, with the newest line of each."""
    samples: dict[str, dict] = {}
    scanned = 0
    for entries in get_store().export(search, newest_first=True, page_size=FINGERPRINT_PAGE):
        for entry in entries[:FINGERPRINT_SCAN - scanned]:
            samples.setdefault(fingerprint(entry["message"]), entry)
            if len(samples) >= MAX_VALUES:
                return list(samples), samples
        scanned += len(entries)
        if scanned >= FINGERPRINT_SCAN:
            break
    return list(samples), samples


# --- changing state -------------------------------------------------------------------------------

def evaluate_rule(rule: Rule, now: datetime, *, claim: str | None = None) -> Outcome | None:
    """Observe, then apply. None when the rule was deleted, or claimed by another worker meanwhile."""
    return apply(rule.pk, observe(rule, now), now, claim=claim)


def apply(rule_id: int, observation: Observation, now: datetime, *, claim: str | None = None) -> Outcome | None:
    with transaction.atomic():
        rule = (Rule.objects.select_for_update(of=("self",)).select_related("tenant", "episode")
                .filter(pk=rule_id).first())
        if rule is None or (claim is not None and rule.claim_token != claim):
            return None
        new_values = []
        if rule.kind == Rule.Kind.NEW_VALUE:
            new_values = _remember(rule, observation.values, now)
            rule.baseline_at = rule.baseline_at or now
        met = condition_met(rule, observation.count, new_values)
        event = _transition(rule, met, observation, now, new_values)
        rule.last_evaluated_at = now
        rule.last_count = observation.count
        rule.last_error = ""
        rule.next_evaluation_at = now + timedelta(seconds=rule.interval_seconds)
        rule.claim_token, rule.claimed_until = "", None
        rule.save(update_fields=["state", "state_changed_at", "episode", "baseline_at", "last_evaluated_at",
                                 "last_count", "last_error", "next_evaluation_at", "claim_token", "claimed_until"])
    return Outcome(rule.pk, rule.state, observation.count, event, new_values)


def stand_down(rule_id: int, now: datetime) -> Event | None:
    """A rule switched off while firing resolves at once, notifying as a resolve always does, so no
    incident stays open in a receiver because nobody evaluates the rule any more."""
    with transaction.atomic():
        rule = (Rule.objects.select_for_update(of=("self",)).select_related("tenant", "episode")
                .filter(pk=rule_id).first())
        if rule is None or rule.enabled or rule.state != State.FIRING:
            return None
        muted = rule.is_muted(now)
        event = _event(rule, State.RESOLVED, Observation(now, now, 0), now, [], muted, episode=rule.episode)
        if not muted:
            _owe_resolved(rule, event, now)
        _set_state(rule, State.RESOLVED, now)
        rule.save(update_fields=["state", "state_changed_at"])
    return event


def condition_met(rule: Rule, count: int, new_values: list[str]) -> bool:
    if rule.kind == Rule.Kind.ABSENCE:
        return count == 0
    if rule.kind == Rule.Kind.NEW_VALUE:
        return bool(new_values)
    return count > rule.threshold if rule.comparison == Rule.Comparison.ABOVE else count < rule.threshold


def _remember(rule: Rule, values: list[str], now: datetime) -> list[str]:
    """Record the values as seen; the ones not seen before (none while learning the baseline)."""
    digests = {digest(v): v for v in values}
    known = set(SeenValue.objects.filter(rule=rule, digest__in=list(digests)).values_list("digest", flat=True))
    SeenValue.objects.filter(rule=rule, digest__in=list(known)).update(last_seen_at=now)
    fresh = [SeenValue(rule=rule, digest=d, value=v, first_seen_at=now, last_seen_at=now)
             for d, v in digests.items() if d not in known]
    SeenValue.objects.bulk_create(fresh, ignore_conflicts=True)
    excess = SeenValue.objects.filter(rule=rule).count() - settings.DEVLOGS_ALERT_SEEN_VALUES_MAX
    if excess > 0:
        oldest = SeenValue.objects.filter(rule=rule).order_by("last_seen_at", "id").values_list("id", flat=True)
        SeenValue.objects.filter(id__in=list(oldest[:excess])).delete()
    return [] if rule.baseline_at is None else [s.value for s in fresh]


def _transition(rule: Rule, met: bool, observation: Observation, now: datetime, new_values: list[str]):
    """ok → firing → resolved → ok; a new_value rule fires again, within its episode, for each new value."""
    previous = rule.state
    muted = rule.is_muted(now)
    if met and (previous != State.FIRING or new_values):
        event = _event(rule, State.FIRING, observation, now, new_values, muted,
                       episode=rule.episode if previous == State.FIRING else None)
        if previous != State.FIRING:
            rule.episode = event
        _set_state(rule, State.FIRING, now)
        if not muted:
            _owe_firing(rule, event, now)
        return event
    if not met and previous == State.FIRING:
        event = _event(rule, State.RESOLVED, observation, now, [], muted, episode=rule.episode)
        if not muted:
            _owe_resolved(rule, event, now)
        _set_state(rule, State.RESOLVED, now)
        return event
    if not met and previous == State.RESOLVED:
        event = _event(rule, State.OK, observation, now, [], muted, episode=rule.episode)
        rule.episode = None
        _set_state(rule, State.OK, now)
        return event
    return None


def _set_state(rule: Rule, state: str, now: datetime) -> None:
    if rule.state != state:
        rule.state, rule.state_changed_at = state, now


def _event(rule, state, observation, now, new_values, muted, *, episode) -> Event:
    if rule.kind == Rule.Kind.NEW_VALUE:
        samples = [observation.value_samples[v] for v in new_values if v in observation.value_samples]
    else:
        samples = observation.samples
    return Event.objects.create(
        rule=rule, tenant=rule.tenant, state=state, previous_state=rule.state, episode=episode, at=now,
        count=observation.count, window_start=observation.since, window_end=observation.until,
        query=rule.query, condition=condition_text(rule), new_values=new_values, samples=samples[:SAMPLES],
        muted=muted)


def _owe_firing(rule: Rule, event: Event, now: datetime) -> None:
    Delivery.objects.bulk_create([
        Delivery(event=event, channel=channel, kind=Delivery.Kind.FIRING, next_attempt_at=now,
                 idempotency_key=f"{rule.pk}:{event.pk}:firing:{channel.pk}")
        for channel in rule.channels.filter(enabled=True)], ignore_conflicts=True)


def _owe_resolved(rule: Rule, event: Event, now: datetime) -> None:
    """A resolve for each channel told of this episode's firing, after that firing notification."""
    if rule.episode_id is None:
        return
    episode_events = Event.objects.filter(Q(pk=rule.episode_id) | Q(episode_id=rule.episode_id), state=State.FIRING)
    latest = {}
    for delivery in (Delivery.objects.filter(event__in=episode_events, kind=Delivery.Kind.FIRING)
                     .exclude(status=Delivery.Status.FAILED).order_by("-id")):
        latest.setdefault(delivery.channel_id, delivery)
    Delivery.objects.bulk_create([
        Delivery(event=event, channel_id=channel_id, kind=Delivery.Kind.RESOLVED, next_attempt_at=now,
                 depends_on=firing if firing.status == Delivery.Status.PENDING else None,
                 idempotency_key=f"{rule.pk}:{rule.episode_id}:resolved:{channel_id}")
        for channel_id, firing in latest.items()], ignore_conflicts=True)


# --- the worker's side ------------------------------------------------------------------------------

def claim_next_rule(now: datetime) -> tuple[Rule, str] | None:
    """The most overdue rule no one holds, now held by us until LEASE passes.

    PostgreSQL: SKIP LOCKED lets workers claim side by side. SQLite: every write transaction
    here is BEGIN IMMEDIATE (settings), so claims are taken one after another, also safely.
    """
    token = uuid.uuid4().hex
    with transaction.atomic():
        rule = (Rule.objects.select_for_update(skip_locked=True, of=("self",)).select_related("tenant")
                .filter(enabled=True, next_evaluation_at__lte=now)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .order_by("next_evaluation_at", "id").first())
        if rule is None:
            return None
        Rule.objects.filter(pk=rule.pk).update(claim_token=token, claimed_until=now + LEASE)
    rule.claim_token = token
    return rule, token


def evaluate_due_rules(now: datetime, *, stop: threading.Event | None = None) -> list[Outcome]:
    """Evaluate every rule due at `now`, once each. A failing rule is recorded and retried next interval."""
    outcomes = []
    while not (stop and stop.is_set()):
        claimed = claim_next_rule(now)
        if claimed is None:
            break
        rule, token = claimed
        try:
            outcome = evaluate_rule(rule, now, claim=token)
        except Exception as exc:  # one broken rule (or a database hiccup) must not stop the others
            metrics.ALERT_EVALUATIONS.labels("error").inc()
            log.exception("alert rule evaluation failed", extra={"rule": rule.pk, "tenant": rule.tenant.slug})
            Rule.objects.filter(pk=rule.pk, claim_token=token).update(
                last_error=f"{type(exc).__name__}: {exc}"[:2000], claim_token="", claimed_until=None,
                next_evaluation_at=now + timedelta(seconds=rule.interval_seconds))
            continue
        metrics.ALERT_EVALUATIONS.labels(outcome.state if outcome is not None else "skipped").inc()
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes
