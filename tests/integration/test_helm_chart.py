"""helm/oretrail through a real helm (built with ``go install``): ``helm lint`` and ``helm
template`` with the default values and with everything switched on, every rendered manifest
validated offline against the Kubernetes JSON schemas (kubernetes-validate, the oldest and
newest version the chart supports), and what the containers will run checked against the
real CLI, settings models, connectors, facility loader and key ring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from connectors.sdk import load
from oretrail.kafka import TOPICS
from sink.jose import KeyRing
from sink.untp import load_facilities
from streams.app import WorkerConfig
from tests.deploy_support import (
    PROBES,
    environment,
    host_path,
    parse_command,
    unknown_env,
    validate_env,
)
from tests.integration.helm_render import (
    CHART,
    KUBE_VERSIONS,
    SERVICE_MONITOR_API,
    Manifests,
    helm_binary,
    render,
    run_helm,
    value_args,
)

# the first run builds helm (minutes on 2 cores) inside the first test's setup
pytestmark = pytest.mark.timeout(1800)

# Secrets and claims the everything-on values expect to exist in the cluster already
EXTERNAL = {"erp-staging-db", "erp-exports", "resolver-tls", "registry-credentials"}
ROLE_PORTS = {
    "capture": ("CaptureConfig", "host", "port"),
    "worker": ("WorkerConfig", "web_host", "web_port"),
    "sink": ("SinkSettings", "resolver_host", "resolver_port"),
}
# the fields of a ServiceMonitor (monitoring.coreos.com/v1) this chart uses, with the types
# of the Prometheus Operator's CRD: the CRD is not in the Kubernetes schemas
SERVICE_MONITOR = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {
                    "type": "object",
                    "properties": {
                        "matchLabels": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        }
                    },
                },
                "namespaceSelector": {
                    "type": "object",
                    "properties": {"matchNames": {"type": "array", "items": {"type": "string"}}},
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string"},
                            "scheme": {"enum": ["http", "https"]},
                            "interval": {
                                "type": "string",
                                "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?"
                                "(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
                            },
                        },
                    },
                },
            },
        },
    },
}


def local_args(args: list[str], files: dict[str, Path]) -> list[str]:
    """Container paths in ``args`` mapped to the rendered files written here."""
    return [str(host_path(a, files) or a) if a.startswith("/") else a for a in args]


@pytest.fixture(scope="module")
def helm() -> Path:
    return helm_binary()


@pytest.fixture(scope="module")
def default(helm: Path) -> Manifests:
    return Manifests(render(helm))


@pytest.fixture(scope="module")
def everything(helm: Path) -> Manifests:
    return Manifests(render(helm, everything=True, api_versions=[SERVICE_MONITOR_API]))


@pytest.mark.parametrize("everything_on", [False, True], ids=["default", "everything-on"])
def test_helm_lint_passes(helm: Path, everything_on: bool) -> None:
    done = run_helm(helm, "lint", str(CHART), "--strict", *value_args(everything_on))
    assert done.returncode == 0, done.stdout + done.stderr


def test_values_schema_refuses_a_misspelt_key(helm: Path) -> None:
    done = run_helm(helm, "lint", str(CHART), "--set", "worker.replica=3")
    assert done.returncode != 0
    assert "'replica' not allowed" in done.stdout + done.stderr


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("everything_on", [False, True], ids=["default", "everything-on"])
def test_manifests_validate_against_kubernetes_schemas(
    helm: Path, everything_on: bool, kube_version: str
) -> None:
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="the dev dependency kubernetes-validate is not installed"
    )
    docs = render(
        helm,
        everything=everything_on,
        api_versions=[SERVICE_MONITOR_API],
        kube_version=kube_version,
    )
    kinds = set()
    for doc in docs:
        kinds.add(doc["kind"])
        if doc["apiVersion"] == "monitoring.coreos.com/v1":
            jsonschema.validate(doc, SERVICE_MONITOR)
        else:
            kubernetes_validate.validate(doc, kube_version, strict=True)
    expected = {"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget"}
    if everything_on:
        expected |= {"HorizontalPodAutoscaler", "ServiceMonitor", "Ingress"}
    assert expected <= kinds


def test_one_deployment_per_role(default: Manifests, everything: Manifests) -> None:
    names = {d["metadata"]["name"] for d in default.of("Deployment")}
    assert names == {"rel-oretrail-capture", "rel-oretrail-worker", "rel-oretrail-sink"}
    names = {d["metadata"]["name"] for d in everything.of("Deployment")}
    assert names == {
        "rel-oretrail-capture",
        "rel-oretrail-worker",
        "rel-oretrail-sink",
        "rel-oretrail-connector-plant-mqtt",
        "rel-oretrail-connector-erp-staging",
    }


@pytest.mark.parametrize("which", ["default", "everything"])
def test_commands_and_variables_are_real(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    manifests: Manifests = request.getfixturevalue(which)
    for deployment, container in manifests.containers():
        name = deployment["metadata"]["name"]
        assert "command" not in container, "the image's entrypoint (tini, oretrail) runs"
        files = manifests.mounted_files(deployment, container, tmp_path / name)
        parse_command(local_args(container["args"], files))
        env = manifests.environment(container)
        assert unknown_env(env) == [], f"{name} sets variables no settings model reads"
        validate_env({k: v for k, v in env.items() if k.startswith("ORETRAIL_")})
        assert env["ORETRAIL_HOME"] == "/var/lib/oretrail"
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/var/lib/oretrail", "/tmp"} <= mounts, "the root filesystem is read-only"


def test_connectors_run_with_their_rendered_configuration(
    everything: Manifests, tmp_path: Path
) -> None:
    for deployment, container in everything.containers():
        args = container["args"]
        if args[:2] != ["connectors", "run"]:
            continue
        files = everything.mounted_files(deployment, container, tmp_path / args[2])
        params = parse_command(local_args(args, files)).params
        cls = load(params["name"])
        values = yaml.safe_load(Path(params["config_file"]).read_text())
        values = {
            k: str(host_path(v, files) or v) if isinstance(v, str) and v.startswith("/") else v
            for k, v in values.items()
        }
        with environment(everything.environment(container)):
            source = cls(cls.config_model(**values))  # validates, loads mappings; no I/O yet
        assert source.name == params["name"]


def test_worker_replicas_follow_the_event_partitions(
    default: Manifests, everything: Manifests
) -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    partitions = {t.name: t.partitions for t in TOPICS}[WorkerConfig().events_topic]
    assert values["kafka"]["eventPartitions"] == partitions
    assert default.component("worker")["spec"]["replicas"] == partitions
    # autoscaled: the HPA owns the count, up to one worker per partition, on consumer lag
    assert "replicas" not in everything.component("worker")["spec"]
    [hpa] = everything.of("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "rel-oretrail-worker"
    assert hpa["spec"]["maxReplicas"] == partitions
    [metric] = hpa["spec"]["metrics"]
    assert metric["type"] == "External"
    selector = metric["external"]["metric"]["selector"]["matchLabels"]
    assert selector["consumergroup"] == WorkerConfig().app_id
    assert selector["topic"] == WorkerConfig().events_topic


@pytest.mark.parametrize("which", ["default", "everything"])
def test_probes_ask_the_roles_ports_and_paths(which: str, request: pytest.FixtureRequest) -> None:
    manifests: Manifests = request.getfixturevalue(which)
    for role, (model, host_field, port_field) in ROLE_PORTS.items():
        container = manifests.component(role)["spec"]["template"]["spec"]["containers"][0]
        cfg = validate_env(manifests.environment(container))[model]
        assert getattr(cfg, host_field) == "0.0.0.0"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        paths = set()
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe in container:
                get = container[probe]["httpGet"]
                assert ports[get["port"]] == getattr(cfg, port_field), f"{role} {probe}"
                paths.add(get["path"])
        assert {"readinessProbe", "livenessProbe"} <= set(container), role
        assert paths <= {p for k, p in PROBES.items() if k.split("-")[0] == role}, role
        assert container["resources"]["requests"], f"{role} has no resource requests"
        assert container["resources"]["limits"]["memory"], f"{role} has no memory limit"


@pytest.mark.parametrize("which", ["default", "everything"])
def test_references_resolve(which: str, request: pytest.FixtureRequest) -> None:
    manifests: Manifests = request.getfixturevalue(which)
    rendered = {(d["kind"], d["metadata"]["name"]) for d in manifests.docs}
    deployments = manifests.of("Deployment")

    def pods_matching(selector: dict[str, str]) -> list[dict[str, Any]]:
        return [
            d
            for d in deployments
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]

    for service in manifests.of("Service"):
        [pod] = pods_matching(service["spec"]["selector"])
        names = {
            p["name"] for c in pod["spec"]["template"]["spec"]["containers"] for p in c["ports"]
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in names, service["metadata"]["name"]
    for pdb in manifests.of("PodDisruptionBudget"):
        assert len(pods_matching(pdb["spec"]["selector"]["matchLabels"])) == 1
    for deployment in deployments:
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert ("ServiceAccount", spec["serviceAccountName"]) in rendered
        for volume in spec["volumes"]:
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in rendered
            if "secret" in volume:
                assert ("Secret", volume["secret"]["secretName"]) in rendered
            if "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"]["claimName"]
                assert ("PersistentVolumeClaim", claim) in rendered or claim in EXTERNAL
        for container in spec["containers"]:
            for var in container.get("env") or []:
                if "valueFrom" in var:
                    secret = var["valueFrom"]["secretKeyRef"]["name"]
                    assert ("Secret", secret) in rendered or secret in EXTERNAL, var["name"]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert {"checksum/config", "checksum/secrets"} <= set(annotations)


def test_service_monitor_needs_the_value_and_the_api(helm: Path, everything: Manifests) -> None:
    [monitor] = everything.of("ServiceMonitor")
    selector = monitor["spec"]["selector"]["matchLabels"]
    scraped = [
        s
        for s in everything.of("Service")
        if selector.items() <= s["metadata"]["labels"].items()
        and any(p["name"] == "metrics" for p in s["spec"]["ports"])
    ]
    assert len(scraped) == len(everything.of("Deployment"))
    without_api = Manifests(render(helm, everything=True))
    assert without_api.of("ServiceMonitor") == []
    assert Manifests(render(helm, api_versions=[SERVICE_MONITOR_API])).of("ServiceMonitor") == []


def test_signing_keys_form_the_issuers_key_ring(
    default: Manifests, everything: Manifests, tmp_path: Path
) -> None:
    for manifests, algorithm, retired in ((default, "EdDSA", 0), (everything, "ES256", 1)):
        deployment = manifests.component("sink")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = manifests.environment(container)
        cfg = validate_env(env)["SinkSettings"]
        assert cfg.algorithm == algorithm
        files = manifests.mounted_files(deployment, container, tmp_path / algorithm)
        key_dir = host_path(str(cfg.key_dir), files) or tmp_path / "absent"
        ring = KeyRing.load(key_dir, cfg.signing_key, cfg.algorithm, did=cfg.did())
        assert ring.active.source == "ORETRAIL_SINK_SIGNING_KEY"
        assert ring.active.alg == algorithm
        assert len(ring.all) == 1 + retired, "retired keys stay in the ring (DID document)"
        [secret] = [s for s in manifests.of("Secret") if s["metadata"]["name"].endswith("-signing")]
        assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_facility_master_data_reaches_the_sink(everything: Manifests, tmp_path: Path) -> None:
    deployment = everything.component("sink")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    cfg = validate_env(everything.environment(container))["SinkSettings"]
    files = everything.mounted_files(deployment, container, tmp_path)
    path = host_path(str(cfg.facilities), files)
    assert path is not None
    assert [f.name for f in load_facilities(path).values()] == [
        "Kolwezi cobalt mine",
        "Cobalt refinery",
    ]


def test_guards_refuse_impossible_settings(helm: Path) -> None:
    for sets, reason in (
        ({"capture.replicas": "2"}, "one replica"),
        (
            {"worker.autoscaling.enabled": "true", "worker.autoscaling.maxReplicas": "9"},
            "exceeds kafka.eventPartitions",
        ),
    ):
        with pytest.raises(RuntimeError, match=reason):
            render(helm, sets=sets)
