"""Domain errors.  They carry data; `web/errors.py` maps them to HTTP in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class LaborcaseError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: a JSON pointer into the submitted document and what is wrong."""

    pointer: str
    message: str


class ValidationError(LaborcaseError):
    code = "validation"

    def __init__(self, message: str, problems: Sequence[FieldProblem] = ()):
        super().__init__(message)
        self.problems = list(problems)


class DefinitionError(LaborcaseError):
    """A process definition file is broken; says which file and element."""

    code = "definition"

    def __init__(self, *, file: str | None, element_id: str | None, message: str, process: str | None = None):
        where = ", ".join(
            p for p in (process and f"process {process}", file, element_id and f"element {element_id}") if p
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.element_id = element_id
        self.detail = message
        self.process = process


class EngineError(LaborcaseError):
    code = "engine"

    def __init__(self, message: str, task: str | None = None):
        super().__init__(f"{message} (task {task})" if task else message)
        self.task = task


class NotFoundError(LaborcaseError):
    code = "not_found"

    def __init__(self, kind: str, ident: object):
        super().__init__(f"{kind} {ident} not found")
        self.kind = kind
        self.ident = ident


class UnknownTaskError(NotFoundError):
    code = "unknown_task"

    def __init__(self, task_id: str, reason: str | None = None):
        super().__init__("task", task_id)
        self.reason = reason
        if reason:
            self.message = f"task {task_id}: {reason}"
            self.args = (self.message,)


class ConflictError(LaborcaseError):
    """Someone else changed the same thing first; reload and try again."""

    code = "conflict"


class TaskNotOpenError(ConflictError):
    code = "task_not_open"

    def __init__(self, task_id: str, state: str):
        super().__init__(f"task {task_id} is {state}")
        self.task_id = task_id
        self.state = state


class MessageNotExpectedError(ConflictError):
    code = "message_not_expected"

    def __init__(self, name: str, reason: str):
        super().__init__(f"message {name!r} not accepted: {reason}")
        self.name = name
        self.reason = reason


class AuthenticationError(LaborcaseError):
    code = "unauthenticated"


class PermissionDeniedError(LaborcaseError):
    code = "forbidden"


class RateLimitedError(LaborcaseError):
    """Too many requests of one kind (e.g. one-time codes for a phone); try again after `retry_after` s."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class SmsUnavailableError(LaborcaseError):
    """A text message could not be handed to the SMS gateway; the request may be retried."""

    code = "sms_unavailable"


# -- documents, seals and storage ---------------------------------------------------------


class StorageError(LaborcaseError):
    """The object store refused or failed an operation (the S3 client's errors end here)."""

    code = "storage"


class ObjectNotFoundError(StorageError, NotFoundError):
    code = "not_found"

    def __init__(self, bucket: str, key: str, version_id: str | None = None):
        LaborcaseError.__init__(self, f"object {bucket}/{key} not found")
        self.kind, self.ident = "object", f"{bucket}/{key}"
        self.bucket, self.key, self.version_id = bucket, key, version_id


class IntegrityCheckError(StorageError):
    """An object's bytes no longer match the SHA-256 recorded when it was stored."""

    code = "integrity"

    def __init__(self, bucket: str, key: str, expected: str, actual: str):
        super().__init__(f"object {bucket}/{key} is corrupted: sha256 {actual} != {expected}")
        self.bucket, self.key, self.expected, self.actual = bucket, key, expected, actual


class RetentionLockedError(StorageError, ConflictError):
    """Delete or overwrite refused: the object is under retention or legal hold."""

    code = "retention_locked"

    def __init__(self, bucket: str, key: str, reason: str):
        LaborcaseError.__init__(self, f"object {bucket}/{key} is locked: {reason}")
        self.bucket, self.key, self.reason = bucket, key, reason


class StorageUnavailableError(StorageError):
    """The store could not be reached; the operation may be retried."""

    code = "storage_unavailable"


class SealingError(LaborcaseError):
    """Sealing or signing failed (key, certificate, timestamp authority); retryable."""

    code = "sealing"


class DocumentRejectedError(ValidationError):
    """An uploaded PDF cannot be checked: corrupt, encrypted, unsigned or too large."""

    code = "document_rejected"


class FileRejectedError(ValidationError):
    """An uploaded file is not accepted (type, empty, encrypted or unreadable); `problems` point at it."""

    code = "file_rejected"


class FileTooLargeError(FileRejectedError):
    """An uploaded file is larger than the configured limit (`limit` bytes)."""

    code = "file_too_large"

    def __init__(self, message: str, problems: Sequence[FieldProblem] = (), *, limit: int):
        super().__init__(message, problems)
        self.limit = limit
