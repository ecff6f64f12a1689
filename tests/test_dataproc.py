"""Dataproc: S3A properties per image line, the rendered plans, and the init action run for real
against a temporary root and the loopback metadata server."""

from __future__ import annotations

import grp
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gcp_aws_credentials import decode_claims
from gcp_s3_federation import ConfigError, DataprocCluster, load_config
from gcp_s3_federation.dataproc import init_action_script, staging_bucket_name
from gcp_s3_federation.s3a import SDK_V1_PROVIDER, SDK_V2_PROVIDER, TOKEN_FILE, image_line, s3a_properties
from tools.loopback import FakeMetadata
from tools.mock_cloud import CONFIG_KEY, PlanResult, RecordedResource, run_program, run_under_mocks, stack_config

KEY = "arn:aws:kms:eu-west-1:111122223333:key/0b6c1f5e-7d2a-4c4e-9a51-2f3e8d9c1a7b"
ROLE = "arn:aws:iam::111122223333:role/gcp-federation/dev/gcpfed-dev-nightly-etl"
ENV_PREFIXES = ("spark-env:", "spark:spark.executorEnv.", "spark:spark.yarn.appMasterEnv.", "hadoop-env:")
REFRESHER = "usr/local/sbin/gcp-aws-token-refresher"
UNIT = "etc/systemd/system/gcp-aws-token.service"
CLUSTER = "gcp:dataproc/cluster:Cluster"


def _env_properties(role: str, session: str, region: str) -> dict[str, str]:
    env = {
        "AWS_ROLE_ARN": role,
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/run/gcp-aws/token",
        "AWS_ROLE_SESSION_NAME": session,
        "AWS_REGION": region,
    }
    return {f"{prefix}{name}": value for prefix in ENV_PREFIXES for name, value in env.items()}


# --- S3A properties per image line ---------------------------------------------------------------


@pytest.mark.parametrize("image", ["2.1", "2.2.45-debian12", "2.3-debian12", "2.3-ubuntu22", "2.3-rocky9"])
def test_hadoop_3_3_line_sdk_v1_provider_and_marker_retention(image: str) -> None:
    assert s3a_properties(ROLE, "s@p", image, "eu-west-1", {"lake": KEY}) == {
        **_env_properties(ROLE, "s@p", "eu-west-1"),
        "core:fs.s3a.aws.credentials.provider": "com.amazonaws.auth.WebIdentityTokenCredentialsProvider",
        "core:fs.s3a.committer.abort.pending.uploads": "false",
        "core:fs.s3a.directory.marker.retention": "keep",
        "core:fs.s3a.bucket.lake.encryption.algorithm": "SSE-KMS",
        "core:fs.s3a.bucket.lake.encryption.key": KEY,
        "core:fs.s3a.bucket.lake.endpoint.region": "eu-west-1",
    }


@pytest.mark.parametrize("image", ["3.0", "3.0-debian12", "3.0.3-ubuntu24"])
def test_hadoop_3_5_line_sdk_v2_provider_and_no_marker_setting(image: str) -> None:
    assert s3a_properties(ROLE, "s@p", image, "us-east-2", {"b1": KEY, "a2": KEY + "x"}) == {
        **_env_properties(ROLE, "s@p", "us-east-2"),
        "core:fs.s3a.aws.credentials.provider": (
            "software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider"
        ),
        "core:fs.s3a.committer.abort.pending.uploads": "false",
        "core:fs.s3a.bucket.a2.encryption.algorithm": "SSE-KMS",
        "core:fs.s3a.bucket.a2.encryption.key": KEY + "x",
        "core:fs.s3a.bucket.a2.endpoint.region": "us-east-2",
        "core:fs.s3a.bucket.b1.encryption.algorithm": "SSE-KMS",
        "core:fs.s3a.bucket.b1.encryption.key": KEY,
        "core:fs.s3a.bucket.b1.endpoint.region": "us-east-2",
    }


@pytest.mark.parametrize("image", ["2.0-debian10", "1.5", "3.1", "4.0", "2.3-centos7", "latest", "", "2.3.x", " 2.3"])
def test_unsupported_image_versions_are_refused(image: str) -> None:
    with pytest.raises(ValueError) as caught:
        image_line(image)
    assert str(caught.value) == (
        f"{image!r} is not a supported Dataproc image version: use 2.1 (Hadoop 3.3.6, AWS SDK v1), "
        "2.2 (Hadoop 3.3.6, AWS SDK v1), 2.3 (Hadoop 3.3.6, AWS SDK v1), 3.0 (Hadoop 3.5.0, AWS SDK v2), "
        "optionally with a sub-minor version and an OS suffix, e.g. 2.3-debian12 or 3.0-ubuntu24"
    )


def _component(cluster: dict[str, Any]) -> Callable[[], None]:
    def body() -> None:
        DataprocCluster(
            "etl",
            {
                "cluster": cluster,  # type: ignore[typeddict-item]
                "service_account_email": "etl@p.iam.gserviceaccount.com",
                "role_arn": ROLE,
                "session_name": "etl@p",
                "audience": "aud",
                "project": "acme-data-dev",
                "region": "europe-west1",
                "aws_region": "eu-west-1",
                "bucket_keys": {"lake": KEY},
            },
        )

    return body


@pytest.mark.parametrize(
    ("cluster", "message"),
    [
        ({"image_version": "2.0-debian10"}, "DataprocCluster etl: cluster.image_version: '2.0-debian10' is not a"),
        ({"runtime_package": "gcp-aws-credentials==0.1.0"}, "DataprocCluster etl: cluster.runtime_package was removed"),
        ({"hadoop_aws_package": "org.apache.hadoop:hadoop-aws:3.3.6"}, "cluster.hadoop_aws_package was removed"),
    ],
)
def test_component_refuses_bad_options_before_declaring_anything(cluster: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        run_under_mocks(_component(cluster))


@pytest.mark.parametrize(("image", "provider"), [("2.2", SDK_V1_PROVIDER), ("3.0-debian12", SDK_V2_PROVIDER)])
def test_component_renders_the_image_line(image: str, provider: str) -> None:
    result = run_under_mocks(_component({"image_version": image}))
    (cluster,) = [r for r in result.resources if r.type == CLUSTER]
    software = cluster.inputs["clusterConfig"]["softwareConfig"]
    assert software["imageVersion"] == image
    assert software["overrideProperties"] == s3a_properties(ROLE, "etl@p", image, "eu-west-1", {"lake": KEY})
    assert software["overrideProperties"]["core:fs.s3a.aws.credentials.provider"] == provider


def test_staging_bucket_name_is_valid_for_long_names() -> None:
    name = staging_bucket_name("p" * 30, "w" * 39 + "-x")
    assert len(name) <= 63 and name[-1].isalnum()


# --- the rendered plans: nothing outside GCS, the metadata server and the image ------------------


def _prod_with_dataproc_3_0() -> dict[str, Any]:
    config = stack_config("prod")
    (etl,) = [w for w in config[CONFIG_KEY]["workloads"] if w["kind"] == "dataproc"]
    etl["dataproc"] = {"image_version": "3.0-debian12"}
    return config


@pytest.fixture(scope="module")
def plans() -> dict[str, PlanResult]:
    """dev as configured (2.3) and prod with its dataproc workload given a 3.0 cluster."""
    return {"dev": run_program("dev", stack_config("dev")), "prod": run_program("prod", _prod_with_dataproc_3_0())}


def _one(result: PlanResult, typ: str, name: str) -> RecordedResource:
    (found,) = [r for r in result.resources if r.type == typ and r.name == name]
    return found


URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"')]+", re.IGNORECASE)
HOSTNAME = re.compile(r"\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|org|net|io|dev|internal|cloud|sh)\b", re.IGNORECASE)
INSTALLERS = re.compile(
    r"\b(pip3?|pypi|pythonhosted|maven|ivy|apt-get|apt|yum|dnf|wget|git|npm|conda|easy_install)\b", re.IGNORECASE
)
METADATA_URL = "http://${GCE_METADATA_HOST:-metadata.google.internal}/computeMetadata/v1"


def external_references(script: str) -> list[str]:
    """Every URL, host name or package installer a script mentions, except the metadata server."""
    found = [u for u in URL.findall(script) if u != METADATA_URL and not u.startswith(f"{METADATA_URL}/")]
    found += [m.group(0) for m in HOSTNAME.finditer(script) if m.group(0) != "metadata.google.internal"]
    found += [m.group(0) for m in INSTALLERS.finditer(script)]
    return found


def test_reference_finder_catches_what_the_old_init_action_did() -> None:
    old = 'python3 -m venv /opt/x && /opt/x/bin/pip install "gcp-aws-credentials==0.1.0"\ncurl https://example.com/a'
    assert external_references(old) == ["https://example.com/a", "example.com", "pip"]
    assert external_references(f'curl "{METADATA_URL}/instance"') == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cluster_bootstrap_references_only_gcs_metadata_and_image(plans: dict[str, PlanResult], stack: str) -> None:
    result = plans[stack]
    clusters = [r for r in result.resources if r.type == CLUSTER]
    assert clusters, f"{stack}: no Dataproc cluster rendered"
    objects = {r.inputs["name"]: r for r in result.resources if r.type == "gcp:storage/bucketObject:BucketObject"}
    for cluster in clusters:
        config = cluster.inputs["clusterConfig"]
        for action in config["initializationActions"]:
            assert action["script"].startswith(f"gs://{config['stagingBucket']}/"), action
            script = objects[action["script"].removeprefix(f"gs://{config['stagingBucket']}/")].inputs["content"]
            assert external_references(script) == []
        properties = config["softwareConfig"]["overrideProperties"]
        assert not [k for k in properties if re.search(r"spark\.jars|spark\.archives|packages|repositories", k)]
        assert not [v for v in properties.values() if "://" in v]


def test_dev_cluster_properties_are_the_2_3_line(plans: dict[str, PlanResult]) -> None:
    cluster = _one(plans["dev"], CLUSTER, "nightly-etl").inputs["clusterConfig"]
    assert cluster["softwareConfig"]["imageVersion"] == "2.3-debian12"
    properties = cluster["softwareConfig"]["overrideProperties"]
    assert properties == s3a_properties(
        ROLE,
        "nightly-etl@acme-data-dev",
        "2.3-debian12",
        "eu-west-1",
        {"acme-dev-lake": properties["core:fs.s3a.bucket.acme-dev-lake.encryption.key"]},
    )
    assert properties["core:fs.s3a.bucket.acme-dev-lake.encryption.key"].startswith("arn:aws:kms:eu-west-1:")


def test_prod_cluster_properties_are_the_3_0_line_for_every_bucket(plans: dict[str, PlanResult]) -> None:
    cluster = _one(plans["prod"], CLUSTER, "nightly-etl").inputs["clusterConfig"]
    properties = cluster["softwareConfig"]["overrideProperties"]
    assert properties["core:fs.s3a.aws.credentials.provider"] == SDK_V2_PROVIDER
    assert "core:fs.s3a.directory.marker.retention" not in properties
    for prefix in ENV_PREFIXES:
        assert properties[f"{prefix}AWS_ROLE_ARN"].endswith(":role/gcp-federation/prod/gcpfed-prod-nightly-etl")
        assert properties[f"{prefix}AWS_WEB_IDENTITY_TOKEN_FILE"] == TOKEN_FILE
    for bucket in ("acme-prod-lake", "acme-prod-archive"):
        assert properties[f"core:fs.s3a.bucket.{bucket}.encryption.algorithm"] == "SSE-KMS"
        assert properties[f"core:fs.s3a.bucket.{bucket}.encryption.key"].startswith("arn:aws:kms:")


def test_dev_cluster_identity_network_and_init_action(plans: dict[str, PlanResult]) -> None:
    cluster = _one(plans["dev"], CLUSTER, "nightly-etl").inputs["clusterConfig"]
    assert cluster["gceClusterConfig"]["serviceAccount"] == "nightly-etl@acme-data-dev.iam.gserviceaccount.com"
    assert cluster["gceClusterConfig"]["internalIpOnly"] is True
    staging = _one(plans["dev"], "gcp:storage/bucket:Bucket", "nightly-etl-staging").inputs
    assert staging["uniformBucketLevelAccess"] is True and staging["publicAccessPrevention"] == "enforced"
    assert cluster["stagingBucket"] == staging["name"] == "acme-data-dev-nightly-etl-dataproc"
    init = _one(plans["dev"], "gcp:storage/bucketObject:BucketObject", "nightly-etl-init").inputs
    assert cluster["initializationActions"] == [{"script": f"gs://{staging['name']}/{init['name']}", "timeoutSec": 600}]
    assert init["content"] == init_action_script("gcp-s3-federation-dev")


# --- the init action and the refresher, run for real -----------------------------------------------


def _group() -> grp.struct_group:
    """A group other than root's when running as root (so the setgid directory is what sets it)."""
    if os.geteuid() == 0:
        return grp.getgrnam("daemon")
    return grp.getgrgid(os.getgid())


@pytest.fixture
def root() -> Iterator[Path]:
    """A temporary root traversable by every user (for the permission test)."""
    path = Path(tempfile.mkdtemp(prefix="gcp-aws-root-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def _hooks(root: Path) -> dict[str, str]:
    """The test hooks; GCE_METADATA_HOST (the loopback fake's host:port) is set by the metadata fixture."""
    return {
        **os.environ,
        "GCP_AWS_ROOT": str(root),
        "GCP_AWS_GROUP": _group().gr_name,
        "http_proxy": "http://127.0.0.1:9",  # curl must ignore any proxy for the metadata server
    }


def _init(root: Path, **timing: int) -> subprocess.CompletedProcess[str]:
    script = root.parent / f"{root.name}-init.sh"
    script.write_text(init_action_script("gcp-s3-federation-dev", **timing))
    try:
        return subprocess.run(["bash", str(script)], env=_hooks(root), capture_output=True, text=True, timeout=60)
    finally:
        script.unlink()


def _wait(condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _refresher(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(root / REFRESHER)], env=_hooks(root), stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _stop(process: subprocess.Popen[str]) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    return stderr


pytestmark_bash = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("curl") is None, reason="the init action needs bash and curl"
)


@pytestmark_bash
def test_init_action_writes_first_token_and_installs_the_unit(metadata: FakeMetadata, root: Path) -> None:
    result = _init(root)
    assert result.returncode == 0, result.stderr
    token_dir = root / "run/gcp-aws"
    assert stat.S_IMODE(token_dir.stat().st_mode) == 0o2750
    token = token_dir / "token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o640
    assert token.stat().st_gid == token_dir.stat().st_gid == _group().gr_gid
    assert token.read_text() == metadata.tokens[-1]
    assert decode_claims(token.read_text())["aud"] == "gcp-s3-federation-dev"
    assert sorted(p.name for p in token_dir.iterdir()) == ["token"]  # no temp file left behind
    assert metadata.requests[0] == {
        "path": "/computeMetadata/v1/instance/service-accounts/default/identity",
        "query": {"audience": "gcp-s3-federation-dev", "format": "full"},
        "flavor": "Google",
    }
    assert stat.S_IMODE((root / REFRESHER).stat().st_mode) == 0o755
    unit = (root / UNIT).read_text()
    assert "ExecStart=/usr/local/sbin/gcp-aws-token-refresher\n" in unit
    assert "Restart=always\n" in unit and "WantedBy=multi-user.target\n" in unit


@pytestmark_bash
@pytest.mark.skipif(os.geteuid() != 0, reason="reading as other users needs root to switch users")
def test_token_readable_by_the_group_and_nobody_else(metadata: FakeMetadata, root: Path) -> None:
    assert _init(root).returncode == 0
    token = root / "run/gcp-aws/token"
    nobody = 65534
    as_member = subprocess.run(
        ["cat", str(token)], user=nobody, group=_group().gr_gid, extra_groups=[], capture_output=True
    )
    assert as_member.returncode == 0 and as_member.stdout.decode() == metadata.tokens[-1]
    as_other = subprocess.run(["cat", str(token)], user=nobody, group=nobody, extra_groups=[], capture_output=True)
    assert as_other.returncode != 0 and b"Permission denied" in as_other.stderr


@pytestmark_bash
def test_refresher_replaces_the_token_atomically(metadata: FakeMetadata, root: Path) -> None:
    assert _init(root, interval=1, retry=1).returncode == 0
    token = root / "run/gcp-aws/token"
    # Holding the first file open keeps its inode allocated, so a later file cannot reuse its number.
    first = token.open()
    first_token, first_inode = first.read(), os.fstat(first.fileno()).st_ino
    reads: list[str] = []
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            reads.append(token.read_text())

    reader = threading.Thread(target=read_continuously)
    reader.start()
    process = _refresher(root)
    try:
        _wait(lambda: len(metadata.tokens) >= 4)
        _wait(lambda: token.read_text() == metadata.tokens[-1])
    finally:
        _stop(process)
        stop.set()
        reader.join()
    assert len(reads) > 100
    assert set(reads) <= set(metadata.tokens)  # never empty, never half a token
    assert len(set(reads)) >= 2
    # replaced by rename, not rewritten in place: the first file still holds the first token
    assert token.stat().st_ino != first_inode
    first.seek(0)
    assert first.read() == first_token != token.read_text()
    first.close()
    assert stat.S_IMODE(token.stat().st_mode) == 0o640
    assert sorted(p.name for p in token.parent.iterdir()) == ["token"]


@pytestmark_bash
@pytest.mark.parametrize(
    ("fault", "complaint"),
    [
        ("failures_before_success", "metadata server failed; the previous token stays"),
        ("non_tokens_before_success", "answered something that is not a JWT; the previous token stays"),
    ],
)
def test_a_bad_metadata_answer_keeps_the_old_token_and_retries(
    metadata: FakeMetadata, root: Path, fault: str, complaint: str
) -> None:
    assert _init(root, interval=60, retry=3).returncode == 0
    token = root / "run/gcp-aws/token"
    old = token.read_text()
    setattr(metadata, fault, 3)
    process = _refresher(root)
    try:
        _wait(lambda: getattr(metadata, fault) == 0)
        assert token.read_text() == old  # three bad answers later the old token still serves
        _wait(lambda: len(metadata.tokens) == 2 and token.read_text() == metadata.tokens[-1])
    finally:
        stderr = _stop(process)
    assert len(metadata.requests) == 5  # first token, three bad answers, one retry that succeeded
    assert stderr.count(complaint) == 3


@pytestmark_bash
def test_init_action_fails_loudly_without_a_first_token(metadata: FakeMetadata, root: Path) -> None:
    metadata.failures_before_success = 100
    result = _init(root, retry=0, first_token_attempts=3)
    assert result.returncode != 0
    assert result.stderr.count("metadata server failed") == 3
    assert not (root / "run/gcp-aws/token").exists()
    assert not (root / UNIT).exists()


def test_init_action_has_no_package_or_internet_reference() -> None:
    script = init_action_script("gcp-s3-federation-dev")
    assert external_references(script) == []
    assert "readonly AUDIENCE=gcp-s3-federation-dev\n" in script
    assert not re.search(r"@[A-Z_]+@", script)  # every placeholder filled


@pytest.mark.parametrize("audience", ["two words", "line\nbreak", "tab\t"])
def test_init_action_refuses_audiences_that_could_escape_the_script(audience: str) -> None:
    with pytest.raises(ValueError, match="must be printable with no whitespace"):
        init_action_script(audience)


def test_init_action_quotes_the_audience() -> None:
    assert "readonly AUDIENCE='a$(reboot)'\n" in init_action_script("a$(reboot)")


# --- stack config ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataproc", "problem"),
    [
        (
            {"image_version": "2.0-debian10"},
            "workloads[1].dataproc.image_version: '2.0-debian10' is not a supported Dataproc image version: use 2.1",
        ),
        (
            {"runtime_package": "gcp-aws-credentials==0.1.0"},
            "workloads[1].dataproc: runtime_package was removed: the init action installs no package",
        ),
        (
            {"image_version": "2.3", "hadoop_aws_package": "org.apache.hadoop:hadoop-aws:3.3.6"},
            "workloads[1].dataproc: hadoop_aws_package was removed: spark.jars.packages downloads from Maven Central",
        ),
    ],
)
def test_config_names_the_dataproc_field_and_rule(
    dev_federation: dict[str, Any], dataproc: dict[str, Any], problem: str
) -> None:
    (index,) = [i for i, w in enumerate(dev_federation["workloads"]) if w["kind"] == "dataproc"]
    assert index == 1
    dev_federation["workloads"][index]["dataproc"] = dataproc
    with pytest.raises(ConfigError) as caught:
        load_config(dev_federation)
    (found,) = caught.value.problems
    assert found.startswith(problem)


@pytest.mark.parametrize("image", ["2.1-debian11", "2.2", "3.0-ubuntu24"])
def test_config_accepts_supported_images(dev_federation: dict[str, Any], image: str) -> None:
    dev_federation["workloads"][1]["dataproc"] = {"image_version": image}
    assert load_config(dev_federation).workloads[1].dataproc.image_version == image  # type: ignore[union-attr]
