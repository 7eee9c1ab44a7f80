# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cellmage_global_optspecs
    string join \n prompt-file= p/persona= m/model= t/temperature= max-tokens= param= provider= api-base= timeout= retries= allow-truncated stats dry-run v/verbose snippet= sys-snippet= c/continue conversation= no-history no-stream x/extract= o/output= mkdir write-files= force json trim-history schema= h/help V/version
end

function __fish_cellmage_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cellmage_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cellmage_using_subcommand
    set -l cmd (__fish_cellmage_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cellmage -n "__fish_cellmage_needs_command" -l prompt-file -d 'Read the prompt from FILE (`-` for stdin)' -r -F
complete -c cellmage -n "__fish_cellmage_needs_command" -s p -l persona -d 'Persona: a name or a path to a `.md` persona file' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -s m -l model -d 'Model name or alias' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -s t -l temperature -d 'Sampling temperature' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l max-tokens -d 'Upper bound on the answer\'s tokens' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l param -d 'Extra request parameter (repeatable); VALUE is JSON when it parses, else a string' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l provider -d 'Wire protocol: openai, anthropic or echo (default: from the model)' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l api-base -d 'Base URL of the API [env: CELLMAGE_API_BASE, OPENAI_API_BASE]' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l timeout -d 'Seconds to wait without progress before giving up [env: CELLMAGE_TIMEOUT]' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l retries -d 'How many times to retry 429, 5xx and connection failures [env: CELLMAGE_RETRIES]' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l snippet -d 'Context: a named snippet, file, directory, glob or `-` (repeatable)' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l sys-snippet -d 'Like --snippet, but sent as a system message' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l conversation -d 'Use the named conversation, created on first use [env: CELLMAGE_CONVERSATION]' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -s x -l extract -d 'Print only code: first (default), last, all, a 1-based index or a language' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -s o -l output -d 'Write what would be printed to FILE, atomically, only after a complete answer' -r -F
complete -c cellmage -n "__fish_cellmage_needs_command" -l write-files -d 'Write each fenced block whose path is given just above it into DIR' -r -F
complete -c cellmage -n "__fish_cellmage_needs_command" -l schema -d 'Answer as JSON matching this JSON Schema (a file, or the schema itself)' -r
complete -c cellmage -n "__fish_cellmage_needs_command" -l allow-truncated -d 'Accept an answer cut off by the token limit (exit 0, files written)'
complete -c cellmage -n "__fish_cellmage_needs_command" -l stats -d 'Print the status line on stderr even when it is not a terminal'
complete -c cellmage -n "__fish_cellmage_needs_command" -l dry-run -d 'Print the exact request that would be sent (secrets redacted); no network'
complete -c cellmage -n "__fish_cellmage_needs_command" -s v -l verbose -d 'Log each HTTP exchange (and retry) to stderr, secrets redacted'
complete -c cellmage -n "__fish_cellmage_needs_command" -s c -l continue -d 'Continue the most recent conversation'
complete -c cellmage -n "__fish_cellmage_needs_command" -l no-history -d 'Neither load nor record any conversation'
complete -c cellmage -n "__fish_cellmage_needs_command" -l no-stream -d 'Ask for the whole answer at once instead of a stream'
complete -c cellmage -n "__fish_cellmage_needs_command" -l mkdir -d 'Create missing parent directories of --output'
complete -c cellmage -n "__fish_cellmage_needs_command" -l force -d 'Let --write-files replace existing files'
complete -c cellmage -n "__fish_cellmage_needs_command" -l json -d 'Print one JSON object with the answer, blocks, usage, cost and timings'
complete -c cellmage -n "__fish_cellmage_needs_command" -l trim-history -d 'Drop the oldest exchanges of the conversation when the request would not fit'
complete -c cellmage -n "__fish_cellmage_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cellmage -n "__fish_cellmage_needs_command" -s V -l version -d 'Print version'
complete -c cellmage -n "__fish_cellmage_needs_command" -a "history" -d 'List, show, export, import and edit saved conversations'
complete -c cellmage -n "__fish_cellmage_needs_command" -a "personas" -d 'List or show personas'
complete -c cellmage -n "__fish_cellmage_needs_command" -a "snippets" -d 'List named snippets'
complete -c cellmage -n "__fish_cellmage_needs_command" -a "models" -d 'List models and aliases with provider, context window and prices'
complete -c cellmage -n "__fish_cellmage_needs_command" -a "config" -d 'Print every resolved setting and where it came from'
complete -c cellmage -n "__fish_cellmage_needs_command" -a "review" -d 'Review a change (git diff BASE...HEAD, or a diff on stdin) into findings'
complete -c cellmage -n "__fish_cellmage_needs_command" -a "batch" -d 'Run many jobs (a JSON Lines file) as one provider batch at half price, or here'
complete -c cellmage -n "__fish_cellmage_needs_command" -a "completions" -d 'Print a shell completion script (or write all of them into --dir)'
complete -c cellmage -n "__fish_cellmage_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and not __fish_seen_subcommand_from list show export import delete undo clear help" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and not __fish_seen_subcommand_from list show export import delete undo clear help" -f -a "list" -d 'List conversations: name, updated, exchanges, model, cost, first prompt'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and not __fish_seen_subcommand_from list show export import delete undo clear help" -f -a "show" -d 'Print a conversation as a readable transcript'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and not __fish_seen_subcommand_from list show export import delete undo clear help" -f -a "export" -d 'Export a conversation to stdout'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and not __fish_seen_subcommand_from list show export import delete undo clear help" -f -a "import" -d 'Import a conversation from our Markdown or JSON export, or CellMage\'s Markdown'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and not __fish_seen_subcommand_from list show export import delete undo clear help" -f -a "delete" -d 'Delete a conversation'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and not __fish_seen_subcommand_from list show export import delete undo clear help" -f -a "undo" -d 'Drop the last exchange of a conversation'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and not __fish_seen_subcommand_from list show export import delete undo clear help" -f -a "clear" -d 'Drop every exchange of a conversation, keeping the conversation'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and not __fish_seen_subcommand_from list show export import delete undo clear help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from export" -l format -d 'md or json' -r -f -a "md\t''
json\t''"
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from import" -l as -d 'Name of the imported conversation' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from undo" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "list" -d 'List conversations: name, updated, exchanges, model, cost, first prompt'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print a conversation as a readable transcript'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "export" -d 'Export a conversation to stdout'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "import" -d 'Import a conversation from our Markdown or JSON export, or CellMage\'s Markdown'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a conversation'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "undo" -d 'Drop the last exchange of a conversation'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Drop every exchange of a conversation, keeping the conversation'
complete -c cellmage -n "__fish_cellmage_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cellmage -n "__fish_cellmage_using_subcommand personas; and not __fish_seen_subcommand_from list show help" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand personas; and not __fish_seen_subcommand_from list show help" -f -a "list" -d 'List every persona and where it comes from'
complete -c cellmage -n "__fish_cellmage_using_subcommand personas; and not __fish_seen_subcommand_from list show help" -f -a "show" -d 'Print a persona\'s file'
complete -c cellmage -n "__fish_cellmage_using_subcommand personas; and not __fish_seen_subcommand_from list show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cellmage -n "__fish_cellmage_using_subcommand personas; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand personas; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand personas; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every persona and where it comes from'
complete -c cellmage -n "__fish_cellmage_using_subcommand personas; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print a persona\'s file'
complete -c cellmage -n "__fish_cellmage_using_subcommand personas; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cellmage -n "__fish_cellmage_using_subcommand snippets" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand models" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand config" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l base -d 'Review `git diff REF...HEAD` [default: origin/HEAD, main or master]' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l format -d 'Output format' -r -f -a "markdown\t'A PR comment body, grouped by severity'
github\t'GitHub Actions workflow commands (annotations)'
sarif\t'SARIF 2.1.0, for code-scanning upload'
gitlab\t'GitLab Code Quality report'
json\t'The findings as one JSON object'"
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l fail-on -d 'Exit 10 when a finding at or above this severity remains' -r -f -a "critical\t''
high\t''
medium\t''
low\t''
never\t''"
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -s o -l output -d 'Write the report to FILE, atomically, instead of stdout' -r -F
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -s p -l persona -d 'Persona: a name or a path to a `.md` persona file [default: code_reviewer]' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l snippet -d 'More context: a named snippet, file, directory or glob (repeatable)' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -s m -l model -d 'Model name or alias' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -s t -l temperature -d 'Sampling temperature' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l max-tokens -d 'Upper bound on the answer\'s tokens' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l param -d 'Extra request parameter (repeatable); VALUE is JSON when it parses, else a string' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l provider -d 'Wire protocol: openai, anthropic or echo (default: from the model)' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l api-base -d 'Base URL of the API [env: CELLMAGE_API_BASE, OPENAI_API_BASE]' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l timeout -d 'Seconds to wait without progress before giving up [env: CELLMAGE_TIMEOUT]' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l retries -d 'How many times to retry 429, 5xx and connection failures [env: CELLMAGE_RETRIES]' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l full-files -d 'Also send the full new version of every changed file'
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l keep-outside -d 'Keep findings outside the change, marked as such, instead of dropping them'
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l allow-truncated -d 'Accept an answer cut off by the token limit (exit 0, files written)'
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l stats -d 'Print the status line on stderr even when it is not a terminal'
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -l dry-run -d 'Print the exact request that would be sent (secrets redacted); no network'
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -s v -l verbose -d 'Log each HTTP exchange (and retry) to stderr, secrets redacted'
complete -c cellmage -n "__fish_cellmage_using_subcommand review" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and not __fish_seen_subcommand_from submit status wait collect cancel list help" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and not __fish_seen_subcommand_from submit status wait collect cancel list help" -f -a "submit" -d 'Resolve every job of a jobs file and submit them as one batch'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and not __fish_seen_subcommand_from submit status wait collect cancel list help" -f -a "status" -d 'Show a batch\'s status'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and not __fish_seen_subcommand_from submit status wait collect cancel list help" -f -a "wait" -d 'Wait until a batch has ended, polling with backoff'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and not __fish_seen_subcommand_from submit status wait collect cancel list help" -f -a "collect" -d 'Download the results and write each job\'s output; exit 12 unless every job succeeded'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and not __fish_seen_subcommand_from submit status wait collect cancel list help" -f -a "cancel" -d 'Cancel a batch; jobs that finished can still be collected'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and not __fish_seen_subcommand_from submit status wait collect cancel list help" -f -a "list" -d 'List the batches'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and not __fish_seen_subcommand_from submit status wait collect cancel list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from submit" -l name -d 'The batch\'s name [default: the jobs file\'s name without extension]' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from submit" -s j -l jobs -d 'Calls at once with --local' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from submit" -l local -d 'Run the jobs here as ordinary calls, through the shared rate budget'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from submit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from wait" -l interval -d 'Seconds before the first poll; doubled each poll, at most 300' -r
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from collect" -l json -d 'The summary as JSON'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from collect" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "submit" -d 'Resolve every job of a jobs file and submit them as one batch'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show a batch\'s status'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "wait" -d 'Wait until a batch has ended, polling with backoff'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "collect" -d 'Download the results and write each job\'s output; exit 12 unless every job succeeded'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel a batch; jobs that finished can still be collected'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the batches'
complete -c cellmage -n "__fish_cellmage_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cellmage -n "__fish_cellmage_using_subcommand completions" -l dir -d 'Write every script, with its conventional file name, into DIR' -r -F
complete -c cellmage -n "__fish_cellmage_using_subcommand completions" -s h -l help -d 'Print help'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and not __fish_seen_subcommand_from history personas snippets models config review batch completions help" -f -a "history" -d 'List, show, export, import and edit saved conversations'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and not __fish_seen_subcommand_from history personas snippets models config review batch completions help" -f -a "personas" -d 'List or show personas'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and not __fish_seen_subcommand_from history personas snippets models config review batch completions help" -f -a "snippets" -d 'List named snippets'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and not __fish_seen_subcommand_from history personas snippets models config review batch completions help" -f -a "models" -d 'List models and aliases with provider, context window and prices'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and not __fish_seen_subcommand_from history personas snippets models config review batch completions help" -f -a "config" -d 'Print every resolved setting and where it came from'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and not __fish_seen_subcommand_from history personas snippets models config review batch completions help" -f -a "review" -d 'Review a change (git diff BASE...HEAD, or a diff on stdin) into findings'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and not __fish_seen_subcommand_from history personas snippets models config review batch completions help" -f -a "batch" -d 'Run many jobs (a JSON Lines file) as one provider batch at half price, or here'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and not __fish_seen_subcommand_from history personas snippets models config review batch completions help" -f -a "completions" -d 'Print a shell completion script (or write all of them into --dir)'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and not __fish_seen_subcommand_from history personas snippets models config review batch completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "list" -d 'List conversations: name, updated, exchanges, model, cost, first prompt'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "show" -d 'Print a conversation as a readable transcript'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "export" -d 'Export a conversation to stdout'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "import" -d 'Import a conversation from our Markdown or JSON export, or CellMage\'s Markdown'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "delete" -d 'Delete a conversation'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "undo" -d 'Drop the last exchange of a conversation'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "clear" -d 'Drop every exchange of a conversation, keeping the conversation'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from personas" -f -a "list" -d 'List every persona and where it comes from'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from personas" -f -a "show" -d 'Print a persona\'s file'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "submit" -d 'Resolve every job of a jobs file and submit them as one batch'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "status" -d 'Show a batch\'s status'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "wait" -d 'Wait until a batch has ended, polling with backoff'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "collect" -d 'Download the results and write each job\'s output; exit 12 unless every job succeeded'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "cancel" -d 'Cancel a batch; jobs that finished can still be collected'
complete -c cellmage -n "__fish_cellmage_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "list" -d 'List the batches'
