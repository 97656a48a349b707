#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gov maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: gov_info
short_description: Facts about gov on a host, installed Go versions, the global one and the settings
version_added: 0.1.0
description:
  - Reads C(gov info --json) (local state only, no network) and returns it, also as the C(gov) fact, for reports
    and conditionals.
  - The facts hold the installed versions (per layer, this account's and the system's), the global version, the entry points in E(GOV_BIN_DIR), gov's module
    proxy profile with each effective setting and its source, and gov's own settings with the layer each comes
    from (environment, user, system, default).
extends_documentation_fragment:
  - gov.toolchain.gov
options:
  outdated:
    description:
      - Also report, as C(gov.outdated), what C(gov outdated --json) says, each installed version against its
        line's newest patch release and the known vulnerabilities affecting it.
      - This asks the release index and the Go vulnerability database (network), unless O(offline=true).
      - Needs a gov that has C(gov outdated).
    type: bool
    default: false
  offline:
    description:
      - With O(outdated=true), use only the vulnerability data gov has cached, however old.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
author:
  - gov maintainers (@gov-project)
"""

EXAMPLES = r"""
- name: What gov has on each host
  gov.toolchain.gov_info:
  register: gov_facts

- name: Versions behind their newest patch, or with known vulnerabilities
  gov.toolchain.gov_info:
    outdated: true

- name: Hosts still without Go 1.22
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} has {{ ansible_facts.gov.installed | map(attribute='version') | list }}"
  when: ansible_facts.gov.installed | selectattr('version', 'match', '1\\.22\\.') | list | length == 0
"""

RETURN = r"""
gov:
  description: gov's C(info --json) document.
  returned: always
  type: dict
  contains:
    gov_version:
      description: The version of gov itself.
      type: str
      sample: 0.1.0
    installed:
      description: Installed versions, newest first, each with C(version), C(goroot), C(proofs) (what proved the tree
        at install, among V(sha256), V(log) and V(signature); empty for trees without a record, such as imported
        ones) and C(proven_at) (seconds since the epoch, or V(null)).
      type: list
      elements: dict
    global:
      description: The global version C(go) falls back to on this account, or V(null).
      type: str
      sample: 1.22.10
    global_source:
      description: Where that global version is set (the account's layer or the system layer).
      type: str
    layers:
      description: The state layers this account reads, nearest first, each with C(layer) (V(user) or V(system)),
        C(home), C(bin_dir), C(installed) and its own C(global).
      type: list
      elements: dict
    entry_points:
      description: C(go) and C(gofmt) in E(GOV_BIN_DIR), each with C(path) and C(state) (V(gov), V(other-gov),
        V(foreign), V(missing)).
      type: dict
    proxy:
      description: gov's C(profile) and the C(effective) settings, each with C(key), C(value) and C(source).
      type: dict
    config:
      description: gov's own settings (C(settings), each with C(key), C(value), C(origin), C(file)) and its
        config C(files) per layer.
      type: dict
    outdated:
      description: The C(gov outdated --json) report, with O(outdated=true).
      type: dict
      returned: when outdated=true
ansible_facts:
  description: The same document as the C(gov) fact.
  returned: always
  type: dict
gov_warnings:
  description: Warnings gov reported, such as a corrupt global file.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gov.toolchain.plugins.module_utils.gov import COMMON_ARGS, Gov


def main():
    argument_spec = dict(
        outdated=dict(type='bool', default=False),
        offline=dict(type='bool', default=False),
    )
    argument_spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    gov = Gov(module)
    doc = gov.run(['info'])
    doc.pop('schema', None)
    doc.pop('warnings', None)
    if module.params['outdated']:
        report = gov.run(['outdated'] + (['--offline'] if module.params['offline'] else []))
        report.pop('warnings', None)
        doc['outdated'] = report
    gov.exit(changed=False, gov=doc, ansible_facts=dict(gov=doc))


if __name__ == '__main__':
    main()
