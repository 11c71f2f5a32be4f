"""The file-store gateway: document files (signed PDFs, certificates, uploads) as objects.

Local filesystem by default; S3-compatible storage (AWS, MinIO, moto) by configuration with
`RECOVERYOS_FILE_STORE=s3`. Objects are PHI, so they are AES-256-GCM encrypted with the field
key ring before they leave the process, the associated data binding them to their bucket and
key; `file_uploads.sha256` is the digest of the plaintext and is checked on every read.

Object keys are opaque (`<org_id>/<uuid>`): they never carry names.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from core.config import get_settings
from core.crypto import FieldCipher
from core.fieldcrypt import field_cipher


class IntegrityError(Exception):
    """A stored object does not hash to the digest recorded for it."""


def _aad(bucket: str, key: str) -> bytes:
    return f"recoveryos:v1:file:{bucket}/{key}".encode()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class FileStore:
    """Encrypting put/get over a backend's raw `_write`/`_read`."""

    bucket: str

    def __init__(self, cipher: FieldCipher | None = None) -> None:
        self._cipher = cipher

    @property
    def cipher(self) -> FieldCipher:
        return self._cipher or field_cipher()

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Idempotent: writing the same key again replaces the object with the same content."""
        self._write(key, self.cipher.encrypt(data, _aad(self.bucket, key)), content_type)

    def get(self, key: str, expected_sha256: bytes | None = None) -> bytes:
        data = self.cipher.decrypt(self._read(key), _aad(self.bucket, key))
        if expected_sha256 is not None and sha256(data) != expected_sha256:
            raise IntegrityError(f"object {key} does not match its recorded SHA-256")
        return data

    def delete(self, key: str) -> None:
        """Remove an object for good (retention); idempotent: an object already gone is no error."""
        self._delete(key)

    async def aput(self, key: str, data: bytes, content_type: str) -> None:
        """For the API: writes off the event loop."""
        await asyncio.to_thread(self.put, key, data, content_type)

    async def aget(self, key: str, expected_sha256: bytes | None = None) -> bytes:
        """For the API: reads off the event loop (S3 is a network call)."""
        return await asyncio.to_thread(self.get, key, expected_sha256)

    def _write(self, key: str, blob: bytes, content_type: str) -> None:
        raise NotImplementedError

    def _read(self, key: str) -> bytes:
        raise NotImplementedError

    def _delete(self, key: str) -> None:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError


class LocalFileStore(FileStore):
    def __init__(self, root: Path, bucket: str = "local", cipher: FieldCipher | None = None) -> None:
        super().__init__(cipher)
        self.root = root
        self.bucket = bucket

    def _path(self, key: str) -> Path:
        path = (self.root / self.bucket / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("object key escapes the store")
        return path

    def _write(self, key: str, blob: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Write-then-rename: a reader never sees half an object.
        tmp = path.with_suffix(".part")
        tmp.write_bytes(blob)
        tmp.chmod(0o600)
        tmp.replace(path)

    def _read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def _delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


class S3FileStore(FileStore):
    def __init__(self, client: Any, bucket: str, cipher: FieldCipher | None = None) -> None:
        super().__init__(cipher)
        self.client = client
        self.bucket = bucket

    @classmethod
    def connect(cls, bucket: str, endpoint_url: str | None = None, region: str = "us-east-1") -> S3FileStore:
        import boto3

        return cls(boto3.client("s3", endpoint_url=endpoint_url, region_name=region), bucket)

    def _write(self, key: str, blob: bytes, content_type: str) -> None:
        # The object is ciphertext whatever the document was; the real type lives in the row.
        self.client.put_object(Bucket=self.bucket, Key=key, Body=blob, ContentType="application/octet-stream")

    def _read(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError:
            return False
        return True

    def _delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success: idempotent as it is. With object
        # versioning on, the bucket's lifecycle rule must expire noncurrent versions (README).
        self.client.delete_object(Bucket=self.bucket, Key=key)


def file_store_from_settings() -> FileStore:
    s = get_settings()
    if s.file_store == "s3":
        return S3FileStore.connect(s.s3_bucket, s.s3_endpoint_url, s.s3_region)
    return LocalFileStore(s.files_dir or s.state_dir / "files")
