"""Capture the HTTP requests boto3 and the AWS CLI send for each documented flow, against moto on 127.0.0.1.

    python -m tools.capture_traces [--awscli-python PATH]

writes boto3.json into runtime/gcp_aws_credentials/traces/ and, with the Python of a virtualenv holding
the `awscli` v1 package (it vendors its own botocore, so it lives apart: `python -m venv /tmp/awscli &&
/tmp/awscli/bin/pip install awscli`), awscli.json. The CLI runs in that interpreter through
`awscli.clidriver`, in-process, with the same botocore hooks (tools/capture_awscli.py).

Every flow starts from objects written beforehand with an unhooked client, so only the flow's own
requests are recorded. Sizes follow the clients' defaults: s3transfer and the CLI switch to multipart at
8 MiB with 8 MiB parts (s3transfer `TransferConfig`, AWS CLI "S3 configuration": multipart_threshold,
multipart_chunksize), hence 20 MiB objects for the multipart flows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore
import s3transfer
from botocore.config import Config

from tools.loopback import put_sse_kms_default, start_moto
from tools.request_recorder import RequestRecorder

_CLIENT_MODULES = {"boto3": boto3, "botocore": botocore, "s3transfer": s3transfer}
TRACES = Path(__file__).resolve().parent.parent / "runtime" / "gcp_aws_credentials" / "traces"
BUCKET = "trace-bucket"
PREFIX = "grant/prefix/"
REGION = "eu-west-1"
SMALL = 1024
LARGE = 20 * 1024 * 1024  # above the 8 MiB multipart threshold: 3 parts of 8, 8 and 4 MiB


@dataclass(frozen=True)
class Scene:
    client: Any  # hooked S3 client
    seed: Any  # unhooked S3 client for setup
    key_arn: str
    workdir: Path


@dataclass(frozen=True)
class Flow:
    name: str
    needs: tuple[str, ...]  # grant access the flow needs: "read", "write"
    description: str
    run: Callable[[Scene], None]


def _file(scene: Scene, name: str, size: int) -> Path:
    path = scene.workdir / name
    path.write_bytes(os.urandom(size))
    return path


def _put_object(scene: Scene) -> None:
    scene.client.put_object(Bucket=BUCKET, Key=f"{PREFIX}object.bin", Body=b"x" * SMALL)


def _put_object_named_key(scene: Scene) -> None:
    scene.client.put_object(
        Bucket=BUCKET,
        Key=f"{PREFIX}object.bin",
        Body=b"x" * SMALL,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=scene.key_arn,
    )


def _upload_file(scene: Scene) -> None:
    scene.client.upload_file(str(_file(scene, "large.bin", LARGE)), BUCKET, f"{PREFIX}large.bin")


def _upload_file_named_key(scene: Scene) -> None:
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": scene.key_arn}
    scene.client.upload_file(str(_file(scene, "large.bin", LARGE)), BUCKET, f"{PREFIX}large.bin", ExtraArgs=extra)


def _download_file(scene: Scene) -> None:
    scene.seed.put_object(Bucket=BUCKET, Key=f"{PREFIX}large.bin", Body=os.urandom(LARGE))
    scene.client.download_file(BUCKET, f"{PREFIX}large.bin", str(scene.workdir / "downloaded.bin"))


def _copy_large(scene: Scene) -> None:
    scene.seed.put_object(Bucket=BUCKET, Key=f"{PREFIX}large.bin", Body=os.urandom(LARGE))
    scene.client.copy({"Bucket": BUCKET, "Key": f"{PREFIX}large.bin"}, BUCKET, f"{PREFIX}copy.bin")


def _delete_objects(scene: Scene) -> None:
    keys = [f"{PREFIX}part-{n}.csv" for n in range(3)]
    for key in keys:
        scene.seed.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    scene.client.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})


def _list_objects_v2(scene: Scene) -> None:
    scene.seed.put_object(Bucket=BUCKET, Key=f"{PREFIX}part-0.csv", Body=b"x")
    scene.client.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX, Delimiter="/")
    for _ in scene.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=PREFIX):
        pass


BOTO3_FLOWS = (
    Flow("put_object", ("write",), "put_object without SSE arguments (the bucket default encrypts)", _put_object),
    Flow(
        "put_object_naming_key",
        ("write",),
        "put_object with ServerSideEncryption=aws:kms and SSEKMSKeyId=<the bucket key's ARN>",
        _put_object_named_key,
    ),
    Flow("upload_file", ("write",), "upload_file of 20 MiB: managed multipart upload", _upload_file),
    Flow(
        "upload_file_naming_key",
        ("write",),
        "upload_file of 20 MiB with ExtraArgs ServerSideEncryption=aws:kms, SSEKMSKeyId=<key ARN>",
        _upload_file_named_key,
    ),
    Flow("download_file", ("read",), "download_file of 20 MiB: HEAD, then ranged GETs", _download_file),
    Flow("copy", ("read", "write"), "managed copy of 20 MiB within the prefix: UploadPartCopy parts", _copy_large),
    Flow("delete_objects", ("write",), "delete_objects of three keys under the prefix", _delete_objects),
    Flow(
        "list_objects_v2",
        ("read",),
        "list_objects_v2 with Prefix (and Delimiter '/'), then paginated",
        _list_objects_v2,
    ),
)


def moto_scene_clients(endpoint: str) -> tuple[boto3.Session, Any]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return session, session.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))


def prepare_bucket(endpoint: str, bucket_key: bool = True) -> str:
    """A fresh trace bucket with SSE-KMS default encryption under a new key; returns the key ARN."""
    session, s3 = moto_scene_clients(endpoint)
    key_arn = str(session.client("kms", endpoint_url=endpoint).create_key()["KeyMetadata"]["Arn"])
    existing = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    if BUCKET in existing:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    else:
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    put_sse_kms_default(s3, BUCKET, key_arn, bucket_key)
    return key_arn


def capture_boto3(
    endpoint: str, bucket_key: bool = True, after: Callable[[Any, str], None] | None = None
) -> dict[str, Any]:
    """Run every boto3 flow against moto and return the trace document; `after(client, key_arn)` runs
    after each flow (to inspect what it wrote)."""
    flows = []
    for flow in BOTO3_FLOWS:
        key_arn = prepare_bucket(endpoint, bucket_key)
        session, seed = moto_scene_clients(endpoint)
        client = session.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
        recorder = RequestRecorder(BUCKET, PREFIX, key_arn)
        recorder.attach(client.meta.events)
        with tempfile.TemporaryDirectory() as workdir:
            flow.run(Scene(client, seed, key_arn, Path(workdir)))
        if after is not None:
            after(seed, key_arn)
        flows.append(
            {"name": flow.name, "needs": list(flow.needs), "description": flow.description, "requests": recorder.take()}
        )
    return {
        "client": "boto3",
        "versions": {name: vars(module)["__version__"] for name, module in _CLIENT_MODULES.items()},
        "captured_with": "tools/capture_traces.py (botocore before-send/after-call hooks) against moto on 127.0.0.1",
        "flows": flows,
    }


def write(name: str, document: dict[str, Any]) -> Path:
    TRACES.mkdir(parents=True, exist_ok=True)
    path = TRACES / f"{name}.json"
    path.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--awscli-python", help="python of a virtualenv with the awscli package")
    args = parser.parse_args(argv)
    process, endpoint = start_moto()
    try:
        print(write("boto3", capture_boto3(endpoint)))
        if args.awscli_python:
            key_arn = prepare_bucket(endpoint)
            root = Path(__file__).resolve().parent.parent
            with tempfile.TemporaryDirectory() as scratch:
                output = Path(scratch) / "awscli.json"
                subprocess.run(
                    [args.awscli_python, "-m", "tools.capture_awscli", endpoint, BUCKET, PREFIX, key_arn, str(output)],
                    cwd=root,
                    env={**os.environ, "PYTHONPATH": str(root)},
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                print(write("awscli", json.loads(output.read_text())))
    finally:
        process.terminate()
        process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
