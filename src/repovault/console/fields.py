"""A failed form, in plain words next to its fields.

The API names a bad field by its wire path (`apiUrl`, `additionalTokens.2`); a form names it
by its input. `field_errors` sorts an error's messages into the form's fields (shown beside
them) and the rest (shown once above the form), never with a field path or a code.
"""

from __future__ import annotations

from pydantic import ValidationError

from repovault.api.errors import validation_errors
from repovault.common.errors import ServiceError

FormErrors = tuple[dict[str, list[str]], list[str]]


def _plain(message: str) -> str:
    """A validator's message as a sentence a person reads (`Value error, x` -> `X`)."""
    text = message.removeprefix("Value error, ").strip()
    return text[:1].upper() + text[1:] if text else "This value is not accepted"


def field_errors(exc: Exception, inputs: dict[str, str]) -> FormErrors:
    """`exc`'s messages by form input (`inputs` maps a wire field, or its path such as
    `settings.path`, to its input), and the messages no input shows."""
    if isinstance(exc, ValidationError):
        raw = validation_errors(exc)
        general: list[str] = []
    elif isinstance(exc, ServiceError):
        raw = exc.errors
        general = [] if raw else [_plain(exc.detail)]
    else:
        raise exc
    by_input: dict[str, list[str]] = {}
    for path, found in raw.items():
        name = inputs.get(path) or inputs.get(path.split(".")[0])
        plain = [_plain(m) for m in found]
        if name:
            by_input.setdefault(name, []).extend(plain)
        else:
            general.extend(plain)
    if by_input and not general:
        general = ["Please correct the fields marked below."]
    return by_input, general


def plain(exc: Exception) -> str:
    """`exc` as one sentence for a failed action's message: no field path, no code."""
    _inputs, general = field_errors(exc, {})
    return " ".join(general)


def labelled(exc: Exception, labels: dict[str, str]) -> list[str]:
    """`exc`'s messages, each after the label of the form part it concerns (the longest
    prefix of its path in `labels`, such as `schedule.retention` -> `Retention`), or alone."""
    if isinstance(exc, ValidationError):
        raw = validation_errors(exc)
    elif isinstance(exc, ServiceError) and exc.errors:
        raw = exc.errors
    else:
        return [plain(exc)]
    lines = []
    for path, found in raw.items():
        parts = path.split(".")
        prefixes = (".".join(parts[:n]) for n in range(len(parts), 0, -1))
        label = next((labels[p] for p in prefixes if p in labels), "")
        text = " ".join(_plain(m) for m in found)
        lines.append(f"{label}: {text}" if label else text)
    return lines
