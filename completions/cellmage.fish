complete --keep-order --exclusive --command cellmage --arguments "(CELLMAGE_COMPLETE=fish cellmage -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
