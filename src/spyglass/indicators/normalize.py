"""Normal forms of indicator and observable values, one function per observable type.

Indicators and observables pass through the same function so that equality is all the
index needs. Each function returns None for a value that cannot be of its type (an
indicator is then skipped with a reason; an observable simply matches nothing).
"""

from __future__ import annotations

import encodings.idna
import functools
import ipaddress
import re
from urllib.parse import urlsplit

try:  # IDNA 2008 + UTS 46, what browsers resolve; the stdlib only knows IDNA 2003.
    import idna as _idna
except ImportError:  # pragma: no cover - idna is a declared dependency
    _idna = None

MAX_HOST_CHARS = 253
MAX_URL_CHARS = 64 * 1024
HEX_LENGTHS = {"sha256": 64, "sha1": 40, "md5": 32,
               "cert_sha256": 64, "cert_sha1": 40, "cert_md5": 32}
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
# iOS: /var, /tmp and /etc are symlinks into /private. Applied to both sides, so an
# indicator written either way matches an observed path written either way.
PATH_ALIASES = (("/var/", "/private/var/"), ("/tmp/", "/private/var/tmp/"), ("/etc/", "/private/etc/"))
# Observed paths that some acquisitions list without their leading slash.
ROOTED_FIRST_COMPONENTS = ("private/", "var/", "data/", "system/")

_HOST_CHARS = re.compile(r"^[a-z0-9_](?:[a-z0-9_\-.]*[a-z0-9_])?$")
_HOST_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_\-.]*[a-z0-9_])?")  # _HOST_CHARS for fullmatch
_HEX = re.compile(r"^[0-9a-f]+$")
_OCTET_TEXT = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_PLAIN = re.compile(rf"{_OCTET_TEXT}(?:\.{_OCTET_TEXT}){{3}}")
# A link that urlsplit would take apart exactly as the fast path of url() does: a lowercase
# http(s) scheme and a host of plain ASCII with no user, port, brackets or zone index.
# urlsplit removes tabs and line breaks anywhere: a link holding one is not simple.
_SIMPLE_URL = re.compile(r"(https?)://([A-Za-z0-9_.\-]+)(?:[/?#][^\t\r\n]*+)?\Z")
_SPACE = re.compile(r"\s")
_PHONE_NOISE = re.compile(r"[\s\-().\u00a0/]")


def host(value: str) -> str | None:
    """A DNS host name: lowercase, no trailing dot, IDN in punycode (xn--)."""
    if value.isascii():  # already a host name but for case: the same answer as below, sooner
        text = value.lower()
        if len(text) <= MAX_HOST_CHARS and ".." not in text and _HOST_NAME.fullmatch(text):
            return text
    text = value.strip().rstrip(".")
    if not text or len(text) > 4 * MAX_HOST_CHARS:
        return None
    if text.isascii():
        text = text.lower()
    else:
        text = _punycode(text)
        if text is None:
            return None
    if len(text) > MAX_HOST_CHARS or ".." in text or not _HOST_CHARS.match(text):
        return None
    return text


def _punycode(text: str) -> str | None:
    if _idna is not None:
        try:
            return _idna.encode(text, uts46=True, transitional=False).decode("ascii")
        except (_idna.IDNAError, UnicodeError, ValueError):
            pass
    # IDNA 2003 accepts symbols IDNA 2008 refuses (☃.net); older registrations exist.
    try:
        labels = [encodings.idna.ToASCII(label).decode("ascii") for label in text.split(".")]
    except (UnicodeError, ValueError):
        return None
    return ".".join(labels).lower()


def domain(value: str) -> str | None:
    """An indicator or observed domain: a host with at least one dot, `*.` dropped."""
    text = value.strip()
    if text.startswith("*."):
        text = text[2:]
    if "/" in text and "://" not in text:  # `evil.xyz/x` written as a domain: keep its host
        text = text.split("/", 1)[0]
    name = host(text)
    if name is None or "." not in name:
        return None
    return name


def plain_domain(value: str) -> str | None:
    """The normal form of a value that is plainly a domain name (ASCII host characters, a dot,
    not ending in a digit, so never an IP address), which is the lowercased value; None for
    anything else, which the general rules (domain, ip) decide."""
    if not value.isascii():
        return None
    text = value.lower()
    if (len(text) <= MAX_HOST_CHARS and "." in text and ".." not in text and not text[-1].isdigit()
            and _HOST_NAME.fullmatch(text)):
        return text
    return None


def ip(value: str) -> str | None:
    """An IPv4 or IPv6 address (IPv6 compressed, IPv4-mapped IPv6 as IPv4), or a CIDR block."""
    text = value.strip().strip("[]")
    if _IPV4_PLAIN.fullmatch(text):  # plain IPv4, the common case
        return text
    if "%" in text:  # IPv6 zone index (fe80::1%en0) is local to the device
        text = text.split("%", 1)[0]
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return None
        if network.num_addresses == 1:
            return str(network.network_address)
        return str(network)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def url(value: str) -> str | None:
    """scheme://host[:port]/path[?query]: scheme and host lowercase, default port and
    fragment dropped, an empty path written `/`. A value without a scheme gets http://."""
    text = value.strip()
    if not text or len(text) > MAX_URL_CHARS:
        return None
    simple = _SIMPLE_URL.match(text)
    if simple is not None:
        host_text = _simple_host(simple)
        return _simple_normal(text, simple, host_text) if host_text else None
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    hostname = parts.hostname or ""
    host_text = ip(hostname) if looks_like_ip(hostname) else host(hostname)
    if not scheme or not host_text:
        return None
    if ":" in host_text:
        host_text = f"[{host_text}]"
    netloc = host_text if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host_text}:{port}"
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{netloc}{path}{query}"


def simple_url(value: str) -> tuple[re.Match[str], str | None] | None:
    """For a link that url() takes apart without urlsplit (a lowercase http or https scheme, a
    host of plain ASCII host characters: no user, port or brackets), the match and the host as
    url() writes it (None: url() gives None); None for any other value."""
    text = value.strip()
    if len(text) > MAX_URL_CHARS:
        return None
    simple = _SIMPLE_URL.match(text)
    return (simple, _simple_host(simple)) if simple is not None else None


def simple_normal(simple: re.Match[str], host_text: str) -> str:
    """url() of a link simple_url() took apart."""
    return _simple_normal(simple.string, simple, host_text)


def _simple_host(simple: re.Match[str]) -> str | None:
    hostname = simple.group(2).lower()
    if len(hostname) > MAX_HOST_CHARS:
        return ip(hostname) if looks_like_ip(hostname) else host(hostname)
    return _link_host(hostname)


def _simple_normal(text: str, simple: re.Match[str], host_text: str) -> str:
    """The same split as urlsplit: fragment at the first `#`, then query at the first `?`."""
    tail = text[simple.end(2):]
    hash_at = tail.find("#")
    if hash_at >= 0:
        tail = tail[:hash_at]
    path, _, query = tail.partition("?")
    return f"{simple.group(1)}://{host_text}{path or '/'}{'?' + query if query else ''}"


@functools.lru_cache(maxsize=8192)
def _link_host(hostname: str) -> str | None:
    """The host of a link as url() writes it; the same few hosts come back link after link."""
    return ip(hostname) if looks_like_ip(hostname) else host(hostname)


def url_key(normal_url: str) -> str:
    """What URL indicators are compared on: the normal URL without its scheme, so that a
    link seen as http:// or without a scheme still matches an https:// indicator."""
    return normal_url.split("://", 1)[1]


def url_host(normal_url: str) -> str:
    """The host of a normal URL, brackets and port removed."""
    netloc = url_key(normal_url).split("/", 1)[0]
    if netloc.startswith("["):
        return netloc[1:].split("]", 1)[0]
    return netloc.rsplit(":", 1)[0] if ":" in netloc else netloc


def looks_like_ip(text: str) -> bool:
    return ":" in text or (text.replace(".", "").isdigit() and text.count(".") == 3)


def email(value: str) -> str | None:
    text = value.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    text = text.lower()
    local, at, domain_part = text.rpartition("@")
    if not at or not local or not domain_part or _SPACE.search(text):
        return None
    domain_normal = host(domain_part)
    return f"{local}@{domain_normal}" if domain_normal else None


def phone(value: str) -> str | None:
    """Digits only, a leading + kept (`+1 (555) 010-0000` -> `+15550100000`)."""
    text = value.strip()
    if text[:4].lower() == "tel:":
        text = text[4:]
    digits = _PHONE_NOISE.sub("", text)
    plus = digits.startswith("+")
    digits = digits.lstrip("+")
    if len(digits) < 3 or not digits.isdigit() or not digits.isascii():
        return None
    return ("+" if plus else "") + digits


def hex_digest(value: str, kind: str) -> str | None:
    """A hash or certificate fingerprint: lowercase hex, colons and spaces removed."""
    text = value.strip().lower().replace(":", "").replace(" ", "")
    if len(text) != HEX_LENGTHS[kind] or not _HEX.match(text):
        return None
    return text


def file_path(value: str) -> str | None:
    """A device path: single slashes, no trailing slash, /var /tmp /etc under /private.
    Relative paths (indicators such as `Library/Preferences/x.plist`) stay relative."""
    text = value.strip()
    if text.startswith("/private/") and "//" not in text and text[-1] != "/":
        return text  # the common case, already in normal form
    if text.startswith("~/"):
        text = text[2:]
    if text.startswith(ROOTED_FIRST_COMPONENTS):
        text = "/" + text
    while "//" in text:
        text = text.replace("//", "/")
    if text.endswith("/"):
        text = text.rstrip("/")
    if not text or text in (".", ".."):
        return None
    for alias, target in PATH_ALIASES:
        if text.startswith(alias) or text == alias[:-1]:
            text = target[:-1] + text[len(alias) - 1:]
            break
    return text


def exact(value: str) -> str | None:
    text = value.strip()
    return text or None


def lower(value: str) -> str | None:
    text = value.strip().lower()
    return text or None


def process(value: str) -> str | None:
    text = value.strip()
    return text or None


NORMALIZERS = {
    "domain": domain,
    "url": url,
    "ip": ip,
    "email": email,
    "phone": phone,
    "process": process,
    "file_name": exact,
    "file_path": file_path,
    "app_id": lower,
    "android_property": exact,
    "profile_id": lower,
    "sha256": lambda value: hex_digest(value, "sha256"),
    "sha1": lambda value: hex_digest(value, "sha1"),
    "md5": lambda value: hex_digest(value, "md5"),
    "cert_sha256": lambda value: hex_digest(value, "cert_sha256"),
    "cert_sha1": lambda value: hex_digest(value, "cert_sha1"),
    "cert_md5": lambda value: hex_digest(value, "cert_md5"),
}


def _email_candidate(value: str) -> str | None:
    """For plain ASCII with nothing to strip, no mailto: and no trailing dot, email() gives the
    value lowercased or None."""
    if (value.isascii() and value[-1:] != "." and len(value.strip()) == len(value)
            and value[:7].lower() != "mailto:"):
        return value.lower()
    return None


def _phone_candidate(value: str) -> str | None:
    """For + and ASCII digits, phone() gives the value itself or None."""
    return value if value[:1] == "+" and value.isascii() and value[1:].isdigit() else None


# The only normal form other than None that `normalize` can give a value, told cheaply, or None
# when only `normalize` can tell: a candidate an index does not hold cannot match.
CANDIDATES = {"email": _email_candidate, "phone": _phone_candidate}


def normalize(kind: str, value: str) -> str | None:
    """The normal form of `value` as an observable of type `kind`, or None."""
    function = NORMALIZERS.get(kind)
    if function is None or not isinstance(value, str):
        return None
    return function(value)
