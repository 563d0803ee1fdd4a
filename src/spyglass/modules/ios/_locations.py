"""Device folders several iOS modules read: declared once here.

Not a module (the leading underscore keeps it out of discovery): path helpers only.
"""

from __future__ import annotations

# The folders of app, extension and system containers, one `*` each for the container:
# artifacts any container may hold (WebKit data, for one) are looked for in all of them.
CONTAINER_FOLDERS = (
    "/private/var/mobile/Containers/Data/Application/*",
    "/private/var/mobile/Containers/Shared/AppGroup/*",
    "/private/var/mobile/Containers/Data/PluginKitPlugin/*",
    "/private/var/containers/Data/System/*",
    "/private/var/containers/Shared/SystemGroup/*",
)

# Firefox, Firefox Beta, Fennec and Fennec.enterprise share one app group naming scheme;
# both spellings of the profile folder are seen.
FIREFOX_GROUP = "/private/var/mobile/Containers/Shared/AppGroup/{group.org.mozilla.ios.*}"
FIREFOX_PROFILE_FOLDERS = ("Profile.profile", "profile.profile")


def in_every_container(relative: str) -> tuple[str, ...]:
    """`relative` (device-path glob) below every app, extension and system container."""
    return tuple(f"{folder}/{relative}" for folder in CONTAINER_FOLDERS)


def firefox_profile_paths(file_name: str) -> tuple[str, ...]:
    """A file of a Firefox for iOS profile, in every Firefox app group."""
    return tuple(f"{FIREFOX_GROUP}/{folder}/{file_name}" for folder in FIREFOX_PROFILE_FOLDERS)
