"""Where a repository's snapshots are: one vault per plan that backed it up.

A repository's snapshots from one plan live in their own vault,
`repositories/<repository id>/<plan id>/` in the plan's storage, so two plans with different
passwords or storages never share a chain (and removing a repository's data is still one
prefix).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.backends.base import StorageError
from repovault.backends.retained import Retention
from repovault.engine.layout import is_kept_data, vault_prefix, wiki_prefix
from repovault.engine.manifest import Manifest
from repovault.engine.restore import Choice, choose
from repovault.engine.vault import Vault
from repovault.organizations.models import Organization
from repovault.organizations.service import access_of
from repovault.plans.models import Plan
from repovault.plans.settings import PlanSettings
from repovault.providers.base import Access
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from repovault.storages.models import Storage
from repovault.storages.service import open_backend, open_locking
from repovault.tasks.models import RepositoryVault


class TargetGone(Exception):
    """The repository or plan a task names was removed meanwhile: no retry brings it back."""

    permanent = True  # read by runner.errors.is_permanent


@dataclass
class Target:
    """Everything a job needs of one repository under one plan, read in one session."""

    repository: Repository
    organization: Organization
    plan: Plan
    storage: Storage
    access: Access
    password: str | None

    def vault(self, runtime: Runtime, *, wiki: bool = False) -> Vault:
        prefix = vault_prefix(self.repository.id, self.plan.id)
        prefix = wiki_prefix(prefix) if wiki else prefix
        lock = PlanSettings.of(self.plan).object_lock
        if lock is None:
            backend = open_backend(self.storage, runtime.box)
        else:  # what the backup writes stays until its date, whoever holds the keys
            backend = open_locking(
                self.storage,
                runtime.box,
                Retention(lock.days, lock.mode),
                lambda key: is_kept_data(prefix, key),
            )
        return Vault(backend, prefix, password=self.password)


def load_target(runtime: Runtime, repository_id: str | None, plan_id: str | None) -> Target:
    with runtime.db.session() as session:
        repo = session.get(Repository, repository_id) if repository_id else None
        plan = session.get(Plan, plan_id) if plan_id else None
        if repo is None:
            raise TargetGone("the repository no longer exists")
        if plan is None:
            raise TargetGone("the plan no longer exists")
        org = session.get(Organization, repo.organization_id)
        assert org is not None
        storage, password = plan_storage(session, runtime, plan)
        for row in (repo, plan, org):
            session.expunge(row)
        return Target(repo, org, plan, storage, access_of(runtime.box, org), password)


def plan_storage(session: Session, runtime: Runtime, plan: Plan) -> tuple[Storage, str | None]:
    """The plan's storage (detached) and its encryption password."""
    storage = session.get(Storage, plan.storage_id)
    assert storage is not None
    session.expunge(storage)
    sealed = plan.encryption_password_sealed
    return storage, runtime.box.open(sealed) if sealed else None


def _vaults(runtime: Runtime, repository_id: str, *, copies: bool) -> list[tuple[Plan, Vault]]:
    """One vault per plan that backed the repository up: on the plan's own storage, or
    (`copies`) on its second storage, for the plans that keep one."""
    with runtime.db.session() as session:
        plans = session.scalars(
            select(Plan)
            .join(RepositoryVault, RepositoryVault.plan_id == Plan.id)
            .where(RepositoryVault.repository_id == repository_id)
        ).all()
        vaults = []
        for plan in plans:
            own, password = plan_storage(session, runtime, plan)
            storage = copy_storage(session, plan) if copies else own
            if storage is None:
                continue
            backend = open_backend(storage, runtime.box)
            prefix = vault_prefix(repository_id, plan.id)
            vaults.append((plan, Vault(backend, prefix, password=password)))
    return vaults


def snapshot_vaults(runtime: Runtime, repository_id: str) -> list[tuple[Plan, Vault]]:
    """The vaults that hold this repository's snapshots: one per plan that backed it up."""
    return _vaults(runtime, repository_id, copies=False)


def copy_vaults(runtime: Runtime, repository_id: str) -> list[tuple[Plan, Vault]]:
    """The second copies of this repository's vaults, on their plans' copy storages."""
    return _vaults(runtime, repository_id, copies=True)


def copy_storage(session: Session, plan: Plan) -> Storage | None:
    """The plan's second storage (`advancedOptions.copyStorageId`), detached; None when it
    has none or it was removed."""
    copy_id = PlanSettings.of(plan).copy_storage_id
    storage = session.get(Storage, copy_id) if copy_id else None
    if storage is not None:
        session.expunge(storage)
    return storage


def find_snapshot(
    runtime: Runtime,
    repository_id: str,
    snapshot_id: str | None,
    *,
    allow_earlier: bool = False,
) -> tuple[Vault, Choice]:
    """The vault and the snapshot to restore: the one named, else the newest of all plans'
    vaults (ids are unique and sort by time). A damaged one (its manifest lost) fails,
    naming it, unless `allow_earlier` lets the newest intact earlier one be chosen."""
    manifests: dict[str, Manifest] = {}
    lost: set[str] = set()
    owner: dict[str, Vault] = {}
    # The plans' own storages first; a second copy serves a snapshot whose manifest the
    # first lost (or a storage that is gone).
    primaries = snapshot_vaults(runtime, repository_id)
    for _plan, vault in [*primaries, *copy_vaults(runtime, repository_id)]:
        try:
            found = vault.manifests()
        except StorageError:
            if vault in (v for _p, v in primaries):
                continue  # the copy may hold it
            raise
        for snapshot, manifest in found.items():
            if snapshot not in manifests:
                manifests[snapshot], owner[snapshot] = manifest, vault
                lost.discard(snapshot)
        for snapshot in vault.lost(found) - set(manifests):
            lost.add(snapshot)
            owner.setdefault(snapshot, vault)
    choice = choose(manifests, lost, snapshot_id, allow_earlier=allow_earlier)
    return owner[choice.manifest.id], choice
