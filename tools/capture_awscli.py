"""Run the AWS CLI (v1, `awscli` package) in-process for each documented flow and write the trace JSON.

    <awscli venv>/bin/python -m tools.capture_awscli ENDPOINT BUCKET PREFIX KEY_ARN OUTPUT.json

Called by tools/capture_traces.py; runs in a virtualenv holding `awscli` (which vendors its own botocore
and s3transfer), so it imports only the standard library, awscli and the recorder. Each command runs
through `awscli.clidriver.create_clidriver()` with the recorder's hooks registered on the driver's
botocore session before the command starts. Objects a flow needs are written first, unrecorded.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import awscli  # type: ignore[import-not-found]
import botocore.session
from awscli.clidriver import create_clidriver  # type: ignore[import-not-found]

from tools.request_recorder import RequestRecorder

LARGE = 20 * 1024 * 1024
SMALL = 1024


@dataclass(frozen=True)
class CliFlow:
    name: str
    needs: tuple[str, ...]
    description: str
    arguments: tuple[str, ...]  # `aws s3 ...`; {s3} = s3://bucket/prefix/, {dir} = local work dir, {key} = key ARN
    local_files: tuple[tuple[str, int], ...] = ()
    objects: tuple[tuple[str, int], ...] = ()  # keys under the prefix written before the flow


FLOWS = (
    CliFlow(
        "cp_upload",
        ("write",),
        "aws s3 cp of a small file",
        ("cp", "{dir}/small.txt", "{s3}small.txt"),
        (("small.txt", SMALL),),
    ),
    CliFlow(
        "cp_upload_multipart",
        ("write",),
        "aws s3 cp of a 20 MiB file (multipart)",
        ("cp", "{dir}/large.bin", "{s3}large.bin"),
        (("large.bin", LARGE),),
    ),
    CliFlow(
        "cp_upload_naming_key",
        ("write",),
        "aws s3 cp --sse aws:kms --sse-kms-key-id <key ARN> of a 20 MiB file",
        ("cp", "{dir}/large.bin", "{s3}large.bin", "--sse", "aws:kms", "--sse-kms-key-id", "{key}"),
        (("large.bin", LARGE),),
    ),
    CliFlow(
        "cp_download",
        ("read",),
        "aws s3 cp of a 20 MiB object to a local file",
        ("cp", "{s3}large.bin", "{dir}/out.bin"),
        objects=(("large.bin", LARGE),),
    ),
    CliFlow(
        "sync_upload",
        ("write",),
        "aws s3 sync of a local directory (two files) to the prefix",
        ("sync", "{dir}/up", "{s3}dir/"),
        (("up/a.csv", 10), ("up/b.csv", 10)),
    ),
    CliFlow(
        "sync_download",
        ("read",),
        "aws s3 sync of the prefix to an empty local directory",
        ("sync", "{s3}dir/", "{dir}/down"),
        objects=(("dir/a.csv", SMALL), ("dir/b.csv", SMALL)),
    ),
    CliFlow(
        "mv_upload",
        ("write",),
        "aws s3 mv of a local file to the prefix",
        ("mv", "{dir}/moved.txt", "{s3}moved.txt"),
        (("moved.txt", SMALL),),
    ),
    CliFlow(
        "mv_within_prefix",
        ("read", "write"),
        "aws s3 mv of an object to another key under the prefix (copy, then delete)",
        ("mv", "{s3}a.csv", "{s3}b.csv"),
        objects=(("a.csv", SMALL),),
    ),
    CliFlow(
        "rm_recursive",
        ("write",),
        "aws s3 rm --recursive of a directory under the prefix",
        ("rm", "--recursive", "{s3}dir/"),
        objects=(("dir/a.csv", SMALL), ("dir/b.csv", SMALL)),
    ),
    CliFlow("ls", ("read",), "aws s3 ls of the prefix (trailing slash)", ("ls", "{s3}"), objects=(("a.csv", SMALL),)),
    CliFlow(
        "ls_recursive",
        ("read",),
        "aws s3 ls --recursive of the prefix",
        ("ls", "--recursive", "{s3}"),
        objects=(("dir/a.csv", SMALL),),
    ),
)


def capture(endpoint: str, bucket: str, prefix: str, key_arn: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp())
    config = workdir / "config"
    config.write_text("[default]\nregion = eu-west-1\ns3 =\n  addressing_style = path\n")
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(workdir / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    seed: Any = botocore.session.get_session().create_client("s3", endpoint_url=endpoint, region_name="eu-west-1")
    traces = []
    for flow in FLOWS:
        for item in seed.list_objects_v2(Bucket=bucket).get("Contents", []):
            seed.delete_object(Bucket=bucket, Key=item["Key"])
        for name, size in flow.local_files:
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            (workdir / name).write_bytes(os.urandom(size))
        for key, size in flow.objects:
            seed.put_object(Bucket=bucket, Key=f"{prefix}{key}", Body=os.urandom(size))
        arguments = [a.format(s3=f"s3://{bucket}/{prefix}", dir=workdir, key=key_arn) for a in flow.arguments]
        driver = create_clidriver()
        recorder = RequestRecorder(bucket, prefix, key_arn)
        recorder.attach(driver.session)
        status = driver.main(["--endpoint-url", endpoint, "s3", *arguments])
        if status != 0:
            raise SystemExit(f"aws s3 {' '.join(arguments)} failed with {status}")
        traces.append(
            {"name": flow.name, "needs": list(flow.needs), "description": flow.description, "requests": recorder.take()}
        )
    versions = {name: vars(module)["__version__"] for name, module in (("awscli", awscli), ("botocore", botocore))}
    return {
        "client": "aws-cli",
        "versions": versions,
        "captured_with": "tools/capture_awscli.py (awscli.clidriver in-process, botocore before-send/after-call "
        "hooks) against moto on 127.0.0.1",
        "flows": traces,
    }


if __name__ == "__main__":
    Path(sys.argv[5]).write_text(json.dumps(capture(*sys.argv[1:5])))
