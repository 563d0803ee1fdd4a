"""Device-path globs: the one dialect in which modules say where an artifact lives.

A pattern is an absolute POSIX path on the phone. Each component is matched on its own:
`*` and `?` never cross a `/`; `**` stands for any number of whole components (none too);
`{glob}` stands for an app or group container *by its identifier* - the folder that is a
UUID on the phone (`Containers/Data/Application/<UUID>`) and `AppDomain-<bundle id>` in a
backup - so one declaration reads the same app in every kind of acquisition:

    /private/var/mobile/Containers/Data/Application/{com.google.chrome.ios}/Library/...

Matching is case-sensitive, as iOS's data volume is. Character classes (`[...]`) are not
part of the dialect: SQLite GLOB and fnmatch disagree on them, and no artifact needs one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

CONTAINER = re.compile(r"^\{([^{}/]+)\}$")


def _component_regex(component: str) -> str:
    """Regex for one component of `*` and `?` wildcards (never crossing a slash)."""
    parts = []
    for char in component:
        parts.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
    return "".join(parts)


@dataclass(frozen=True)
class DevicePattern:
    """One compiled device-path glob."""

    text: str

    def __post_init__(self) -> None:
        if not self.text.startswith("/") or "//" in self.text or self.text.endswith("/"):
            raise ValueError(f"device path glob {self.text!r}: must be absolute, without empty components")
        if "[" in self.text or "]" in self.text:
            raise ValueError(f"device path glob {self.text!r}: character classes are not supported")
        for component in self.components:
            if "**" in component and component != "**":
                raise ValueError(f"device path glob {self.text!r}: '**' must be a whole component")
            if ("{" in component or "}" in component) and not CONTAINER.match(component):
                raise ValueError(f"device path glob {self.text!r}: a container is written {{identifier}}")

    @cached_property
    def components(self) -> tuple[str, ...]:
        return tuple(self.text[1:].split("/"))

    @cached_property
    def containers(self) -> tuple[int, ...]:
        """Indexes of the {identifier} components."""
        return tuple(i for i, c in enumerate(self.components) if CONTAINER.match(c))

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        parts: list[str] = []
        last = len(self.components) - 1
        for index, component in enumerate(self.components):
            if component == "**":
                # Whole components, each with its slash; at the end, at least one (a file below).
                parts.append("(?:[^/]+/)*" + ("[^/]+" if index == last else ""))
                continue
            # A container component captures the folder name, to be checked by identifier.
            body = "([^/]+)" if CONTAINER.match(component) else _component_regex(component)
            parts.append(body + ("" if index == last else "/"))
        return re.compile("/" + "".join(parts) + r"\Z")

    @cached_property
    def _container_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(_component_regex(CONTAINER.match(self.components[i]).group(1)) + r"\Z")
                     for i in self.containers)

    def match(self, path: str, identify: Callable[[str], str | None] | None = None) -> bool:
        """Whether device path `path` matches. `identify` gives a container folder's path its
        identifier (from its metadata on a dump); without one, the folder name is the identifier
        (as in a backup, where it is the bundle id of the domain)."""
        found = self._regex.match(path)
        if found is None:
            return False
        if not self.containers:
            return True
        for group, wanted in zip(range(1, len(self.containers) + 1), self._container_regexes, strict=True):
            folder_end = found.end(group)
            name = found.group(group)
            identifier = identify(path[:folder_end]) if identify is not None else name
            if identifier is None or not wanted.match(identifier):
                return False
        return True

    @cached_property
    def literal_prefix(self) -> str:
        """The leading components without wildcards: where a walk of a tree can start."""
        fixed = []
        for component in self.components[:-1]:
            if component == "**" or "*" in component or "?" in component or CONTAINER.match(component):
                break
            fixed.append(component)
        return "/" + "/".join(fixed)

    def under(self, root: str) -> Iterator[tuple[tuple[str, ...], str | None]]:
        """The ways this pattern reaches below `root` (a device folder, its components literal,
        a trailing `{}` standing for a container folder): each the pattern components left
        after `root`, and the glob the container folder must match (None when `root` has none).

        A backup uses it to turn a device-path glob into (domain, relativePath) globs.
        """
        root_parts = tuple(root[1:].split("/")) if root != "/" else ()
        yield from _under(self.components, root_parts, None)


def _under(pattern: tuple[str, ...], root: tuple[str, ...],
           container: str | None) -> Iterator[tuple[tuple[str, ...], str | None]]:
    if not root:
        if pattern:
            yield pattern, container
        return
    if not pattern:
        return
    head, expected = pattern[0], root[0]
    if head == "**":
        yield from _under(pattern[1:], root, container)    # ** stands for nothing
        yield from _under(pattern, root[1:], container if expected != "{}" else "*")
        return
    if expected == "{}":
        found = CONTAINER.match(head)
        yield from _under(pattern[1:], root[1:], found.group(1) if found else head)
    elif not CONTAINER.match(head) and re.fullmatch(_component_regex(head), expected):
        yield from _under(pattern[1:], root[1:], container)


def sql_glob(components: tuple[str, ...]) -> str:
    """A SQLite GLOB that every path matching `components` matches (it may match more: SQLite's
    `*` crosses slashes); the exact match is made with DevicePattern.match afterwards."""
    text = ""
    for index, component in enumerate(components):
        wild = component == "**"
        if index and not wild and components[index - 1] != "**":
            text += "/"
        # `**` may stand for no component: "a/**/b" must let "a/b" through, hence "a*b".
        text += "*" if wild or CONTAINER.match(component) else component
    return text


def path_name(path: str) -> str:
    """The last component of a POSIX path, as PurePosixPath(path).name says it, without building
    the path object: listings call this once per entry (300k Manifest rows), and pathlib's
    parsing was 5% of a backup's listing."""
    tail = path.rpartition("/")[2]
    if tail and tail != ".":
        return tail
    for part in reversed(path.split("/")):
        if part and part != ".":
            return part
    return ""
