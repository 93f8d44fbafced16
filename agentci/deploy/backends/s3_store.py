"""The requests of the `s3` backend (agentci/deploy/backends/s3.py): keys under a prefix, and
GET / conditional PUT / HEAD / LIST / DELETE through a boto3 client, with botocore's errors turned
into BackendErrors (or `Conflict` when a conditional write's precondition failed)."""

from __future__ import annotations

import posixpath
from typing import Any

from agentci.deploy.backends.base import BackendError
from agentci.errors import AgentciError

#: what a failed condition looks like: 412 PreconditionFailed, 409 ConditionalRequestConflict
#: (a concurrent conditional write), 404 NoSuchKey (If-Match on a key that is gone)
CONFLICT = {"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "412", "409", "404"}


class S3Store:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket = client, bucket
        self.prefix = (prefix.strip("/") + "/") if prefix.strip("/") else ""

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, path: str) -> str:
        return self.prefix + posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")

    def _call(self, op: str, **kw: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            return getattr(self.client, op)(Bucket=self.bucket, **kw)
        except NoCredentialsError:
            raise AgentciError(
                "the s3 backend found no AWS credentials",
                hint="set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or in Actions use "
                "aws-actions/configure-aws-credentials with an OIDC role",
                exit_code=1,
            ) from None
        except ClientError:
            raise
        except BotoCoreError as exc:  # endpoint unreachable, timeouts after botocore's retries
            raise BackendError(f"S3 {op} on {self.describe()}: {exc}") from None

    def _get(self, key: str) -> tuple[bytes, dict[str, Any]] | None:
        from botocore.exceptions import ClientError

        try:
            resp = self._call("get_object", Key=key)
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return None
            raise _wrap(exc, f"GET {key}") from None
        return resp["Body"].read(), resp

    def _put(self, key: str, data: bytes, **cond: str) -> str:
        """PUT an object; `cond` is IfMatch=etag or IfNoneMatch='*'. Returns the new ETag.
        Raises Conflict when the condition failed."""
        from botocore.exceptions import ClientError

        try:
            resp = self._call("put_object", Key=key, Body=data, **cond)
        except ClientError as exc:
            if cond and _code(exc) in CONFLICT:
                raise Conflict(f"conditional PUT {key}: {_code(exc)}") from None
            raise _wrap(exc, f"PUT {key}") from None
        return str(resp.get("ETag", ""))

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self._call("head_object", Key=key))
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise _wrap(exc, f"HEAD {key}") from None

    def _list(self, prefix: str, delimiter: str = "") -> tuple[list[str], list[str]]:
        """(keys, common prefixes) below `prefix`, following continuation tokens."""
        from botocore.exceptions import ClientError

        keys: list[str] = []
        dirs: list[str] = []
        kw: dict[str, Any] = {"Prefix": prefix, **({"Delimiter": delimiter} if delimiter else {})}
        while True:
            try:
                resp = self._call("list_objects_v2", **kw)
            except ClientError as exc:
                raise _wrap(exc, f"LIST {prefix}") from None
            keys += [o["Key"] for o in resp.get("Contents", [])]
            dirs += [p["Prefix"] for p in resp.get("CommonPrefixes", [])]
            if not resp.get("IsTruncated"):
                return keys, dirs
            kw["ContinuationToken"] = resp["NextContinuationToken"]

    def _delete(self, key: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self._call("delete_object", Key=key)
        except ClientError as exc:
            if _code(exc) not in ("NoSuchKey", "404"):
                raise _wrap(exc, f"DELETE {key}") from None

    def close(self) -> None:
        self.client.close()


class Conflict(BackendError):
    """A conditional write's precondition failed (412/409, or 404 for If-Match on a missing key)."""


def _code(exc: Any) -> str:
    err = getattr(exc, "response", {}).get("Error", {})
    return str(
        err.get("Code")
        or getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    )


def _wrap(exc: Any, doing: str) -> BackendError:
    meta = exc.response.get("ResponseMetadata", {})
    status = meta.get("HTTPStatusCode")
    hint = (
        " (check the bucket name and that the credentials may read and write it)"
        if status in (403, 404)
        else ""
    )
    return BackendError(f"S3 {doing}: {status} {_code(exc)}{hint}")
