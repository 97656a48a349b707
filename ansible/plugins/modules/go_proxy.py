#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gov maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: go_proxy
short_description: Set the module proxy settings every Go toolchain on the host uses, with gov
version_added: 0.1.0
description:
  - Applies a gov preset (C(gov proxy use)) or individual settings (C(gov proxy set), C(gov proxy unset)) to
    gov's profile, which every shim and entry point of every installed version reads.
  - gov validates each value the way cmd/go parses it; a refused value fails the task with gov's message and
    changes nothing.
  - Idempotent; the profile is written only when a value changes.
extends_documentation_fragment:
  - gov.toolchain.gov
options:
  preset:
    description:
      - A preset C(gov proxy use) knows, such as V(official), V(cn), V(cn-aliyun), V(goproxy-io), V(google-cn),
        V(direct), V(offline) or V(corp) (with O(url), O(private), O(private_via) and O(fallback)).
      - Mutually exclusive with O(settings).
      - Checked before gov runs (lowercase letters, digits and dashes); anything else fails the task.
    type: str
  url:
    description: The company proxy for O(preset=corp).
    type: str
  private:
    description: Module path patterns (GOPRIVATE) for O(preset=corp).
    type: str
  private_via:
    description:
      - For O(preset=corp) with O(private), how private modules are fetched.
      - V(proxy) through the company proxy (V(GONOPROXY=none)); the default without O(fallback).
      - V(direct) straight from version control (V(GONOPROXY) lists the patterns); the default with O(fallback),
        the only routing gov accepts with it.
      - Either way the patterns are in V(GONOSUMDB), so private paths never reach the public checksum database.
    type: str
    choices: [proxy, direct]
  fallback:
    description: For O(preset=corp), fall back to proxy.golang.org when the company proxy lacks a module.
    type: bool
    default: false
  settings:
    description:
      - Settings to set, such as V(GOPRIVATE) or V(GOFLAGS), as a dictionary.
      - With O(state=absent) the keys are removed from gov's profile and the values are ignored.
      - Keys are checked before gov runs (uppercase letters, digits and underscores, such as V(GOPROXY));
        values are gov's to validate.
    type: dict
  state:
    description:
      - V(present) applies the preset or settings.
      - V(absent) removes the O(settings) keys, or the preset's keys that still hold the preset's values (other
        values are left alone).
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: gov's C(--dry-run) reports the profile it would write, writing nothing.
  diff_mode:
    support: full
    description: gov's profile before and after.
author:
  - gov maintainers (@gov-project)
"""

EXAMPLES = r"""
- name: Hosts in China use goproxy.cn and its checksum database mirror
  gov.toolchain.go_proxy:
    preset: cn

- name: A company proxy; private modules skip the public proxy and checksum database
  gov.toolchain.go_proxy:
    preset: corp
    url: https://goproxy.corp.example
    private: git.corp.example/*

- name: The same, private modules straight from version control
  gov.toolchain.go_proxy:
    preset: corp
    url: https://goproxy.corp.example
    private: git.corp.example/*
    private_via: direct

- name: Individual settings
  gov.toolchain.go_proxy:
    settings:
      GOPRIVATE: github.com/acme/*
      GOFLAGS: -mod=mod

- name: Drop a setting again
  gov.toolchain.go_proxy:
    settings:
      GOFLAGS: ""
    state: absent
"""

RETURN = r"""
profile:
  description: gov's profile (the settings it manages) after the task; in check mode, what it would be.
  returned: always
  type: dict
  sample: {GOPROXY: "https://goproxy.cn,direct", GOSUMDB: sum.golang.google.cn}
changed_keys:
  description: The settings that changed (or would change).
  returned: always
  type: list
  elements: str
  sample: [GOPROXY, GOSUMDB]
proxy:
  description: gov's whole C(proxy use|set|unset --json) answer (V(null) when nothing had to be run).
  returned: always
  type: dict
gov_warnings:
  description: Warnings gov reported, such as an environment variable that overrides the profile.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gov.toolchain.plugins.module_utils.gov import COMMON_ARGS, Gov, check_value


def preset_args(p):
    """gov proxy use's options (values joined with `=`, so a value that
    starts with a dash stays a value) and its operand."""
    args = ['proxy', 'use']
    if p['url'] is not None:
        args.append('--url=%s' % p['url'])
    if p['private'] is not None:
        args.append('--private=%s' % p['private'])
    if p['private_via'] is not None:
        args.append('--private-via=%s' % p['private_via'])
    if p['fallback']:
        args.append('--fallback')
    return args, [p['preset']]


def main():
    argument_spec = dict(
        preset=dict(type='str'),
        url=dict(type='str'),
        private=dict(type='str'),
        private_via=dict(type='str', choices=['proxy', 'direct']),
        fallback=dict(type='bool', default=False),
        settings=dict(type='dict'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    argument_spec.update(COMMON_ARGS)
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[('preset', 'settings')],
        required_one_of=[('preset', 'settings')],
    )
    p = module.params
    corp_options = ('url', 'private', 'private_via')
    if p['settings'] is not None and (any(p[o] is not None for o in corp_options) or p['fallback']):
        module.fail_json(msg='url, private, private_via and fallback belong to preset=corp')
    if p['preset'] is not None:
        check_value(module, 'preset', p['preset'])
    for key in p['settings'] or {}:
        check_value(module, 'setting', key)
    gov = Gov(module)
    check = module.check_mode

    if p['state'] == 'present' and p['preset']:
        args, operands = preset_args(p)
    elif p['state'] == 'present':
        if not p['settings']:
            module.fail_json(msg='settings is empty')
        args = ['proxy', 'set']
        operands = ['%s=%s' % (k, '' if v is None else v) for k, v in sorted(p['settings'].items())]
    elif p['settings'] is not None:
        if not p['settings']:
            module.fail_json(msg='settings is empty')
        args, operands = ['proxy', 'unset'], sorted(p['settings'])
    else:
        # The preset's own values, from a dry run of applying it; only
        # keys that still hold them are removed.
        probe = gov.run(*preset_args(p), dry_run=True)
        current = probe['before']
        keys = sorted(k for k, v in probe['requested'].items() if current.get(k) == v)
        if not keys:
            gov.exit(changed=False, profile=current, changed_keys=[], proxy=None)
        args, operands = ['proxy', 'unset'], keys

    doc = gov.run(args, operands, dry_run=check)
    result = dict(changed=bool(doc['changed']), profile=doc['after'],
                  changed_keys=doc['changed_keys'], proxy=doc)
    if module._diff:
        result['diff'] = dict(before=doc['before'], after=doc['after'])
    gov.exit(**result)


if __name__ == '__main__':
    main()
