"""The enums of the wire conventions, as code: one `IntEnum` each, every value with a label.

The numbers are the API's (they are stored and sent as they are); the labels are what the
console, the command line and the logs show people. `label_of(Enum, value)` names a value
that may be unknown (an old row, a newer peer) without failing.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Self


class Labeled(IntEnum):
    """An IntEnum whose members carry a label for people: `Driver.GIT.label == "Git"`."""

    _label: str

    def __new__(cls, value: int, label: str) -> Self:
        member = int.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        return self._label


def label_of(enum: type[Labeled], value: object) -> str:
    """The label of `value` in `enum`, or the value itself when it names no member."""
    try:
        member = enum._value2member_map_.get(value)
    except TypeError:  # unhashable
        member = None
    return member.label if isinstance(member, Labeled) else str(value)


class Driver(Labeled):
    GITHUB = 1, "GitHub"
    BITBUCKET = 2, "Bitbucket"
    GITLAB = 3, "GitLab"
    AZURE = 4, "Azure DevOps"
    GITEA = 5, "Gitea/Forgejo"
    GIT = 6, "Git"


class RepositoryStatus(Labeled):
    ACTIVE = 1, "active"
    REMOVED = 2, "removed at the platform"
    INACCESSIBLE = 3, "inaccessible"


class TaskStatus(Labeled):
    NEVER = 0, "never run"
    SUCCEEDED = 1, "succeeded"
    WARNING = 2, "succeeded with warnings"
    FAILED = 3, "failed"
    CANCELED = 4, "canceled"
    RUNNING = 5, "running"
    QUEUED = 6, "queued"
    NOT_STARTED = 7, "not started"


class BackupType(Labeled):
    GIT = 5, "Git plan"
    AZURE = 10, "Azure DevOps plan"


class ChoiceMode(Labeled):
    ALL = 1, "all repositories"
    INDIVIDUAL = 2, "selected repositories"
    RULES = 3, "rule-based"


class RuleType(Labeled):
    PROJECT = 1, "project"
    WIKI = 2, "wiki"
    REPOSITORY = 3, "repository"


class RuleChoice(Labeled):
    """A plan rule's `choiceMode`: every item of the rule's type, or those its filters pick."""

    ALL = 1, "all of that type"
    BY_FILTERS = 2, "chosen by filters"


class Trigger(Labeled):
    """A schedule option's `trigger`."""

    DISABLED = 0, "disabled"
    TIME = 1, "time"


class Scheme(Labeled):
    MANUAL = 1, "manual only"
    BASIC = 2, "basic"
    CUSTOM = 3, "custom"
    FOREVER_INCREMENTAL = 4, "forever incremental"
    GFS = 5, "GFS"


class BackupKind(Labeled):
    BY_SCHEME = 0, "decided by the scheme"
    FULL = 1, "full"
    DIFFERENTIAL = 2, "differential"
    INCREMENTAL = 3, "incremental"


class Frequency(Labeled):
    ONCE = 0, "once"
    WEEKLY = 1, "weekly"
    MONTHLY = 2, "monthly"
    DAILY = 3, "daily"
    HOURLY = 4, "every few hours"
    MINUTES = 5, "every few minutes"


class RetentionRule(Labeled):
    FOREVER = 1, "keep forever"
    NEWEST = 2, "keep the newest copies"
    YOUNGER = 3, "keep those younger than"


class RetentionPeriod(Labeled):
    HOURS = 0, "hours"
    DAYS = 1, "days"
    WEEKS = 2, "weeks"
    MONTHS = 3, "months"
    YEARS = 4, "years"


class Codec(Labeled):
    NONE = 0, "none"
    LZ4 = 1, "LZ4"
    ZSTANDARD = 2, "Zstandard"


class StorageType(Labeled):
    LOCAL = 1, "local folder"
    S3 = 2, "S3"
    AZURE_BLOB = 3, "Azure Blob"
    GCS = 4, "Google Cloud Storage"
    SFTP = 5, "SFTP"
    WEBDAV = 6, "WebDAV"
    RCLONE = 7, "rclone remote"


class ResourceKind(Labeled):
    ISSUES = 1, "issues"
    PULL_REQUESTS = 2, "pull requests"
    WIKI = 3, "wiki"
    RELEASES = 4, "releases"
    LABELS_AND_MILESTONES = 5, "labels and milestones"
    LFS = 6, "LFS objects"
    COMMENTS = 7, "comments and reviews"
    PIPELINES = 8, "pipelines"
