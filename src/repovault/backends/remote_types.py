"""The settings of the remote folder storages (SFTP, WebDAV, an rclone remote): how each is
checked when a storage is added, how a backend is opened on them, and how a command-line URL
names one (its credentials then come from the environment). `registry.py` lists them.

    5  sftp    host, port (22), username, password | privateKey (secrets), hostKey, path
               sftp://user@host[:port]/absolute/path, sftp://user@host/~/relative/path
               $REPOVAULT_SFTP_HOST_KEY, $REPOVAULT_SFTP_PASSWORD | $REPOVAULT_SFTP_KEY_FILE
    6  webdav  url, path, username, password (secret)
               webdav+https://[user@]host[:port]/path (webdav+http:// too)
               $REPOVAULT_WEBDAV_USERNAME, $REPOVAULT_WEBDAV_PASSWORD
    7  rclone  remote (name:path), configText (secret: the remote's rclone.conf section)
               rclone://name:path, the configuration read from $REPOVAULT_RCLONE_CONFIG
               (default: rclone's own file, ~/.config/rclone/rclone.conf)
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from repovault.backends.base import Backend, SettingsError, StorageError
from repovault.backends.rclone import RcloneBackend, rclone_binary
from repovault.backends.sftp import SftpBackend, SftpSettings, load_private_key, parse_host_key
from repovault.backends.webdav import WebdavBackend, WebdavSettings

REMOTE = re.compile(r"^([\w.\- ]+):(.*)$")


def _folded(settings: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str | None]:
    """The known settings (names matched without case), each a string or None."""
    folded = {str(k).lower(): v for k, v in settings.items()}
    result: dict[str, str | None] = {}
    for key in keys:
        value = folded.get(key.lower())
        if value is not None and not isinstance(value, str):
            if key == "port" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            else:
                raise SettingsError(key, "expected a string")
        result[key] = value.strip() if value and key not in SECRET_KEYS else (value or None)
    return result


SECRET_KEYS = ("password", "privateKey", "configText")
SFTP_KEYS = ("host", "port", "username", "password", "privateKey", "hostKey", "path")


def sftp_check(settings: Mapping[str, Any]) -> dict[str, Any]:
    values = _folded(settings, SFTP_KEYS)
    for required in ("host", "username", "hostKey"):
        if not values[required]:
            hint = (
                " (the server's public key, e.g. from ssh-keyscan)" if required == "hostKey" else ""
            )
            raise SettingsError(required, f"required for an SFTP storage{hint}")
    port = values["port"] or "22"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError("port", f"not a TCP port: {port!r}")
    try:
        parse_host_key(values["hostKey"] or "")
    except ValueError as exc:
        raise SettingsError("hostKey", str(exc)) from exc
    if not values["password"] and not values["privateKey"]:
        raise SettingsError("password", "an SFTP storage needs a password or a privateKey")
    if values["privateKey"]:
        try:
            load_private_key(values["privateKey"])
        except ValueError as exc:
            raise SettingsError("privateKey", str(exc)) from exc
    return {**values, "port": int(port), "path": values["path"] or "."}


def sftp_open(settings: Mapping[str, Any]) -> Backend:
    return SftpBackend(
        SftpSettings(
            host=settings["host"],
            port=int(settings.get("port") or 22),
            username=settings["username"],
            host_key=settings["hostKey"],
            path=settings.get("path") or ".",
            password=settings.get("password"),
            private_key=settings.get("privateKey"),
        )
    )


def sftp_from_url(url: str, options: Mapping[str, str | None]) -> dict[str, Any]:
    parts = urlsplit(url)
    path = unquote(parts.path) or "."
    if path.startswith("/~/"):
        path = path[3:] or "."
    key_file = os.environ.get("REPOVAULT_SFTP_KEY_FILE")
    return sftp_check(
        {
            "host": parts.hostname or "",
            "port": parts.port or 22,
            "username": unquote(parts.username or "") or os.environ.get("USER", ""),
            "password": os.environ.get("REPOVAULT_SFTP_PASSWORD"),
            "privateKey": Path(key_file).expanduser().read_text() if key_file else None,
            "hostKey": os.environ.get("REPOVAULT_SFTP_HOST_KEY"),
            "path": path,
        }
    )


WEBDAV_KEYS = ("url", "path", "username", "password")


def webdav_check(settings: Mapping[str, Any]) -> dict[str, Any]:
    values = _folded(settings, WEBDAV_KEYS)
    url = values["url"] or ""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise SettingsError("url", f"not an http(s) URL: {url!r}")
    if parts.username or parts.query or parts.fragment:
        raise SettingsError("url", "give the user in `username`, and no query or fragment")
    if values["password"] and not values["username"]:
        raise SettingsError("username", "a password needs a username")
    path = (values["path"] or "").strip("/")
    if any(p in (".", "..") for p in path.split("/")):
        raise SettingsError("path", f"not a folder path: {values['path']!r}")
    return {**values, "url": url.rstrip("/"), "path": path}


def webdav_open(settings: Mapping[str, Any]) -> Backend:
    return WebdavBackend(
        WebdavSettings(
            url=settings["url"],
            path=settings.get("path") or "",
            username=settings.get("username"),
            password=settings.get("password"),
        )
    )


def webdav_from_url(url: str, options: Mapping[str, str | None]) -> dict[str, Any]:
    scheme, _, rest = url.partition("://")
    parts = urlsplit("https://" + rest)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return webdav_check(
        {
            "url": f"{scheme.partition('+')[2] or 'https'}://{netloc}{parts.path}",
            "username": unquote(parts.username or "")
            or os.environ.get("REPOVAULT_WEBDAV_USERNAME"),
            "password": os.environ.get("REPOVAULT_WEBDAV_PASSWORD"),
        }
    )


RCLONE_KEYS = ("remote", "configText")


def rclone_check(settings: Mapping[str, Any]) -> dict[str, Any]:
    values = _folded(settings, RCLONE_KEYS)
    match = REMOTE.match(values["remote"] or "")
    if match is None:
        raise SettingsError("remote", "an rclone remote, as name:path (e.g. 'drive:backups')")
    text = values["configText"] or ""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise SettingsError("configText", f"not an rclone.conf section: {exc}") from exc
    if not parser.has_section(match[1]) or not parser.get(match[1], "type", fallback=None):
        raise SettingsError(
            "configText", f"needs the section [{match[1]}] of rclone.conf, with its type"
        )
    try:
        rclone_binary()
    except StorageError as exc:
        raise SettingsError("remote", str(exc)) from exc
    return values


def rclone_open(settings: Mapping[str, Any]) -> Backend:
    return RcloneBackend(settings["remote"], settings.get("configText") or "")


def rclone_from_url(url: str, options: Mapping[str, str | None]) -> dict[str, Any]:
    named = os.environ.get("REPOVAULT_RCLONE_CONFIG")
    config = Path(named) if named else Path("~/.config/rclone/rclone.conf").expanduser()
    try:
        text = config.read_text()
    except OSError as exc:
        raise SettingsError("configText", f"cannot read {config}: {exc}") from exc
    return rclone_check({"remote": url.partition("://")[2], "configText": text})
