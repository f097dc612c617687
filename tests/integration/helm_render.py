"""Rendering helm/oretrail with a real helm binary, and reading the manifests back.

helm comes from ``scripts/helm.sh``: built once with ``go install`` through the Go module
proxy into ``~/.cache/oretrail/helm-<version>/`` (minutes the first time, instant after).
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "oretrail"
EVERYTHING_ON = CHART / "ci" / "everything-on-values.yaml"
# the connector mapping the everything-on values leave to the command line (--set-file)
EVERYTHING_ON_FILES = {
    "connectors.erp-staging.files.refinery-mapping\\.yaml": ROOT
    / "examples/erp/refinery-mapping.yaml"
}
SERVICE_MONITOR_API = "monitoring.coreos.com/v1/ServiceMonitor"
# the oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest whose
# schemas kubernetes-validate bundles
KUBE_VERSIONS = ("1.29.0", "1.37.0")


def helm_binary() -> Path:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "helm.sh")],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scripts/helm.sh failed ({done.returncode}): {done.stderr[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def value_args(everything: bool, sets: Mapping[str, str] | None = None) -> list[str]:
    args: list[str] = []
    if everything:
        args += ["-f", str(EVERYTHING_ON)]
        for key, path in EVERYTHING_ON_FILES.items():
            args += ["--set-file", f"{key}={path}"]
    for key, value in (sets or {}).items():
        args += ["--set", f"{key}={value}"]
    return args


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(helm), *args], capture_output=True, text=True, check=False, timeout=120
    )


def render(
    helm: Path,
    *,
    everything: bool = False,
    api_versions: Sequence[str] = (),
    sets: Mapping[str, str] | None = None,
    kube_version: str = KUBE_VERSIONS[-1],
) -> list[dict[str, Any]]:
    """``helm template`` of the chart; the manifests as dicts (empty documents dropped)."""
    args = ["template", "rel", str(CHART), "--namespace", "oretrail"]
    args += ["--kube-version", kube_version, *value_args(everything, sets)]
    for api in api_versions:
        args += ["--api-versions", api]
    done = run_helm(helm, *args)
    if done.returncode != 0:
        raise RuntimeError(f"helm template failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@dataclass(frozen=True)
class Manifests:
    docs: list[dict[str, Any]]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of(kind) if d["metadata"]["name"] == name]
        if len(found) != 1:
            raise KeyError(f"{kind}/{name}: {len(found)} rendered")
        return found[0]

    def component(self, name: str) -> dict[str, Any]:
        """The Deployment of one component (capture, worker, sink, connector-<name>)."""
        return self.named("Deployment", f"rel-oretrail-{name}")

    def containers(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for deployment in self.of("Deployment"):
            for container in deployment["spec"]["template"]["spec"]["containers"]:
                yield deployment, container

    def environment(self, container: dict[str, Any]) -> dict[str, str]:
        """A container's variables: its ConfigMaps (envFrom), then its own ``env``; a value
        from a Secret the chart renders is read from it, from any other Secret it is a
        placeholder."""
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            env.update(self.named("ConfigMap", source["configMapRef"]["name"])["data"])
        for var in container.get("env") or []:
            if "value" in var:
                env[var["name"]] = str(var["value"])
            else:
                ref = var["valueFrom"]["secretKeyRef"]
                env[var["name"]] = self.secret_value(ref["name"], ref["key"])
        return env

    def secret_value(self, name: str, key: str) -> str:
        rendered = [d for d in self.of("Secret") if d["metadata"]["name"] == name]
        if not rendered:
            return f"<from Secret {name} key {key}>"
        return base64.b64decode(rendered[0]["data"][key]).decode()

    def mounted_files(
        self, deployment: dict[str, Any], container: dict[str, Any], into: Path
    ) -> dict[str, Path]:
        """The ConfigMap and Secret volumes the chart renders, written under ``into``;
        mount path → that folder (for :func:`tests.deploy_support.host_path`)."""
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        out: dict[str, Path] = {}
        for mount in container.get("volumeMounts") or []:
            volume = volumes[mount["name"]]
            folder = into / mount["name"]
            if "configMap" in volume:
                data = self.named("ConfigMap", volume["configMap"]["name"])["data"]
                files = {k: v.encode() for k, v in data.items()}
            elif "secret" in volume:
                secret = self.named("Secret", volume["secret"]["secretName"])
                files = {k: base64.b64decode(v) for k, v in secret["data"].items()}
            else:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            for file, content in files.items():
                (folder / file).write_bytes(content)
            out[mount["mountPath"]] = folder
        return out
