#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gov maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: go_version
short_description: Install or remove a Go toolchain with gov, and make it the global version
version_added: 0.1.0
description:
  - Installs a Go release with C(gov install) (verified against the release index's sha256), removes one with
    C(gov uninstall), and optionally makes it the global version (C(gov global)), which also puts the C(go) and
    C(gofmt) entry points in E(GOV_BIN_DIR).
  - Idempotent. O(version=1.22) installs the newest 1.22.x release, so a run after a new patch release upgrades
    the host; an exact version never changes once installed.
extends_documentation_fragment:
  - gov.toolchain.gov
options:
  version:
    description:
      - Anything C(gov install) accepts, V(1.22.5), V(go1.22.5), V(1.22) (the newest 1.22.x), V(1.23rc1) or
        V(latest).
      - With O(state=absent), the exact installed version.
      - Checked before gov runs; anything else (such as V(--all)) fails the task and changes nothing.
    type: str
    required: true
  state:
    description:
      - V(present) installs the version if it is missing; V(absent) removes it if it is installed.
      - gov refuses to remove the global version; switch first.
    type: str
    choices: [present, absent]
    default: present
  global:
    description:
      - Make the installed version the global one (only with O(state=present)).
    type: bool
    default: false
  force:
    description:
      - Reinstall even if the version is installed (always reports a change).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: gov's C(--dry-run) resolves the version and reports what would change, writing nothing.
  diff_mode:
    support: full
    description: Shows whether the version is installed and the global version, before and after.
author:
  - gov maintainers (@gov-project)
"""

EXAMPLES = r"""
- name: Newest Go 1.22, as the default go on the host
  gov.toolchain.go_version:
    version: "1.22"
    global: true

- name: Keep an older release next to it
  gov.toolchain.go_version:
    version: 1.21.13

- name: A per-account install with its own directories
  gov.toolchain.go_version:
    version: 1.22.10
    gov_home: /srv/ci/gov
    gov_bin_dir: /srv/ci/bin
    global: true

- name: Remove a release that is no longer used
  gov.toolchain.go_version:
    version: 1.20.14
    state: absent
"""

RETURN = r"""
version:
  description: The exact version the request resolved to (V(null) when an absent version was not installed).
  returned: always
  type: str
  sample: 1.22.10
action:
  description:
    - What gov did or, in check mode, would do, as C(gov install --json) and C(gov uninstall --json) name it.
  returned: always
  type: str
  sample: installed
goroot:
  description: The GOROOT of the version.
  returned: when state=present
  type: str
  sample: /usr/local/gov/versions/1.22.10
global:
  description: The global version after the task (in check mode, what it would be).
  returned: when global=true
  type: str
  sample: 1.22.10
install:
  description: gov's whole C(install --json) or C(uninstall --json) answer.
  returned: always
  type: dict
gov_warnings:
  description: Warnings gov reported (also shown as task warnings).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gov.toolchain.plugins.module_utils.gov import COMMON_ARGS, Gov, check_value


def main():
    argument_spec = dict(
        version=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        force=dict(type='bool', default=False),
    )
    argument_spec['global'] = dict(type='bool', default=False)
    argument_spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if p['state'] == 'absent' and (p['global'] or p['force']):
        module.fail_json(msg='global and force apply to state=present only')
    version = check_value(module, 'version', p['version'])
    gov = Gov(module)
    check = module.check_mode
    result = dict(changed=False)

    if p['state'] == 'absent':
        doc = gov.run(['uninstall', '--missing-ok'], [version], dry_run=check)
        result.update(changed=bool(doc['changed']), version=doc.get('version'),
                      action=doc.get('action'), install=doc)
        if module._diff:
            result['diff'] = dict(
                before=dict(version=doc.get('version') or version, installed=bool(doc['changed'])),
                after=dict(version=doc.get('version') or version, installed=False),
            )
        gov.exit(**result)

    args = ['install']
    if p['force']:
        args.append('--force')
    doc = gov.run(args, [version], dry_run=check)
    version = doc['version']
    was_installed = doc['action'] != 'installed'
    result.update(changed=bool(doc['changed']), version=version, action=doc['action'],
                  goroot=doc.get('goroot'), install=doc)
    before = dict(version=version, installed=was_installed)
    after = dict(version=version, installed=True)

    if p['global']:
        if check and not was_installed:
            # A dry run cannot select what is not installed yet; selecting
            # it will be a change (the current global is shown in the diff).
            selection = dict(changed=True, before=gov.run(['global']).get('global'))
        else:
            selection = gov.run(['global'], [version], dry_run=check)
        result['changed'] = result['changed'] or bool(selection['changed'])
        result['global'] = version
        before['global'] = selection.get('before')
        after['global'] = version

    if module._diff:
        result['diff'] = dict(before=before, after=after)
    gov.exit(**result)


if __name__ == '__main__':
    main()
