complete --keep-order --exclusive --command gov --arguments "(COMPLETE=fish gov -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
