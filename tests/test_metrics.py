"""/metrics reflects a real ingest run: the counts a scrape shows are the lines sent and stored."""

import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import Tenant
from logs.models import LogEntry
from tests.conftest import http_post_logs, running_server, wait_for

pytestmark = pytest.mark.live


def scrape(address, token=None) -> dict[tuple[str, tuple], float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://{address}/metrics", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_what_a_real_ingest_run_did(transactional_db, tmp_path, make_key):
    acme = make_key(tenant="acme")
    globex = make_key(tenant="globex")
    Tenant.objects.filter(slug="globex").update(ingest_lines_per_second=10)
    with running_server(tmp_path) as address:
        for batch in range(5):
            lines = [{"message": f"acme {batch}-{i}"} for i in range(200)]
            assert http_post_logs(address, acme, lines)[0] == 202
        # One good and two bad lines; then globex goes over its rate.
        status, body, _ = http_post_logs(address, globex, [{"message": "ok"}, {"level": "x"}, {"message": 5}])
        assert status == 202 and body["rejected_count"] == 2
        assert http_post_logs(address, globex, [{"message": "g"}] * 50)[0] == 202
        assert http_post_logs(address, globex, [{"message": "over"}] * 7)[0] == 429

        wait_for(lambda: LogEntry.objects.count() == 1051, what="all lines stored")
        wait_for(lambda: value(scrape(address), "devlogs_processor_lines_total") == 1051, what="processor counted")
        samples = scrape(address)

    # Tenants by id, never by name: a scrape may be seen by more people than the tenants' own.
    acme_id, globex_id = (str(Tenant.objects.get(slug=slug).id) for slug in ("acme", "globex"))
    assert value(samples, "devlogs_ingest_lines_total", tenant=acme_id, protocol="json") == 1000
    assert value(samples, "devlogs_ingest_lines_total", tenant=globex_id, protocol="json") == 51
    assert value(samples, "devlogs_ingest_bytes_total", tenant=acme_id, protocol="json") > 1000 * 20
    assert value(samples, "devlogs_ingest_rejected_lines_total", tenant=globex_id, reason="missing_message") == 1
    assert value(samples, "devlogs_ingest_rejected_lines_total", tenant=globex_id, reason="invalid_message") == 1
    assert value(samples, "devlogs_ingest_rejected_lines_total", tenant=globex_id, reason="rate_limited") == 7
    assert not any(label_value in ("acme", "globex", "Acme", "Globex")
                   for _, labels in samples for _, label_value in labels)
    assert value(samples, "devlogs_queue_publish_seconds_count", queue="embedded") == 7
    assert value(samples, "devlogs_processor_batch_lines_sum") == 1051
    assert value(samples, "devlogs_processor_batch_lines_count") >= 1
    assert value(samples, "devlogs_processor_write_seconds_count") >= 1
    assert value(samples, "devlogs_processor_dead_letters_total") == 0
    assert ("devlogs_processor_lag_messages", (("partition", "embedded"),)) in samples


def test_a_metrics_token_keeps_strangers_out(transactional_db, tmp_path):
    with running_server(tmp_path, DEVLOGS_METRICS_TOKEN="s3cret-scrape-token") as address:
        with pytest.raises(urllib.error.HTTPError) as info:
            scrape(address)
        assert info.value.code == 401
        with pytest.raises(urllib.error.HTTPError):
            scrape(address, token="wrong")
        samples = scrape(address, token="s3cret-scrape-token")
        assert ("devlogs_processor_lines_total", ()) in samples


@pytest.mark.django_db
def test_production_serves_no_metrics_on_the_web_role_without_a_token(client, settings):
    settings.DEVLOGS_PRODUCTION, settings.DEVLOGS_METRICS_TOKEN = True, ""
    response = client.get("/metrics")
    assert response.status_code == 403 and b"DEVLOGS_METRICS_TOKEN" in response.content
    settings.DEVLOGS_METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200


def test_the_grafana_dashboard_only_charts_metrics_that_exist():
    import json
    import re

    from prometheus_client import REGISTRY

    from tests.conftest import ROOT

    dashboard = json.loads((ROOT / "deploy" / "grafana" / "devlogs-dashboard.json").read_text())
    known = {sample_name for family in REGISTRY.collect() if family.name.startswith("devlogs_")
             for sample_name in (family.name, family.name + "_total", family.name + "_bucket")}
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 12
    for expr in exprs:
        for name in re.findall(r"devlogs_[a-z_]+", expr):
            assert name in known, f"{name} in {expr!r} is not a devlogs metric"
