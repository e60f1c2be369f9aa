"""The archive in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...), through boto3.

``media.store: s3://bucket/prefix`` and ``media.endpoint_url`` (unset: AWS).
Credentials come from boto3's usual places, never config.yaml: the variables
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (and ``AWS_DEFAULT_REGION``), or
an instance role.  Keys are the same as in the local folder, under ``prefix``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import IO, Any

from cqfriends.errors import CqfError, NotFound
from cqfriends.media.storage import READ_CHUNK, check_key

DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys
TIMEOUT_SECONDS = 30


class S3Store:
    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 client: Any = None):
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.description = f"s3://{bucket}/{self.prefix}" + (
            f" at {endpoint_url}" if endpoint_url else "")
        self.client = client or _make_client(endpoint_url)

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, body: IO[bytes] | bytes, content_type: str) -> None:
        stream = io.BytesIO(body) if isinstance(body, bytes | bytearray) else body
        name = self._name(key)
        try:
            self.client.upload_fileobj(stream, self.bucket, name,
                                       ExtraArgs={"ContentType": content_type})
        except Exception as e:  # noqa: BLE001 - botocore's errors, mapped at the boundary
            raise CqfError(f"cannot write {key} to {self.description}: {_why(e)}") from e

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as e:
            if _status(e) == 404:
                return None
            raise CqfError(f"cannot look at {key} in {self.description}: {_why(e)}") from e
        return int(head["ContentLength"])

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self._name(key)}
        if start or end is not None:
            args["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            body = self.client.get_object(**args)["Body"]
        except ClientError as e:
            if _status(e) in (404, 416):
                raise NotFound(f"not in the archive: {key}") from e
            raise CqfError(f"cannot read {key} from {self.description}: {_why(e)}") from e
        return _stream(body)

    def delete(self, keys: Iterable[str]) -> int:
        names = [self._name(k) for k in keys]
        removed = 0
        for start in range(0, len(names), DELETE_BATCH):
            batch = [{"Key": n} for n in names[start:start + DELETE_BATCH]]
            try:
                answer = self.client.delete_objects(Bucket=self.bucket,
                                                    Delete={"Objects": batch, "Quiet": False})
            except Exception as e:  # noqa: BLE001
                raise CqfError(f"cannot delete from {self.description}: {_why(e)}") from e
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise CqfError(f"cannot delete {first.get('Key')} from {self.description}: "
                               f"{first.get('Code')}")
            removed += len(answer.get("Deleted") or [])
        return removed

    def keys(self) -> Iterator[tuple[str, int]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else "")
        cut = len(self.prefix) + 1 if self.prefix else 0
        for page in pages:
            for item in page.get("Contents") or []:
                yield item["Key"][cut:], int(item["Size"])


def _make_client(endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=TIMEOUT_SECONDS, read_timeout=TIMEOUT_SECONDS,
                    retries={"max_attempts": 3, "mode": "standard"},
                    s3={"addressing_style": "path"} if endpoint_url else {})
    return boto3.client("s3", endpoint_url=endpoint_url, config=config)


def _stream(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(READ_CHUNK)
    finally:
        body.close()


def _status(error: Any) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _why(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        return str(response["Error"].get("Code") or response["Error"].get("Message"))
    return type(error).__name__
