# -*- coding: utf-8 -*-
# Copyright (c) gov maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import annotations


class ModuleDocFragment(object):
    # Options every gov.toolchain module shares: where gov is and which
    # GOV_HOME / GOV_BIN_DIR it works on.
    DOCUMENTATION = r"""
options:
  gov_path:
    description:
      - Path of the C(gov) executable on the managed host.
      - When unset, C(gov) is looked up on E(PATH), then in C(/usr/local/bin) and C(~/.local/bin).
    type: path
  gov_home:
    description:
      - The E(GOV_HOME) gov works on (all its state).
      - When unset, the task's environment decides (the C(environment) keyword), else gov's default
        (C(/usr/local/gov) for root, C(~/.local/share/gov) for other accounts).
    type: path
  gov_bin_dir:
    description:
      - The E(GOV_BIN_DIR) where the C(go) and C(gofmt) entry points live.
      - When unset, the task's environment decides, else gov's default (C(/usr/local/bin) for root,
        C(~/.local/bin) for other accounts).
    type: path
notes:
  - The module runs gov's machine interface (C(--json), C(--dry-run)), never its screen text, and
    reports gov's own error message, error kind and exit code when gov fails.
  - gov's other settings (E(GOV_INDEX_URL), E(GOV_MIRROR), proxies for the download) come from the
    task's C(environment) or from gov's config files (C(gov config set)).
requirements:
  - gov on the managed host (the P(gov.toolchain.gov#role) role puts it there).
"""
