"""The method reference (docs/METHODS.md), generated from what each method says of itself.

Everything here comes from ``segment.methods.registry.describe`` for every registered name:
display name, plain description, simplicity, promises, the parameters' type, allowed values,
default and help. Nothing about a method is written here, so the reference cannot drift from
the classes; tests/methods/test_reference.py checks that docs/METHODS.md is current.

Regenerate with ``python -m segment.methods.reference > docs/METHODS.md``.

Output is deterministic: methods simplest first (ties by name), parameters in declaration
order, sets sorted. Text from the classes is escaped for Markdown (``|`` in table cells,
emphasis and HTML characters), values are shown as code.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from segment.methods import registry
from segment.methods.base import PROMISES
from segment.methods.params import type_text

REGENERATE = "python -m segment.methods.reference > docs/METHODS.md"

# a string shown unquoted in a default: a plain word or phrase that YAML also reads as that string
_PLAIN_STRING = re.compile(r"[^\W\d][\w .\-/]*", re.UNICODE)
_YAML_WORDS = {"none", "null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}


# ------------------------------------------------------------------ escaping
def text(value: Any) -> str:
    """Any string (a file name, a tier label, a message, a value from the data) as plain text
    inside Markdown, on one line: nothing in it starts emphasis, code, a link, math or HTML.
    ``<`` and ``&`` become entities, so no tag or entity survives; ``\\ ` * [ ] ~ $`` are
    backslash-escaped (no link, image, strike-through or math); ``://`` is escaped, so no bare
    URL turns into a link. An underscore inside a word (``monetary_total``) is literal already.
    ``>`` cannot open a tag; a line that starts with data goes through ``paragraph``."""
    s = " ".join(str(value).split())  # one line: a newline would end a table row
    s = s.replace("\\", "\\\\")
    s = re.sub(r"([`*\[\]~$])", r"\\\1", s)
    s = re.sub(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", r"\\_", s)
    s = re.sub(r"&(?=[A-Za-z#])", "&amp;", s)
    s = s.replace("<", "&lt;")
    s = s.replace("://", "\\://")  # a bare http:// address would become a link
    return s


def code(value: Any) -> str:
    """``value`` as an inline code span (a fence longer than any run of backticks inside)."""
    s = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def cell(markdown: str) -> str:
    """A table cell from Markdown already escaped by ``text``/``code``: ``|`` is escaped
    (GitHub honours ``\\|`` inside code spans in a table too)."""
    return markdown.replace("|", "\\|")


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def paragraph(markdown: str) -> str:
    """A line of text that must not turn into a heading, list or quote by its first characters."""
    markdown = re.sub(r"^(\d+)([.)])", r"\1\\\2", markdown)  # "1." would start a numbered list
    return "\\" + markdown if markdown[:1] in ("#", ">", "+", "-", "=") else markdown


# ------------------------------------------------------------------ values
def show(value: Any) -> str:
    """A default value as an analyst would write it in the YAML config: tuples as lists,
    dicts as ``{key: value}``, ``None`` as ``none``; strings unquoted when unambiguous."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # an int, NaN or infinity falls through to its repr: 3, nan, inf
        r = repr(value)
        return r if len(r) <= 10 else f"{value:.6g}"
    if isinstance(value, str):
        plain = _PLAIN_STRING.fullmatch(value) and not value.endswith(" ") and value.lower() not in _YAML_WORDS
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=repr)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{show(k)}: {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def sentence(description: str) -> str:
    """A description (``ranks customers by ...``) as a sentence: capital first, full stop."""
    s = description.strip()
    if not s:
        return ""
    s = s[0].upper() + s[1:]
    return s if s.endswith((".", "!", "?")) else s + "."


def promise_words(promises) -> str:
    return ", ".join(p.replace("_", " ") for p in sorted(promises))


# ------------------------------------------------------------------ the page
def methods_markdown() -> str:
    """docs/METHODS.md: a summary table, then one section per registered method."""
    names = registry.by_simplicity(registry.METHODS)
    infos = [registry.describe(name) for name in names]
    out = [
        "# Grading methods",
        "",
        f"_Generated from each method's own description (`segment.methods.registry.describe`); do not edit "
        f"by hand. Regenerate with `{REGENERATE}`._",
        "",
        "Each method lives in one file under `src/segment/methods/` and is registered with one line in "
        "`segment.methods.registry.METHODS`; its plain name, description, simplicity, promises and parameters "
        "are declared on its class. A run config names methods under `methods:` with their parameters "
        f"(e.g. `methods: {{{names[0] if names else 'name'}: {{}}}}` for the registry defaults).",
        "",
        "## Summary",
        "",
        row(["method", "plain name", "what it ranks by", "simplicity", "promises"]),
        row(["---", "---", "---", "---:", "---"]),
    ]
    for info in infos:
        out.append(row([code(info.name), text(info.display_name), text(info.description), str(info.simplicity),
                        text(promise_words(info.promises)) or "none"]))
    out += [
        "",
        "Simplicity: 1 = simplest to explain and run; among methods that judge about as well, the simplest "
        "is preferred.",
        "",
        "Promises (each checked by a property test over every method that makes it, "
        "`tests/methods/test_properties.py`):",
        "",
    ]
    out += [f"- {text(key.replace('_', ' '))}: {text(meaning)}" for key, meaning in sorted(PROMISES.items())]
    out += ["- monotone in a column: raising a customer's value in that column never lowers its tier "
            "(listed per method below)"]
    for info in infos:
        out += ["", *method_section(info)]
    return "\n".join(out) + "\n"


def method_section(info: registry.MethodInfo) -> list[str]:
    lines = [f"## {text(info.display_name)} ({code(info.name)})", ""]
    if info.description:
        lines += [paragraph(text(sentence(info.description))), ""]
    lines.append(f"- class: {code(registry.METHODS[info.name])}")
    lines.append(f"- simplicity: {info.simplicity}")
    lines.append(f"- promises: {text(promise_words(info.promises)) or 'none'}")
    monotone = ", ".join(code(c) for c in info.monotone_in)
    lines.append(f"- monotone in: {monotone or 'none declared'}")
    if info.explains:
        lines.append(f"- explains each customer's tier by: {text(info.explains)}")
    if info.needs_history:
        lines.append("- needs history before the grading date (it is trained on an earlier window)")
    if info.defaults:
        given = ", ".join(f"{code(k)} = {code(show(v))}" for k, v in info.defaults.items())
        lines.append(f"- registry defaults for this name: {given} (the defaults below include them)")
    else:
        lines.append("- registry defaults for this name: none (the class defaults below apply)")
    lines += [
        "",
        row(["parameter", "type", "allowed", "default", "help"]),
        row(["---", "---", "---", "---", "---"]),
    ]
    for p in info.params:
        default = info.defaults.get(p.name, p.default)
        lines.append(row([code(p.name), text(type_text(p.type)), text(p.allowed_text), code(show(default)), text(p.help)]))
    return lines


def methods_table(names, not_graded: dict[str, str] | None = None):
    """The methods of a run as the grading comparison lists them: registry name, plain name, what
    it ranks by, simplicity and whether it graded this data (``not graded: <reason>``)."""
    import pandas as pd

    not_graded = not_graded or {}
    rows = []
    for name in registry.by_simplicity(names):
        info = registry.describe(name)
        rows.append({"method": name, "plain name": info.display_name, "what it ranks by": info.description,
                     "simplicity": info.simplicity,
                     "graded": f"not graded: {not_graded[name]}" if name in not_graded else "yes"})
    return pd.DataFrame(rows, columns=["method", "plain name", "what it ranks by", "simplicity", "graded"])


def main() -> None:
    out = sys.stdout
    if hasattr(out, "reconfigure"):  # the help texts are not all ASCII (the pyramid's Chinese terms)
        out.reconfigure(encoding="utf-8")
    out.write(methods_markdown())


if __name__ == "__main__":
    main()
