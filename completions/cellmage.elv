
set edit:completion:arg-completer[cellmage] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) CELLMAGE_COMPLETE="elvish" cellmage -- $@words) | to-lines
}

