"""Offline checks of the deployment kit: deploy/ (Dockerfile, docker-compose, entrypoint, pools, Kubernetes
manifests, Helm values), dagster_cloud.yaml and .dockerignore.

Nothing here needs Docker, a cluster or a network: Kubernetes manifests are validated against the schemas
kubernetes-validate bundles, the instance config through Dagster's own config validation, the entrypoint by
running it with bash, and the rest by reading the files and checking they agree with each other and with the code
(the settings the pipeline reads, the pools its assets claim).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from pipeline.settings import SECRET_VARIABLES

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
K8S_DIR = DEPLOY / "k8s"
DAGSTER_YAML = DEPLOY / "dagster.yaml"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
APP_ROOT = "/opt/voice-analytics"  # the Dockerfile's WORKDIR, where compose and dagster_cloud.yaml expect the code
GRPC_CMD = ["dagster", "api", "grpc", "-m", "pipeline.definitions", "-h", "0.0.0.0", "-p", "4000"]
# GKE's oldest supported minor and the newest schema kubernetes-validate bundles.
K8S_VERSIONS = ("1.30", kubernetes_validate.utils.latest_version())

# Settings the pipeline reads that a production deployment leaves unset, and why. Every other one must be
# settable: listed in deploy/.env.example (compose) and in the ConfigMap or Secret (Kubernetes, Dagster+).
NOT_DEPLOYED = {
    "VA_DUCKDB_PATH": "the embedded DuckDB warehouse; production is BigQuery",
    "VA_DUCKDB_MEMORY_LIMIT": "the embedded DuckDB warehouse; production is BigQuery",
    "VA_DBT_DUCKDB_MEMORY_LIMIT": "the embedded DuckDB warehouse's dbt connection; production is BigQuery",
    "VA_BIGQUERY_ENDPOINT": "the BigQuery emulator; set in production it would send every query there",
    "PUBSUB_EMULATOR_HOST": "the Pub/Sub emulator; set in production it would pull from it",
    "VA_MONITORING_ENDPOINT": "a plaintext Cloud Monitoring double for tests; set in production it would read queue depth there",
    "VA_SPOOL_DIR": "the agent's recorder, which runs in the LiveKit worker, not in Dagster",
    "VA_EXPORT_TIMEOUT_S": "the agent's recorder, which runs in the LiveKit worker, not in Dagster",
}
# Set by the deployment itself (compose `environment:`, the chart, the image), not by the operator.
SET_BY_COMPOSE_OR_CHART = {"DAGSTER_HOME", "VA_WAREHOUSE", "VA_DATA_DIR"}
# Read by a library, where an empty value is not "unset": the OpenAI SDK uses an empty OPENAI_BASE_URL as the URL.
EMPTY_IS_NOT_UNSET = {"OPENAI_BASE_URL"}


# --- helpers ------------------------------------------------------------------------------------------------

def load_yaml_docs(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def k8s_objects(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for path in sorted(K8S_DIR.glob("*.yaml"))
            for doc in load_yaml_docs(path) if doc["kind"] == kind}


def pipeline_env_vars() -> set[str]:
    """Every variable pipeline/settings.py and agent/settings.py read (the pipeline loads the agent's settings for
    Pub/Sub), found by their `env("NAME"...)`-style calls, plus the secrets the resources take as EnvVars."""
    pattern = re.compile(r"\b_?env\w*\(\s*\"([A-Z][A-Z0-9_]+)\"")
    found = set()
    for module in ("pipeline/settings.py", "agent/settings.py"):
        found |= set(pattern.findall((REPO / module).read_text()))
    return found | set(SECRET_VARIABLES)


def env_example() -> tuple[dict[str, str], set[str]]:
    """deploy/.env.example's active assignments, and the keys it lists commented out."""
    active, commented = {}, set()
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if m := re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line):
            active[m[1]] = m[2]
        elif m := re.fullmatch(r"#\s*([A-Z][A-Z0-9_]*)=.*", line):
            commented.add(m[1])
    return active, commented


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())


def app_services() -> dict[str, dict]:
    """The compose services that run our image (postgres is the other one)."""
    image = compose()["x-dagster"]["image"]
    return {name: svc for name, svc in compose()["services"].items() if svc.get("image") == image}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
            for line in (raw.strip() for raw in text.splitlines()) if line and not line.startswith("#")]


def dockerfile(instruction: str) -> list[str]:
    return [args for name, args in dockerfile_instructions() if name == instruction]


def instance_env(tmp_path: Path) -> dict[str, str]:
    """Dummy values for every variable deploy/dagster.yaml and the GCS block read."""
    return {"DAGSTER_PG_HOST": "postgres", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "dagster",
            "DAGSTER_PG_PASSWORD": "p@ss/word#1", "DAGSTER_PG_DB": "dagster",
            "DAGSTER_COMPUTE_LOG_DIR": str(tmp_path / "compute_logs")}


def validated_instance(home: Path) -> dict:
    """Load `home/dagster.yaml` the way a Dagster process does, then validate each configurable class's config
    against that class's own schema (what instantiating it would check, without connecting to anything).
    Returns the instance config plus each component's resolved (module, class, config)."""
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster._core.instance.ref import InstanceRef
    from dagster._serdes.config_class import class_from_code_pointer

    config, _ = dagster_instance_config(str(home))
    ref = InstanceRef.from_dir(str(home))
    components = {}
    for name in ("storage", "compute_logs", "run_coordinator", "run_launcher"):
        data = getattr(ref, f"{name}_data")
        cls = class_from_code_pointer(data.module_name, data.class_name)
        result = process_config(cls.config_type(), yaml.safe_load(data.config_yaml) or {})
        assert result.success, f"{name} ({data.class_name}): {[e.message for e in result.errors]}"
        components[name] = (data.module_name, data.class_name, result.value)
    return {"config": config, "components": components}


def run_entrypoint(tmp_path: Path, bucket: str | None, *command: str) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    env = {"PATH": os.environ["PATH"], "DAGSTER_HOME": str(home), "VA_INSTANCE_TEMPLATE": str(DAGSTER_YAML)}
    if bucket is not None:
        env["DAGSTER_COMPUTE_LOG_BUCKET"] = bucket
    return subprocess.run(["bash", str(ENTRYPOINT), *(command or ("true",))], env=env, capture_output=True,
                          text=True, timeout=30)


# --- Kubernetes manifests ----------------------------------------------------------------------------------

K8S_DOCS = [(path.name, i, doc) for path in sorted(K8S_DIR.glob("*.yaml"))
            for i, doc in enumerate(load_yaml_docs(path))]


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name,index,doc", K8S_DOCS, ids=[f"{n}#{i}" for n, i, _ in K8S_DOCS])
def test_k8s_manifest_validates_strictly_against_the_kubernetes_schema(name, index, doc, version):
    kubernetes_validate.validate(doc, desired_version=version, strict=True)


def test_k8s_manifests_use_core_kinds_only():
    # CRDs (BackendConfig, ManagedCertificate) would pass no schema check here; the kit keeps to core kinds.
    assert {doc["kind"] for _, _, doc in K8S_DOCS} <= {
        "Secret", "ConfigMap", "Job", "Deployment", "Service", "Ingress", "NetworkPolicy"}


def test_k8s_secret_template_holds_exactly_the_pipeline_secrets_with_empty_values():
    secret = k8s_objects("Secret")["voice-analytics-secrets"]
    assert set(secret["stringData"]) == set(SECRET_VARIABLES)
    assert all(value == "" for value in secret["stringData"].values()), "a template: no values in git"


def test_k8s_config_and_secret_cover_every_setting_the_pipeline_reads():
    config = k8s_objects("ConfigMap")["voice-analytics-config"]["data"]
    secrets = k8s_objects("Secret")["voice-analytics-secrets"]["stringData"]
    unset_on_purpose = set(NOT_DEPLOYED) | {"DAGSTER_HOME"} | EMPTY_IS_NOT_UNSET  # the chart sets DAGSTER_HOME
    missing = pipeline_env_vars() - set(config) - set(secrets) - unset_on_purpose
    assert not missing, f"settable nowhere on Kubernetes: {sorted(missing)}"
    assert not set(config) & set(NOT_DEPLOYED), "emulator/DuckDB/agent settings must stay unset in production"
    assert config["VA_WAREHOUSE"] == "bigquery"
    assert not set(config) & EMPTY_IS_NOT_UNSET, "an empty OPENAI_BASE_URL breaks the OpenAI client"


def test_k8s_ui_guard_fronts_the_webserver_and_fences_it_off():
    proxy = k8s_objects("Deployment")["oauth2-proxy"]["spec"]["template"]
    args = proxy["spec"]["containers"][0]["args"]
    assert "--upstream=http://dagster-webserver:80" in args  # the chart's Service for release `dagster`
    assert k8s_objects("Service")["oauth2-proxy"]["spec"]["type"] == "ClusterIP"
    backends = [p["backend"]["service"]["name"] for ing in k8s_objects("Ingress").values()
                for rule in ing["spec"]["rules"] for p in rule["http"]["paths"]]
    assert backends and set(backends) == {"oauth2-proxy"}, "the Ingress must never point at the webserver"
    policy = k8s_objects("NetworkPolicy")["dagster-webserver-from-oauth2-proxy-only"]["spec"]
    assert policy["podSelector"]["matchLabels"]["component"] == "dagster-webserver"
    assert [peer["podSelector"]["matchLabels"] for rule in policy["ingress"] for peer in rule["from"]] == [
        proxy["metadata"]["labels"]]


# --- Helm values ---------------------------------------------------------------------------------------------

def helm_values() -> dict:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())


# The keys this file may set, transcribed from the chart's pydantic models (helm/dagster/schema/schema/charts/
# dagster{,_user_deployments}/subschema/*.py): daemon, run_launcher, concurrency, compute_log_manager,
# postgresql, webserver, service_account, global_, user_deployments. "*" is a free-form map (annotations,
# Kubernetes objects, the chart's dict[str, Any] fields). Not the chart's JSON schema (helm template checks that,
# docs/deploy.md): a net for misspelt keys, which the chart's models would reject or silently ignore.
K8S_FREE = "*"
CHART_KEYS = {
    "global": {"postgresqlSecretName": None, "dagsterHome": None, "serviceAccountName": None,
               "celeryConfigSecretName": None, "dagsterInstanceConfigMap": None},
    "generatePostgresqlPasswordSecret": None,
    "postgresql": {"postgresqlScheme": None, "image": K8S_FREE, "enabled": None, "postgresqlHost": None,
                   "postgresqlUsername": None, "postgresqlPassword": None, "postgresqlDatabase": None,
                   "postgresqlParams": K8S_FREE, "service": {"port": None}},
    "serviceAccount": {"create": None, "name": None, "annotations": K8S_FREE},
    "dagsterWebserver": {"service": {"type": None, "port": None, "annotations": K8S_FREE}, "replicaCount": None,
                         "enableReadOnly": None, "pathPrefix": None, "resources": K8S_FREE},
    "ingress": {"enabled": None},
    "dagster-user-deployments": {
        "enabled": None, "enableSubchart": None, "imagePullSecrets": K8S_FREE,
        "serviceAccount": {"create": None, "name": None, "annotations": K8S_FREE},
        "deployments": [{
            "name": None, "image": {"repository": None, "tag": None, "pullPolicy": None},
            "dagsterApiGrpcArgs": None, "port": None, "includeConfigInLaunchedRuns": {"enabled": None},
            "envConfigMaps": K8S_FREE, "envSecrets": K8S_FREE, "env": K8S_FREE, "resources": K8S_FREE,
            "podSecurityContext": K8S_FREE, "securityContext": K8S_FREE, "annotations": K8S_FREE,
            "labels": K8S_FREE, "volumes": K8S_FREE, "volumeMounts": K8S_FREE}]},
    "runLauncher": {"type": None, "config": {"k8sRunLauncher": {
        "image": K8S_FREE, "imagePullPolicy": None, "jobNamespace": None, "loadInclusterConfig": None,
        "kubeconfigFile": None, "envConfigMaps": K8S_FREE, "envSecrets": K8S_FREE, "envVars": K8S_FREE,
        "volumeMounts": K8S_FREE, "volumes": K8S_FREE, "labels": K8S_FREE, "failPodOnRunFailure": None,
        "resources": K8S_FREE, "schedulerName": None, "securityContext": K8S_FREE,
        "runK8sConfig": {"containerConfig": K8S_FREE, "podSpecConfig": K8S_FREE, "podTemplateSpecMetadata": K8S_FREE,
                         "jobSpecConfig": K8S_FREE, "jobMetadata": K8S_FREE}}}},
    "dagsterDaemon": {
        "enabled": None,
        "runCoordinator": {"enabled": None, "type": None, "config": {"queuedRunCoordinator": {
            "maxConcurrentRuns": None, "tagConcurrencyLimits": K8S_FREE, "dequeueIntervalSeconds": None,
            "dequeueNumWorkers": None, "dequeueUseThreads": None, "blockOpConcurrencyLimitedRuns": K8S_FREE}}},
        "runMonitoring": {"enabled": None, "startTimeoutSeconds": None, "pollIntervalSeconds": None,
                          "maxResumeRunAttempts": None, "freeSlotsAfterRunEndSeconds": None},
        "runRetries": {"enabled": None, "maxRetries": None, "retryOnAssetOrOpFailure": None},
        "resources": K8S_FREE},
    "concurrency": {"enabled": None, "pools": {"defaultLimit": None, "granularity": None,
                                               "opGranularityRunBuffer": None},
                    "runs": {"maxConcurrentRuns": None, "tagConcurrencyLimits": K8S_FREE}},
    "computeLogManager": {"type": None, "config": {"gcsComputeLogManager": {
        "bucket": None, "localDir": None, "prefix": None, "jsonCredentialsEnvvar": None, "uploadInterval": None,
        "showUrlOnly": None}}},
    "telemetry": {"enabled": None},
}


def unknown_keys(value, allowed, path: str = "") -> list[str]:
    if allowed is K8S_FREE or allowed is None:
        return [] if allowed is K8S_FREE or not isinstance(value, dict) else [f"{path} (a scalar in the chart)"]
    if isinstance(allowed, list):
        return [bad for i, item in enumerate(value) for bad in unknown_keys(item, allowed[0], f"{path}[{i}]")]
    return [bad for key, item in value.items()
            for bad in ([f"{path}.{key}".lstrip(".")] if key not in allowed
                        else unknown_keys(item, allowed[key], f"{path}.{key}"))]


def test_helm_values_set_only_keys_the_chart_models_define():
    assert unknown_keys(helm_values(), CHART_KEYS) == []


def test_helm_values_run_the_image_as_the_code_location():
    deployment, = helm_values()["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "pipeline.definitions"]
    assert deployment["port"] == int(dockerfile("EXPOSE")[-1])
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True  # run pods get the same env and secrets
    assert [s["name"] for s in deployment["envSecrets"]] == ["voice-analytics-secrets"]
    assert [c["name"] for c in deployment["envConfigMaps"]] == ["voice-analytics-config"]
    assert {"voice-analytics-secrets"} <= set(k8s_objects("Secret"))
    assert {"voice-analytics-config"} <= set(k8s_objects("ConfigMap"))
    uid = dockerfile("USER")[-1].split(":")[0]
    assert deployment["podSecurityContext"]["runAsUser"] == int(uid)
    assert "resources" not in deployment, "inherited by every run pod, over the runLauncher's resources"


def test_helm_values_match_the_instance_policy_of_deploy_dagster_yaml():
    values, instance = helm_values(), yaml.safe_load(DAGSTER_YAML.read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    daemon = values["dagsterDaemon"]
    assert daemon["runCoordinator"]["enabled"] and daemon["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert daemon["runCoordinator"]["config"]["queuedRunCoordinator"]["maxConcurrentRuns"] is None
    assert daemon["runCoordinator"]["config"]["queuedRunCoordinator"]["dequeueIntervalSeconds"] == \
        instance["run_coordinator"]["config"]["dequeue_interval_seconds"]
    assert daemon["runMonitoring"]["enabled"] is True
    retries = instance["run_retries"]
    assert daemon["runRetries"] == {"enabled": True, "maxRetries": retries["max_retries"],
                                    "retryOnAssetOrOpFailure": retries["retry_on_asset_or_op_failure"]}
    assert values["concurrency"] == {
        "enabled": True, "pools": {"defaultLimit": instance["concurrency"]["pools"]["default_limit"]},
        "runs": {"maxConcurrentRuns": instance["concurrency"]["runs"]["max_concurrent_runs"]}}
    assert values["postgresql"]["postgresqlScheme"] == instance["storage"]["postgres"]["postgres_db"]["scheme"]
    assert values["telemetry"]["enabled"] is False


def test_helm_values_take_postgres_password_from_a_secret_and_keep_the_ui_internal():
    values = helm_values()
    assert values["postgresql"]["enabled"] is False
    assert "postgresqlPassword" not in values["postgresql"]
    assert values["generatePostgresqlPasswordSecret"] is False
    secret = k8s_objects("Secret")[values["global"]["postgresqlSecretName"]]
    assert set(secret["stringData"]) == {"postgresql-password"}
    assert values["dagsterWebserver"]["service"]["type"] == "ClusterIP"
    assert values["ingress"]["enabled"] is False
    logs = values["computeLogManager"]
    assert logs["type"] == "GCSComputeLogManager" and logs["config"]["gcsComputeLogManager"]["bucket"]


def test_lock_has_every_dagster_library_the_helm_route_needs_in_the_image():
    pinned = set(re.findall(r"^([a-z0-9-]+)==", (REPO / "requirements.lock").read_text(), re.M))
    assert {"dagster-postgres", "dagster-gcp", "dagster-webserver", "dagster-k8s"} <= pinned


# --- deploy/dagster.yaml and the entrypoint's bucket switch ---------------------------------------------------

def test_dagster_yaml_is_a_valid_instance_for_postgres_queue_monitoring_and_crash_retries(tmp_path, monkeypatch):
    for name, value in instance_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    shutil.copy(DAGSTER_YAML, tmp_path / "dagster.yaml")
    instance = validated_instance(tmp_path)
    config, components = instance["config"], instance["components"]

    from dagster_postgres.utils import pg_url_from_config
    from sqlalchemy.engine import make_url

    _, storage_class, storage_config = components["storage"]
    assert storage_class == "DagsterPostgresStorage"
    assert storage_config["postgres_db"]["scheme"] == "postgresql+psycopg2"
    url = make_url(pg_url_from_config(storage_config))
    # The point of the scheme: this SQLAlchemy resolves the URL to psycopg2, which is installed.
    assert url.get_dialect().driver == "psycopg2" and url.password == "p@ss/word#1"
    assert components["run_coordinator"][1] == "QueuedRunCoordinator"
    assert config["run_retries"]["enabled"] is True
    assert config["run_retries"]["retry_on_asset_or_op_failure"] is False
    assert config["run_monitoring"]["enabled"] is True
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["telemetry"]["enabled"] is False


@pytest.mark.parametrize("bucket", [None, ""], ids=["unset", "empty"])
def test_entrypoint_keeps_compute_logs_local_without_a_bucket(tmp_path, monkeypatch, bucket):
    result = run_entrypoint(tmp_path, bucket)
    assert result.returncode == 0, result.stderr
    rendered = tmp_path / "home" / "dagster.yaml"
    assert rendered.read_text() == DAGSTER_YAML.read_text()
    for name, value in instance_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    assert validated_instance(rendered.parent)["components"]["compute_logs"][1] == "LocalComputeLogManager"


def test_entrypoint_switches_compute_logs_to_gcs_when_a_bucket_is_set(tmp_path, monkeypatch):
    result = run_entrypoint(tmp_path, "acme-dagster-logs")
    assert result.returncode == 0, result.stderr
    rendered = tmp_path / "home" / "dagster.yaml"
    text = rendered.read_text()
    assert len(re.findall(r"^compute_logs:", text, re.M)) == 1, "a YAML loader keeps the last of two blocks"

    for name, value in {**instance_env(tmp_path), "DAGSTER_COMPUTE_LOG_BUCKET": "acme-dagster-logs"}.items():
        monkeypatch.setenv(name, value)
    module, cls, config = validated_instance(rendered.parent)["components"]["compute_logs"]
    assert (module, cls) == ("dagster_gcp.gcs.compute_log_manager", "GCSComputeLogManager")
    assert config["bucket"] == "acme-dagster-logs"  # resolved by Dagster from the env reference
    assert "acme-dagster-logs" not in text, "the bucket stays an {env: ...} reference, never pasted into YAML"
    # Everything but compute_logs is the template's.
    template, switched = yaml.safe_load(DAGSTER_YAML.read_text()), yaml.safe_load(text)
    assert {k: v for k, v in switched.items() if k != "compute_logs"} == {
        k: v for k, v in template.items() if k != "compute_logs"}


def test_entrypoint_runs_the_command_and_refuses_a_missing_template(tmp_path):
    result = run_entrypoint(tmp_path, None, "echo", "ran")
    assert (result.returncode, result.stdout.strip()) == (0, "ran")
    missing = subprocess.run(["bash", str(ENTRYPOINT), "true"], capture_output=True, text=True, timeout=30,
                             env={"PATH": os.environ["PATH"], "DAGSTER_HOME": str(tmp_path / "h"),
                                  "VA_INSTANCE_TEMPLATE": str(tmp_path / "absent.yaml")})
    assert missing.returncode != 0 and "not readable" in missing.stderr


# --- Dockerfile and .dockerignore -----------------------------------------------------------------------------

def test_dockerfile_runs_as_a_non_root_user():
    user = dockerfile("USER")[-1]
    assert user.split(":")[0] not in {"root", "0"}
    assert f"--uid {user.split(':')[0]}" in " ".join(dockerfile("RUN")), "the USER is the one the image creates"


def test_dockerfile_cmd_is_the_grpc_code_server_and_has_no_entrypoint():
    assert json.loads(dockerfile("CMD")[-1]) == GRPC_CMD
    assert dockerfile("EXPOSE") == ["4000"]
    # The chart and K8sRunLauncher pass commands as `args`; an ENTRYPOINT would wrap them.
    assert dockerfile("ENTRYPOINT") == []


def test_dockerfile_installs_exactly_the_lock_then_the_project():
    runs = dockerfile("RUN")
    lock = next(i for i, r in enumerate(runs) if "-r requirements.lock" in r)
    assert "--no-deps" in runs[lock]
    project = next(i for i, r in enumerate(runs) if re.search(r"pip install --no-deps -e \.(\s|$)", r))
    assert lock < project
    assert any(args.split()[0] == "requirements.lock" for args in dockerfile("COPY"))


def test_dockerfile_builds_the_dbt_manifest_at_build_time():
    command = "dagster-dbt project prepare-and-package --file pipeline/dbt_project.py"
    assert any(command in run for run in dockerfile("RUN"))
    assert (REPO / "pipeline" / "dbt_project.py").exists()


def test_dockerfile_pins_the_python_base_and_its_workdir_is_where_the_kit_expects_the_code():
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", dockerfile("FROM")[0])
    assert dockerfile("WORKDIR") == [APP_ROOT]


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build_context():
    entries = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert {".env", "deploy/.env", "deploy/secrets/", ".git", ".venv/", "data/", "dbt/target/"} <= entries
    assert "README.md" not in entries, "pyproject's readme: the install needs it"


# --- docker-compose -----------------------------------------------------------------------------------------

def test_compose_publishes_the_webserver_on_loopback_only():
    services = compose()["services"]
    assert services["webserver"]["ports"] == ["127.0.0.1:3000:3000"]
    published = [port for svc in services.values() for port in svc.get("ports", [])]
    assert all(port.startswith("127.0.0.1:") for port in published)


def test_compose_services_running_the_image_read_env_file():
    services = app_services()
    assert set(services) == {"init", "code", "webserver", "daemon"}
    assert all(svc["env_file"] == ".env" for svc in services.values())
    assert all(svc["environment"]["VA_WAREHOUSE"] == "bigquery" for svc in services.values())


def test_compose_variables_and_env_example_agree():
    text = (DEPLOY / "docker-compose.yaml").read_text()
    referenced = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))
    active, commented = env_example()
    listed = set(active) | commented
    assert referenced <= set(active), f"compose reads, .env.example lacks: {sorted(referenced - set(active))}"
    fixed = set(compose()["x-dagster"]["environment"])
    assert not fixed & listed, f"set by compose, so a value in deploy/.env would be ignored: {sorted(fixed & listed)}"
    instance_vars = set(re.findall(r"\{env: ([A-Z0-9_]+)\}", DAGSTER_YAML.read_text() + ENTRYPOINT.read_text()))
    # Every variable .env.example lists is read by something: compose, the instance, the entrypoint, the pipeline,
    # or google-auth.
    read = referenced | instance_vars | pipeline_env_vars() | {"DAGSTER_COMPUTE_LOG_BUCKET",
                                                               "GOOGLE_APPLICATION_CREDENTIALS"}
    assert listed <= read, f"listed but read by nothing: {sorted(listed - read)}"
    unvalued = instance_vars - fixed - set(active)
    assert not unvalued, f"instance variables with no value: {sorted(unvalued)}"


def test_env_example_lists_every_setting_the_pipeline_reads():
    found = pipeline_env_vars()
    assert len(found) >= 30, f"the settings regex found only {sorted(found)}"
    active, commented = env_example()
    missing = found - set(active) - commented - set(NOT_DEPLOYED) - SET_BY_COMPOSE_OR_CHART
    assert not missing, f"not in deploy/.env.example: {sorted(missing)}"
    assert not (set(active) | commented) & set(NOT_DEPLOYED), "emulator/DuckDB/agent settings must stay unset"
    assert SET_BY_COMPOSE_OR_CHART <= set(compose()["x-dagster"]["environment"])


def test_env_example_has_empty_values_a_comment_each_and_no_empty_value_a_library_misreads():
    active, commented = env_example()
    assert all(value == "" for value in active.values()), "a template: no values in git"
    assert not set(active) & EMPTY_IS_NOT_UNSET and EMPTY_IS_NOT_UNSET <= commented
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", line):
            assert lines[i - 1].startswith("#"), f"{line}: no comment above it"


def test_compose_workspace_points_at_the_code_service():
    services, workspace = compose()["services"], yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    server, = [entry["grpc_server"] for entry in workspace["load_from"]]
    assert server["host"] in services
    code_command = services[server["host"]]["command"]
    assert code_command == GRPC_CMD
    assert server["port"] == int(code_command[code_command.index("-p") + 1])
    for name in ("webserver", "daemon"):
        command = services[name]["command"]
        mount = command[command.index("-w") + 1]
        assert f"./workspace.yaml:{mount}:ro" in services[name]["volumes"]


def test_compose_mounts_dagster_yaml_where_the_entrypoint_reads_it():
    for name, svc in app_services().items():
        assert svc["entrypoint"] == [f"{APP_ROOT}/deploy/entrypoint.sh"], name
        assert f"./dagster.yaml:{svc['environment']['VA_INSTANCE_TEMPLATE']}:ro" in svc["volumes"], name
        assert "compute_logs:" + svc["environment"]["DAGSTER_COMPUTE_LOG_DIR"] in svc["volumes"], name
    assert "data:" + app_services()["code"]["environment"]["VA_DATA_DIR"] in app_services()["code"]["volumes"]


def test_compose_starts_daemon_and_webserver_after_the_pools_are_set():
    services = compose()["services"]
    assert services["init"]["command"] == [f"{APP_ROOT}/deploy/init-pools.sh"]
    assert services["init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("daemon", "webserver"):
        assert services[name]["depends_on"]["init"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["code"]["condition"] == "service_healthy"
    assert re.fullmatch(r"postgres:\d+\.\d+(-\w+)?", services["postgres"]["image"]), "pinned Postgres"


# --- pools, shell scripts, Dagster+ -------------------------------------------------------------------------

def test_pool_set_up_matches_the_pools_the_assets_claim():
    from pipeline.definitions import defs

    claimed = {node.pool for job in defs.get_repository_def().get_all_jobs() for node in job.graph.node_defs
               if getattr(node, "pool", None)}
    script = re.search(r"for pool in ([\w ]+); do", (DEPLOY / "init-pools.sh").read_text())[1].split()
    job, = k8s_objects("Job").values()
    job_pools = re.search(r"for pool in ([\w ]+); do", job["spec"]["template"]["spec"]["containers"][0]["args"][0])[1]
    assert claimed and set(script) == claimed == set(job_pools.split())


def test_shell_scripts_parse_and_are_executable():
    for script in (ENTRYPOINT, DEPLOY / "init-pools.sh"):
        assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0, script
        assert os.access(script, os.X_OK), f"{script.name} must be executable (compose runs it directly)"


def test_dagster_cloud_yaml_names_the_code_location_module_and_the_kit_secrets():
    location, = yaml.safe_load((REPO / "dagster_cloud.yaml").read_text())["locations"]
    assert location["code_source"] == {"module_name": "pipeline.definitions"}
    assert location["working_directory"] == APP_ROOT
    k8s = location["container_context"]["k8s"]
    assert k8s["env_secrets"] == ["voice-analytics-secrets"] and k8s["env_config_maps"] == ["voice-analytics-config"]
    assert k8s["service_account_name"] == helm_values()["dagster-user-deployments"]["serviceAccount"]["name"]
