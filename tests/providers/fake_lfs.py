"""The Git LFS API of the write-capable fake (fake_writable.py), as GitHub and Gitea serve
it beside a repository's git URL: the batch API (`POST <repo>.git/info/lfs/objects/batch`,
"basic" transfers) and the upload of each object the server lacks (`PUT` to the href it
names). The locking API is not there (404): git-lfs carries on without it.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from tests.providers.fake_writable_items import Answer

LFS_JSON = "application/vnd.git-lfs+json"
BATCH = re.compile(r"/(?P<repo>[^/]+/[^/]+)\.git/info/lfs/objects/batch")
OBJECT = re.compile(r"/(?P<repo>[^/]+/[^/]+)\.git/info/lfs/objects/(?P<oid>[0-9a-f]{64})")


def is_lfs(path: str) -> bool:
    return "/info/lfs/" in path


def lfs_answer(
    stores: dict[str, dict[str, bytes]],
    base: str,
    authorization: str,
    method: str,
    path: str,
    raw: bytes,
) -> Answer:
    """One request of the LFS API; `stores`: repository -> oid -> the object's bytes."""
    found = BATCH.fullmatch(path)
    if found and method == "POST":
        request = json.loads(raw)
        store = stores.setdefault(found["repo"], {})
        objects: list[dict[str, Any]] = []
        for item in request["objects"]:
            answer: dict[str, Any] = {"oid": item["oid"], "size": item["size"]}
            if request["operation"] == "upload" and item["oid"] not in store:
                href = f"{base}/{found['repo']}.git/info/lfs/objects/{item['oid']}"
                upload = {"href": href, "header": {"Authorization": authorization}}
                answer["actions"] = {"upload": upload}
            elif request["operation"] == "download" and item["oid"] in store:
                href = f"{base}/{found['repo']}.git/info/lfs/objects/{item['oid']}"
                answer["actions"] = {"download": {"href": href}}
            objects.append(answer)
        body = {"transfer": "basic", "objects": objects}
        return Answer(200, body, {"Content-Type": LFS_JSON})
    found = OBJECT.fullmatch(path)
    if found and method == "PUT":
        if hashlib.sha256(raw).hexdigest() != found["oid"]:
            return Answer(422, {"message": "the object's bytes do not match its oid"})
        stores.setdefault(found["repo"], {})[found["oid"]] = raw
        return Answer(200, {})
    return Answer(404, {"message": "Not Found"}, {"Content-Type": LFS_JSON})
