"""Hadoop S3A request traces, written from Hadoop's source (no JVM here to capture them).

    python -m tools.s3a_traces      # rewrites runtime/gcp_aws_credentials/traces/s3a.json

Each filesystem call is composed from the S3A methods that issue requests, each citing the file and
method in apache/hadoop (hadoop-tools/hadoop-aws/src/main/java/org/apache/hadoop/fs/s3a/):

- `S3AFileSystem.s3GetFileStatus`: HEAD on the key without a trailing slash (a 404 means "look further";
  any other error, 403 included, is thrown), then LIST prefix=`key/`, delimiter `/`, max-keys 2.
- `impl.MkdirOperation.execute` / `verifyFileStatusOfClosestAncestor`: LIST then HEAD on the path, then
  the same on each parent until one exists; AccessDeniedException in the parent walk is logged and
  ignored; finally PUT of the `dir/` marker.
- `S3AFileSystem.innerCreateFile`: with overwrite, only the directory probe (LIST) on the destination.
- `S3ABlockOutputStream`: a single PUT below `fs.s3a.multipart.size`, else CreateMultipartUpload,
  UploadPart per block, CompleteMultipartUpload on close.
- `S3AFileSystem.copyFile`: HEAD of the source, then CopyObject (`RequestFactoryImpl.newCopyObjectRequestBuilder`
  sets the encryption headers of `fs.s3a.encryption.*`).
- `S3AFileSystem.deleteWithoutCloseCheck` + `impl.DeleteOperation`: status probes, LIST of everything
  under `key/`, DeleteObjects of the keys and the marker, then `maybeCreateFakeParentDirectory`
  (LIST on the parent; AccessDeniedException logged and ignored).
- Hadoop 3.3.6 only: `S3AFileSystem.deleteUnnecessaryFakeDirectories` after every write (directory
  marker policy `delete`, the 3.3 default; 3.4 defaults to `keep`, 3.5 always keeps: hadoop-aws
  `directory_markers.md`): one DeleteObjects of every parent `dir/` key up to the root, errors ignored.
  The traces keep Hadoop's default; the Dataproc 2.x properties of this project set `keep`, which only
  removes these requests.
- `S3AFileSystem.initiateRename` + `impl.RenameOperation`: status of source and destination, HEAD and
  CopyObject per object, then DELETE (a file) or DeleteObjects (a directory's objects and marker);
  `OperationCallbacksImpl.finishRename` touches markers only when source and destination parents differ.
- Committers (`commit/magic/MagicS3GuardCommitter`, `commit/AbstractS3ACommitter`, `commit/CommitOperations`,
  hadoop-aws `committers.md`): task output is a multipart upload to the final key, left pending (its
  `.pending` summary and a zero-byte marker are PUT under the magic path); task commit lists and reads
  the `.pending` files and PUTs a `.pendingset`; job commit reads the `.pendingset` files, completes every
  upload, PUTs `_SUCCESS` and deletes the magic directory. With `fs.s3a.committer.abort.pending.uploads`
  true (the default) cleanup lists pending uploads under the destination (ListMultipartUploads with a
  prefix), and `AbstractS3ACommitter.abortPendingUploadsInCleanup` ignores its failure; the Dataproc
  properties of this project set it to false.
- Spark's `InsertIntoHadoopFsRelationCommand.run` checks `fs.exists(outputPath)` before a write.

Placeholders: `{prefix}` is the grant's prefix (`curated/daily/`), `{dir}` the same without its slash
(the path a Spark job names), `{parent}` the directory above it (`curated`; requests on it are dropped
when there is none), `{ancestor_markers}` in a delete list every marker above `{prefix}` (`curated/`).
Writes send `x-amz-server-side-encryption: aws:kms` and the key ARN, as `fs.s3a.encryption.algorithm=SSE-KMS`
and `fs.s3a.encryption.key` make S3A do (hadoop-aws `encryption.md`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TRACES = Path(__file__).resolve().parent.parent / "runtime" / "gcp_aws_credentials" / "traces"
SSE_HEADERS = {
    "x-amz-server-side-encryption": "aws:kms",
    "x-amz-server-side-encryption-aws-kms-key-id": "{kms_key_arn}",
}
IGNORED = "S3A logs and ignores AccessDenied here"
PART = 5 * 1024 * 1024


class Trace:
    """Builds the requests of one S3A call sequence; `v33` selects Hadoop 3.3.6 behaviour."""

    def __init__(self, v33: bool) -> None:
        self.v33 = v33
        self.requests: list[dict[str, Any]] = []

    def _add(self, method: str, key: str, source: str, **extra: Any) -> None:
        entry: dict[str, Any] = {"method": method, "bucket": "{bucket}", "key": key, "query": {}, "headers": {}}
        for name in ("query", "headers"):
            entry[name] = dict(extra.pop(name, {}))
        entry.update(extra)
        entry["source"] = source
        self.requests.append(entry)

    def head(self, key: str, absent: bool, source: str, on_denied: str | None = None) -> None:
        extra: dict[str, Any] = {"status": 404 if absent else 200}
        if absent:
            extra["absent"] = True
        if on_denied:
            extra["on_denied"] = on_denied
        self._add("HEAD", key, source, **extra)

    def listing(
        self, prefix: str, delimiter: str | None, max_keys: int | None, source: str, on_denied: str | None = None
    ) -> None:
        query = {"list-type": "2", "prefix": prefix}
        if delimiter is not None:
            query["delimiter"] = delimiter
        if max_keys is not None:
            query["max-keys"] = str(max_keys)
        extra: dict[str, Any] = {"query": query, "status": 200}
        if on_denied:
            extra["on_denied"] = on_denied
        self._add("GET", "", source, **extra)

    # --- S3AFileSystem calls -----------------------------------------------------------------------

    def get_file_status(self, key: str, exists_as: str) -> None:
        """`exists_as`: "file" (HEAD finds it) or "dir" (HEAD 404, LIST finds children)."""
        source = "S3AFileSystem.s3GetFileStatus"
        self.head(key, exists_as != "file", source)
        if exists_as != "file":
            self.listing(f"{key}/", "/", 2, source)

    def directory_probe(self, key: str) -> None:
        self.listing(f"{key}/", "/", 2, "S3AFileSystem.s3GetFileStatus (StatusProbeEnum.DIRECTORIES)")

    def parent_markers_deleted(self) -> None:
        """3.3.6 only, after a write directly under the grant: one DeleteObjects of the parent markers up to
        the root (`{prefix}` and `{ancestor_markers}`, e.g. `curated/`), failures ignored."""
        if self.v33:
            self._add(
                "POST",
                "",
                "S3AFileSystem.deleteUnnecessaryFakeDirectories (3.3 marker policy delete)",
                query={"delete": ""},
                delete_keys=["{prefix}", "{ancestor_markers}"],
                status=200,
                on_denied="S3A ignores failures to delete directory markers",
            )

    def put(self, key: str, source: str) -> None:
        self._add("PUT", key, source, headers=SSE_HEADERS, status=200)

    def multipart(self, key: str, parts: int, complete: bool, source: str) -> None:
        self._add("POST", key, source, query={"uploads": ""}, headers=SSE_HEADERS, status=200)
        for number in range(1, parts + 1):
            self._add("PUT", key, source, query={"partNumber": str(number), "uploadId": "{upload_id}"}, status=200)
        if complete:
            self.complete(key, source)

    def complete(self, key: str, source: str) -> None:
        self._add("POST", key, source, query={"uploadId": "{upload_id}"}, status=200)

    def create(self, key: str, size: int) -> None:
        source = "S3AFileSystem.innerCreateFile + S3ABlockOutputStream"
        self.directory_probe(key)
        if size < PART:
            self.put(key, source)
        else:
            self.multipart(key, -(-size // PART), True, source)
        self.parent_markers_deleted()

    def read(self, key: str, size: int) -> None:
        self.get_file_status(key, "file")
        self._add(
            "GET",
            key,
            "S3AInputStream.reopen",
            headers={"range": f"bytes=0-{size - 1}"},
            status=206,
        )

    def mkdirs_sub(self) -> None:
        """mkdirs(`{dir}/sub`) in a granted directory with no objects yet: the parent walk goes up to the
        first parent outside the grant (`{parent}`), whose 403 ends it."""
        source = "impl.MkdirOperation.execute (getPathStatusExpectingDir)"
        self.listing("{prefix}sub/", "/", 2, source)
        self.head("{prefix}sub", True, source)
        walk = "impl.MkdirOperation.verifyFileStatusOfClosestAncestor"
        self.listing("{prefix}", "/", 2, walk, on_denied=IGNORED)
        self.head("{dir}", True, walk, on_denied=IGNORED)
        self.listing("{parent}/", "/", 2, walk, on_denied=IGNORED)
        self.put("{prefix}sub/", "S3AFileSystem.createFakeDirectory")
        self.parent_markers_deleted()

    def _copy(self, source_key: str, target_key: str) -> None:
        self.head(source_key, False, "S3AFileSystem.copyFile (getObjectMetadata)")
        self._add(
            "PUT",
            target_key,
            "S3AFileSystem.copyFile (CopyObject; RequestFactoryImpl.newCopyObjectRequestBuilder)",
            headers={**SSE_HEADERS, "x-amz-copy-source": f"{{bucket}}/{source_key}"},
            status=200,
        )

    def rename_file(self, source_key: str, target_key: str) -> None:
        """Within one directory: `finishRename` fixes markers only when the parents differ."""
        source = "S3AFileSystem.initiateRename"
        self.head(source_key, False, source)
        self.head(target_key, True, source)
        self.listing(f"{target_key}/", "/", 2, source)
        self._copy(source_key, target_key)
        self._add("DELETE", source_key, "impl.RenameOperation.renameFileToDest (deleteObjectAtPath)", status=204)

    def rename_dir(self, source_dir: str, target_dir: str, children: list[str]) -> None:
        """A directory rename in one parent (what Spark's FileOutputCommitter does at commit): list the
        source, copy each object, bulk-delete the sources and the source marker."""
        source = "S3AFileSystem.initiateRename"
        self.head(source_dir, True, source)
        self.listing(f"{source_dir}/", "/", 2, source)
        self.head(target_dir, True, source)
        self.listing(f"{target_dir}/", "/", 2, source)
        self.listing(
            f"{source_dir}/", None, None, "impl.RenameOperation.recursiveDirectoryRename (listFilesAndDirectoryMarkers)"
        )
        for child in children:
            self._copy(f"{source_dir}/{child}", f"{target_dir}/{child}")
        self._add(
            "POST",
            "",
            "impl.RenameOperation.completeActiveCopiesAndDeleteSources (removeKeys)",
            query={"delete": ""},
            delete_keys=sorted([*(f"{source_dir}/{c}" for c in children), f"{source_dir}/"]),
            status=200,
        )

    def delete_recursive(self, key: str, children: list[str]) -> None:
        source = "S3AFileSystem.deleteWithoutCloseCheck + impl.DeleteOperation"
        self.head(key, True, source)
        self.listing(f"{key}/", "/", 2, source)
        self.listing(f"{key}/", None, None, "impl.DeleteOperation (list everything under the directory)")
        self._add(
            "POST",
            "",
            "impl.DeleteOperation (bulk delete)",
            query={"delete": ""},
            delete_keys=sorted([*children, f"{key}/"]),
            status=200,
        )
        self.listing("{prefix}", "/", 2, "S3AFileSystem.maybeCreateFakeParentDirectory", on_denied=IGNORED)

    def list_files(self, key: str, recursive: bool) -> None:
        self.listing(f"{key}/", None if recursive else "/", 5000, "S3AFileSystem.innerListFiles / Listing")

    def magic_job(self, abort_pending_uploads: bool) -> None:
        """A Spark job writing to `{dir}` through the magic committer (one task, one file)."""
        output = "{dir}"
        magic_root = "{prefix}__magic" if self.v33 else "{prefix}__magic_job-0001"
        job = f"{magic_root}/app-attempt-0000"
        task = f"{job}/tasks/attempt_0001_m_000000_0/__base"
        # Spark: does the output exist? (InsertIntoHadoopFsRelationCommand.run -> fs.exists)
        self.get_file_status(output, "dir")
        # setupJob / setupTask: mkdirs of magic paths probes the path only (MkdirOperation, magic path)
        for path in (job, task.rsplit("/", 1)[0]):
            self.head(path, True, "MagicS3GuardCommitter.setupJob/setupTask -> MkdirOperation (magic path: HEAD only)")
            self.put(f"{path}/", "S3AFileSystem.createFakeDirectory (magic path, markers kept)")
        # task: the output file is a multipart upload to the final key, left pending
        final = "{prefix}part-00000.parquet"
        self.multipart(final, 2, False, "magic.MagicCommitTracker (S3ABlockOutputStream to the final key)")
        self.put(f"{task}/part-00000.parquet.pending", "magic.S3MagicCommitTracker.aboutToComplete (.pending)")
        self.put(f"{task}/part-00000.parquet", "magic.S3MagicCommitTracker.aboutToComplete (zero-byte marker)")
        # task commit: load the .pending files, save a .pendingset, delete the task attempt dir
        self.listing(f"{task.rsplit('/', 1)[0]}/", None, 5000, "CommitOperations.loadSinglePendingCommits (listFiles)")
        self._add("GET", f"{task}/part-00000.parquet.pending", "CommitOperations.loadSinglePendingCommits", status=200)
        self.put(f"{job}/task_0001_m_000000.pendingset", "MagicS3GuardCommitter.innerCommitTask (PendingSet.save)")
        # job commit: read the .pendingset files, complete every upload, write _SUCCESS
        self.listing(f"{job}/", "/", 5000, "MagicS3GuardCommitter.listPendingUploadsToCommit")
        self._add("GET", f"{job}/task_0001_m_000000.pendingset", "AbstractS3ACommitter.loadPendingsetFiles", status=200)
        self.complete(final, "CommitOperations.commitOrFail (CompleteMultipartUpload)")
        self.create("{prefix}_SUCCESS", 100)
        # cleanup: delete the magic directory; optionally list and abort pending uploads
        self.delete_recursive(magic_root, [f"{job}/task_0001_m_000000.pendingset"])
        if abort_pending_uploads:
            self._add(
                "GET",
                "",
                "AbstractS3ACommitter.abortPendingUploadsInCleanup (listPendingUploadsUnderPath)",
                query={"uploads": "", "prefix": "{prefix}"},
                status=200,
                on_denied="AbstractS3ACommitter.abortPendingUploadsInCleanup ignores the failure: uploads stay pending",
            )


def flows() -> list[dict[str, Any]]:
    defined: list[dict[str, Any]] = []

    def flow(name: str, needs: tuple[str, ...], description: str, v33: bool, build: Any) -> None:
        trace = Trace(v33)
        build(trace)
        version = "3.3.6" if v33 else "3.4+"
        defined.append(
            {
                "name": f"{name}@{version}",
                "needs": list(needs),
                "hadoop": version,
                "description": description,
                "requests": trace.requests,
            }
        )

    for v33 in (True, False):
        flow(
            "getFileStatus_file",
            ("read",),
            "getFileStatus on a file",
            v33,
            lambda t: t.get_file_status("{prefix}part-0.csv", "file"),
        )
        flow(
            "getFileStatus_dir",
            ("read",),
            "getFileStatus on the granted directory (s3a://bucket/<prefix without slash>)",
            v33,
            lambda t: t.get_file_status("{dir}", "dir"),
        )
        flow("open_read", ("read",), "open and read a 1 KiB file", v33, lambda t: t.read("{prefix}part-0.csv", 1024))
        flow(
            "listStatus", ("read",), "listStatus of the granted directory", v33, lambda t: t.list_files("{dir}", False)
        )
        flow(
            "listFiles",
            ("read",),
            "listFiles(recursive) of the granted directory",
            v33,
            lambda t: t.list_files("{dir}", True),
        )
        flow(
            "create_small", ("write",), "create/close of a 1 KiB file", v33, lambda t: t.create("{prefix}out.csv", 1024)
        )
        flow(
            "create_multipart",
            ("write",),
            "create/close of a 12 MiB file (5 MiB blocks: multipart)",
            v33,
            lambda t: t.create("{prefix}big.bin", 12 * 1024 * 1024),
        )
        flow(
            "mkdirs",
            ("read", "write"),
            "mkdirs of a subdirectory of a fresh granted directory (the parent walk reaches above the grant)",
            v33,
            lambda t: t.mkdirs_sub(),
        )
        flow(
            "rename_file",
            ("read", "write"),
            "rename of a file within the granted directory (copy + delete)",
            v33,
            lambda t: t.rename_file("{prefix}a.csv", "{prefix}b.csv"),
        )
        flow(
            "rename_dir",
            ("read", "write"),
            "rename of a directory within the granted directory (list, copy each object, bulk delete)",
            v33,
            lambda t: t.rename_dir("{prefix}_temporary", "{prefix}final", ["part-0.csv", "part-1.csv"]),
        )
        flow(
            "delete_recursive",
            ("read", "write"),
            "delete(recursive) of a subdirectory",
            v33,
            lambda t: t.delete_recursive("{prefix}sub", ["{prefix}sub/a.csv", "{prefix}sub/b.csv"]),
        )
        flow(
            "magic_committer_job",
            ("read", "write"),
            "Spark job with the magic committer, fs.s3a.committer.abort.pending.uploads=false (Dataproc)",
            v33,
            lambda t: t.magic_job(False),
        )
        flow(
            "magic_committer_job_abort_pending",
            ("read", "write"),
            "the same job with fs.s3a.committer.abort.pending.uploads=true (Hadoop's default)",
            v33,
            lambda t: t.magic_job(True),
        )
    return defined


def document() -> dict[str, Any]:
    return {
        "client": "hadoop-s3a",
        "versions": {"hadoop": ["3.3.6 (Dataproc 2.x)", "3.4.1 / 3.5.0 (Dataproc 3.0)"]},
        "captured_with": "written from apache/hadoop source by tools/s3a_traces.py (see its docstring for the methods)",
        "flows": flows(),
    }


def main() -> int:
    TRACES.mkdir(parents=True, exist_ok=True)
    path = TRACES / "s3a.json"
    path.write_text(json.dumps(document(), indent=1) + "\n")
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
