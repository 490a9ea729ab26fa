"""Run a command under Docker's default seccomp profile, as a container without CAP_SYS_ADMIN gets it.

    python tests/stack_seccomp.py COMMAND [ARG ...]

``tests/stack_seccomp_default.json`` is Docker's default profile, copied unchanged from the Go
module github.com/moby/profiles/seccomp v0.3.0 (``default.json``; Apache-2.0), the profile the
Docker Engine applies to every container that is not given another one. It is turned into a
filter the way moby does it (``setupSeccomp`` in that module's seccomp_linux.go): a rule is kept
when its ``includes`` hold and its ``excludes`` do not, for this machine's architecture and
Docker's default capability set (no CAP_SYS_ADMIN). So, as in a container, ``clone`` with a
namespace flag and ``unshare`` fail with EPERM and ``clone3`` with ENOSYS: Chromium's namespace
sandbox cannot start. Then the filter is loaded through libseccomp (ctypes), without
no_new_privs (Docker does not set it either), and COMMAND is executed under it.

Not modelled: the other architectures' rules (only the native one is added), capabilities
(drop them with ``setpriv`` in COMMAND), AppArmor, and the container's mount and PID namespaces.
Needs Linux, libseccomp (libseccomp2) and root (loading a filter without no_new_privs).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

PROFILE = Path(__file__).with_name("stack_seccomp_default.json")

# Docker's default capabilities (moby: oci/caps/defaults.go): CAP_SYS_ADMIN is not among them
DOCKER_CAPS = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
    "CAP_AUDIT_WRITE",
)
_GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "i686": "x86", "ppc64le": "ppc64le", "s390x": "s390x",
            "riscv64": "riscv64"}
_OPS = {"SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4, "SCMP_CMP_GE": 5,
        "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7}
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_FLTATR_CTL_NNP = 3


def errno_action(errno: int) -> int:
    return 0x00050000 | (errno & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


def _kernel_at_least(version: str) -> bool:
    def parts(text: str) -> tuple[int, ...]:
        return tuple(int("".join(c for c in p if c.isdigit()) or 0) for p in text.split(".")[:2])
    return parts(platform.release().split("-")[0]) >= parts(version)


def rules(profile: dict[str, Any], caps: tuple[str, ...] = DOCKER_CAPS) -> list[dict[str, Any]]:
    """The profile's syscall rules that apply here (moby's setupSeccomp)."""
    arch = _GO_ARCH.get(platform.machine(), platform.machine())
    kept = []
    for call in profile["syscalls"]:
        excludes, includes = call.get("excludes") or {}, call.get("includes") or {}
        if arch in excludes.get("arches", []) or any(c in caps for c in excludes.get("caps", [])):
            continue
        if excludes.get("minKernel") and _kernel_at_least(excludes["minKernel"]):
            continue
        if includes.get("arches") and arch not in includes["arches"]:
            continue
        if any(c not in caps for c in includes.get("caps", [])):
            continue
        if includes.get("minKernel") and not _kernel_at_least(includes["minKernel"]):
            continue
        kept.append(call)
    return kept


def load(profile_path: Path = PROFILE) -> int:
    """Load the filter into this process (inherited by everything it executes); the rules added."""
    profile = json.loads(profile_path.read_text("utf-8"))
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    ctx = lib.seccomp_init(errno_action(profile.get("defaultErrnoRet", 1)))
    if not ctx:
        raise OSError("seccomp_init failed")
    if lib.seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0:
        raise OSError("seccomp_attr_set(NNP) failed")
    added = 0
    for call in rules(profile):
        if call["action"] == "SCMP_ACT_ALLOW":
            action = SCMP_ACT_ALLOW
        elif call["action"] == "SCMP_ACT_ERRNO":
            action = errno_action(call.get("errnoRet", 1))
        else:
            raise ValueError(f"action {call['action']} is not handled here")
        # comparisons on the same argument are alternatives: one rule each (as runc does)
        groups: list[list[dict[str, Any]]] = [[]]
        for arg in call.get("args") or []:
            if any(a["index"] == arg["index"] for a in groups[-1]):
                groups.append([])
            groups[-1].append(arg)
        for name in call["names"]:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                continue  # not a syscall of this architecture (or newer than libseccomp)
            for group in groups:
                cmps = (ArgCmp * max(1, len(group)))(*[
                    ArgCmp(a["index"], _OPS[a["op"]], a["value"], a.get("valueTwo", 0)) for a in group])
                result = lib.seccomp_rule_add_array(ctx, action, number, len(group), cmps)
                if result == 0:
                    added += 1
                elif result != -13:  # -EACCES: the same action as the default; nothing to add
                    raise OSError(f"seccomp_rule_add({name}) = {result}")
    if lib.seccomp_load(ctx) != 0:
        raise OSError("seccomp_load failed (root is needed to load a filter without no_new_privs)")
    return added


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit(__doc__)
    load()
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
