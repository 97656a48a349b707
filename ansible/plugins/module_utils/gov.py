# -*- coding: utf-8 -*-
# Copyright (c) gov maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

"""Runs gov's machine interface for the gov.toolchain modules.

Every call is `gov <args> --json [--dry-run] -- <operands>` through
module.run_command with a list argv (no shell): options first, and after
`--` the task's values, which gov then can only read as values (a version
of `--all` is not an option). Values are checked before gov runs. gov
answers one JSON document on stdout, also when it fails; a failure becomes
fail_json with gov's message, advice, error kind and exit code, never a
traceback, and with changed=true when gov had already changed something.
"""

from __future__ import annotations

import json
import os
import re

# What gov install accepts: 1.22.5, go1.22.5, v1.22.5, 1.22, 1.23rc1, latest.
VERSION = re.compile(r'^(?:latest|(?:go|v)?[0-9]+\.[0-9]+(?:\.[0-9]+)?(?:(?:rc|beta|alpha)[0-9]+)?)$')
# Go's environment variables: GOPROXY, GOPRIVATE, GOFLAGS...
SETTING = re.compile(r'^[A-Z][A-Z0-9_]*$')
PRESET = re.compile(r'^[a-z0-9][a-z0-9-]*$')


def check_value(module, kind, value):
    """Fails the task unless value looks like a `kind` (before gov runs)."""
    pattern, example = {
        'version': (VERSION, '1.22.5, go1.22.5, 1.22 or latest'),
        'setting': (SETTING, 'GOPRIVATE or GOFLAGS'),
        'preset': (PRESET, 'cn or corp'),
    }[kind]
    if not isinstance(value, str) or not pattern.match(value):
        names = dict(version='a Go version', setting='a setting name', preset='a preset name')
        module.fail_json(msg='%r is not %s (like %s)' % (value, names[kind], example))
    return value


COMMON_ARGS = dict(
    gov_path=dict(type='path'),
    gov_home=dict(type='path'),
    gov_bin_dir=dict(type='path'),
)

# The password of a URL's userinfo (`scheme://user:password@host`), read as
# gov reads it: the authority ends at a path, query, fragment, space or quote,
# and the userinfo at its last `@`.
URL_AUTHORITY = re.compile(r'(?<=://)([^/?#\\\s"\'<>`]*)')


def url_passwords(value):
    """The passwords of every URL in a parameter value, nested ones too."""
    if isinstance(value, dict):
        return [p for v in value.values() for p in url_passwords(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in url_passwords(v)]
    if not isinstance(value, str):
        return []
    found = []
    for authority in URL_AUTHORITY.findall(value):
        userinfo = authority.rpartition('@')[0]
        if ':' in userinfo:
            found.append(userinfo.split(':', 1)[1])
    return [p for p in found if p]


# Where install.sh and the gov role put gov, for hosts whose PATH (a
# non-interactive ssh session) lacks them.
EXTRA_DIRS = ['/usr/local/bin', os.path.expanduser('~/.local/bin')]


class Gov(object):
    def __init__(self, module):
        self.module = module
        self.warnings = []
        # Ansible masks these in every result it shows or registers (the
        # task's arguments, the command line of a failure); gov's own
        # answers already redact them.
        for secret in url_passwords(module.params):
            module.no_log_values.add(secret)
        path = module.params.get('gov_path')
        if path:
            if not os.access(path, os.X_OK):
                module.fail_json(msg='gov_path %s is not an executable file' % path)
            self.binary = path
        else:
            self.binary = module.get_bin_path('gov', required=False, opt_dirs=EXTRA_DIRS)
            if not self.binary:
                module.fail_json(
                    msg='gov is not installed on this host (not on PATH, nor in %s)' % ', '.join(EXTRA_DIRS),
                    advice='put it there with the gov.toolchain.gov role, or set gov_path',
                )
        # Whether a gov run of this task changed something already.
        self.changed = False
        self.environ = {}
        for key, option in (('GOV_HOME', 'gov_home'), ('GOV_BIN_DIR', 'gov_bin_dir')):
            if module.params.get(option):
                self.environ[key] = module.params[option]

    def run(self, args, operands=(), dry_run=False):
        """Runs gov with --json (and --dry-run) and returns its document.

        args are gov's subcommand and options; operands (versions, presets,
        settings) follow `--`.
        """
        argv = [self.binary] + list(args) + ['--json']
        if dry_run:
            argv.append('--dry-run')
        if operands:
            argv += ['--'] + list(operands)
        rc, out, err = self.module.run_command(argv, environ_update=self.environ)
        doc = None
        try:
            doc = json.loads(out)
        except ValueError:
            pass
        if not isinstance(doc, dict):
            self.module.fail_json(
                msg='gov did not answer with JSON (exit %d): %s' % (rc, (err or out).strip()),
                rc=rc, cmd=argv, stdout=out, stderr=err,
            )
        self.warnings.extend(doc.get('warnings') or [])
        error = doc.get('error')
        if not dry_run and doc.get('changed') is True:
            self.changed = True
        if rc != 0 or error:
            error = error or {}
            msg = error.get('message') or (err or out).strip() or 'gov failed'
            advice = error.get('advice')
            self.module.fail_json(
                msg=msg if not advice else '%s (hint: %s)' % (msg, advice),
                changed=self.changed,
                gov_error=error,
                rc=doc.get('exit_code', rc),
                cmd=argv,
                stderr=err,
                gov_warnings=self.warnings,
            )
        return doc

    def exit(self, **result):
        for w in self.warnings:
            self.module.warn('gov: %s' % w)
        result['gov_warnings'] = self.warnings
        self.module.exit_json(**result)
