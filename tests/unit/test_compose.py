"""docker-compose.yml checked without a Docker engine: its structure, and every oretrail
command, variable and file it names against the real CLI, settings models and repository.

What runs in a container is parsed here by what will run it: the commands by click
(``oretrail.cli``), the ``ORETRAIL_*`` variables by the pydantic-settings models, the
connector configuration files by the connectors' own models, the facility master data by
the sink's loader, the bucket step's imports by Python.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.sdk import installed, load
from oretrail.config import KAFKA_VERSION
from oretrail.kafka import TOPICS
from oretrail.registry import APICURIO_VERSION
from streams.app import WorkerConfig
from tests.deploy_support import (
    PROBES,
    environment,
    host_path,
    parse_command,
    unknown_env,
    validate_env,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ROLES = {"capture", "connector-mqtt", "connector-epcis", "worker", "sink"}
INFRA = {"kafka", "schema-registry", "minio", "otel-collector", "prometheus", "grafana"}
# a service may go without a healthcheck only for a reason written in the compose file
NO_HEALTHCHECK = {
    "otel-collector",  # distroless image: nothing inside to probe with
    "connector-mqtt",  # serves no port
    "connector-epcis",
    "topics",  # one-shot
    "bucket",
}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$\$")


def interpolate(value: str) -> str:
    """Compose's interpolation with the defaults the file gives (nothing set outside)."""
    return _VAR.sub(lambda m: "$" if m.group(0) == "$$" else (m.group(2) or ""), value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = compose["services"]
    return out


def built(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if "build" in s}


def env_of(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {k: interpolate(str(v)) for k, v in raw.items()}


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path → repository path of each bind mount (``./...:/target[:ro]``)."""
    mounts = {}
    for volume in service.get("volumes") or []:
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts[target] = (ROOT / source).resolve()
    return mounts


def container_argv(service: dict[str, Any]) -> list[str]:
    """The service's command with container paths mapped to the repository's files."""
    mounts = bind_mounts(service)
    return [
        str(host_path(arg, mounts) or arg) if arg.startswith("/") else arg
        for arg in service["command"]
    ]


def depends_closure(services: dict[str, dict[str, Any]], name: str) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for dep in services[todo.pop()].get("depends_on") or {}:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_the_stack_has_every_part_the_issue_names(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= INFRA | ROLES
    assert built(services).keys() >= ROLES, "oretrail's roles are built from the repo Dockerfile"


def test_images_are_pinned_by_tag(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if "build" in service:
            continue
        image = service["image"]
        repo, _, tag = image.rpartition(":")
        assert repo, f"{name}: {image} names no tag"
        assert tag, f"{name}: {image} names no tag"
        assert "/" not in tag, f"{name}: {image} names no tag"
        assert tag != "latest", f"{name}: {image} floats"
    # the same versions the embedded broker and the registry tests run
    assert services["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert services["schema-registry"]["image"] == f"apicurio/apicurio-registry:{APICURIO_VERSION}"


def test_every_oretrail_command_exists_in_the_cli(services: dict[str, dict[str, Any]]) -> None:
    for name, service in built(services).items():
        if "entrypoint" in service:
            continue  # checked by test_the_bucket_step_imports_real_code
        ctx = parse_command(container_argv(service))  # raises on unknown commands, bad options
        assert ctx.command.name, name


def test_connector_services_run_installed_connectors_with_valid_configs(
    services: dict[str, dict[str, Any]],
) -> None:
    names = {item.name for item in installed()}
    seen = set()
    for name, service in built(services).items():
        command = service.get("command") or []
        if command[:2] != ["connectors", "run"]:
            continue
        mounts = bind_mounts(service)
        params = parse_command(container_argv(service)).params
        assert params["name"] in names, f"{name}: connector {params['name']} is not installed"
        cls = load(params["name"])
        values = yaml.safe_load(Path(params["config_file"]).read_text())
        with environment(env_of(service)):
            config = cls.config_model(**values)  # what `connectors run` builds
        seen.add(params["name"])
        if params["name"] == "mqtt":
            assert config.host in services, "the MQTT broker is a service of the stack"
        for path in getattr(config, "paths", ()):
            assert host_path(str(path), mounts) is not None, f"{name}: {path} is not mounted"
            assert host_path(str(path), mounts).exists()  # type: ignore[union-attr]
    assert seen == {"mqtt", "epcis-file"}


def test_every_oretrail_variable_is_a_real_setting(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        env = env_of(service)
        assert unknown_env(env) == [], f"{name} sets variables no settings model reads"
        if "build" in service:
            validate_env({k: v for k, v in env.items() if k.startswith("ORETRAIL_")})


def test_roles_reach_kafka_and_the_registry_they_depend_on(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in built(services).items():
        env = env_of(service)
        closure = depends_closure(services, name)
        for value in env.values():
            for other in services:
                if re.search(rf"(^|//|,){re.escape(other)}:\d+", value):
                    assert other in closure, f"{name} uses {other} without depending on it"
    core = validate_env(env_of(services["capture"]))["Settings"]
    assert core.bootstrap == "kafka:9092"
    assert core.schema_registry_url == "http://schema-registry:8080/apis/ccompat/v7"


def test_depends_on_uses_conditions_that_can_be_met(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        deps = service.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: depends_on without conditions"
        for dep, spec in deps.items():
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep}'s health"
            elif condition == "service_completed_successfully":
                assert services[dep].get("restart") == "no", f"{dep} is not a one-shot step"
            else:
                assert condition == "service_started"
    for role in ROLES:
        assert services[role]["depends_on"]["topics"]["condition"] == (
            "service_completed_successfully"
        )


def test_healthchecks_probe_the_ports_the_roles_listen_on(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        if name not in NO_HEALTHCHECK:
            assert "healthcheck" in service, f"{name} has no healthcheck"
    settings = {
        "capture": ("CaptureConfig", "host", "port"),
        "worker": ("WorkerConfig", "web_host", "web_port"),
        "sink": ("SinkSettings", "resolver_host", "resolver_port"),
    }
    for name, (model, host_field, port_field) in settings.items():
        cfg = validate_env(env_of(services[name]))[model]
        assert getattr(cfg, host_field) == "0.0.0.0", f"{name} must listen beyond loopback"
        probe = " ".join(services[name]["healthcheck"]["test"])
        url = f"http://127.0.0.1:{getattr(cfg, port_field)}{PROBES[name]}"
        assert f"'{url}'" in probe, f"{name}'s healthcheck does not ask {url}"


def test_published_ports_are_loopback_only(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for port in service.get("ports") or []:
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every address"
    published = {str(p).split(":")[1] for s in services.values() for p in s.get("ports") or []}
    assert len(published) == sum(len(s.get("ports") or []) for s in services.values())


def test_workers_scale_up_to_the_event_partitions(services: dict[str, dict[str, Any]]) -> None:
    partitions = {t.name: t.partitions for t in TOPICS}[WorkerConfig().events_topic]
    replicas = services["worker"]["deploy"]["replicas"]
    assert 1 <= replicas <= partitions
    assert "ports" not in services["worker"], "replicas cannot share a published port"
    assert not any(not v.startswith(".") for v in services["worker"].get("volumes") or []), (
        "replicas must not share a RocksDB state volume"
    )


def test_files_and_volumes_referenced_exist(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"
    facilities = validate_env(env_of(services["sink"]))["SinkSettings"].facilities
    assert facilities is not None
    path = host_path(str(facilities), bind_mounts(services["sink"]))
    assert path is not None
    from sink.untp import load_facilities

    assert len(load_facilities(path)) == 2


def test_signing_key_is_a_secret_in_the_sinks_key_directory(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    sink = services["sink"]
    key_dir = validate_env(env_of(sink))["SinkSettings"].key_dir
    assert key_dir is not None
    targets = [s["target"] for s in sink["secrets"] if s["source"] == "signing_key"]
    assert len(targets) == 1
    assert Path(targets[0]).parent == key_dir
    assert targets[0].endswith(".pem")
    for secret in compose["secrets"].values():
        path = ROOT / secret["file"]
        assert path.parent == ROOT / "deploy" / "secrets"
    ignore = (ROOT / "deploy/secrets/.gitignore").read_text().split()
    assert ignore[ignore.index("*") :] == ["*", "!.gitignore", "!README.md"]
    assert "ORETRAIL_SINK_SIGNING_KEY" not in env_of(sink), "no key material in the environment"


def test_the_bucket_step_imports_real_code(services: dict[str, dict[str, Any]]) -> None:
    step = services["bucket"]
    assert step["entrypoint"][:2] == ["python", "-c"]
    tree = ast.parse(step["entrypoint"][2])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = importlib.import_module(node.module or "")
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"
    settings = validate_env(env_of(step))["SinkSettings"]
    assert (
        settings.storage_url == validate_env(env_of(services["sink"]))["SinkSettings"].storage_url
    )
    assert settings.storage_url.startswith("s3://")  # type: ignore[union-attr]
    assert services["sink"]["depends_on"]["bucket"]["condition"] == (
        "service_completed_successfully"
    )


def test_observability_config_is_wired(services: dict[str, dict[str, Any]]) -> None:
    collector = yaml.safe_load((ROOT / "deploy/otel-collector/config.yaml").read_text())
    for pipeline in collector["service"]["pipelines"].values():
        for kind in ("receivers", "processors", "exporters"):
            for item in pipeline[kind]:
                assert item in collector[kind], f"pipeline uses undefined {kind[:-1]} {item}"
    assert collector["receivers"]["kafkametrics"]["brokers"] == ["kafka:9092"]
    otlp_http = collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    for role in ROLES:
        endpoint = env_of(services[role])["OTEL_EXPORTER_OTLP_ENDPOINT"]
        assert endpoint == f"http://otel-collector:{otlp_http.rsplit(':', 1)[1]}"
    prom = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        target
        for job in prom["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    exporter_port = collector["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]
    assert f"otel-collector:{exporter_port}" in targets
    for target in targets:
        assert target.split(":")[0] in services or target.startswith("localhost:")


def test_grafana_dashboard_is_provisioned(services: dict[str, dict[str, Any]]) -> None:
    grafana = services["grafana"]
    mounts = bind_mounts(grafana)
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/oretrail.yaml").read_text()
    )
    folder = host_path(provider["providers"][0]["options"]["path"], mounts)
    assert folder is not None
    assert (folder / "oretrail.json").is_file()
    datasources = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yaml").read_text()
    )
    uids = {d["uid"] for d in datasources["datasources"]}
    assert datasources["datasources"][0]["url"] == "http://prometheus:9090"
    dashboard = json.loads((folder / "oretrail.json").read_text())
    topics = {t.name for t in TOPICS}
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] in uids
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]
            for topic in re.findall(r'topic="([^"]+)"', target["expr"]):
                assert topic in topics, f"panel {panel['title']!r} names unknown topic {topic}"
            for group in re.findall(r'group=~"([^"]+)"', target["expr"]):
                assert re.fullmatch(group, WorkerConfig().app_id), panel["title"]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert host_path(home, mounts) == folder / "oretrail.json"
