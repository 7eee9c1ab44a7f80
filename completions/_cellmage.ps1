
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'cellmage' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'cellmage'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'cellmage' {
            [CompletionResult]::new('--prompt-file', '--prompt-file', [CompletionResultType]::ParameterName, 'Read the prompt from FILE (`-` for stdin)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Persona: a name or a path to a `.md` persona file')
            [CompletionResult]::new('--persona', '--persona', [CompletionResultType]::ParameterName, 'Persona: a name or a path to a `.md` persona file')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model name or alias')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model name or alias')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Sampling temperature')
            [CompletionResult]::new('--temperature', '--temperature', [CompletionResultType]::ParameterName, 'Sampling temperature')
            [CompletionResult]::new('--max-tokens', '--max-tokens', [CompletionResultType]::ParameterName, 'Upper bound on the answer''s tokens')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Extra request parameter (repeatable); VALUE is JSON when it parses, else a string')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Wire protocol: openai, anthropic or echo (default: from the model)')
            [CompletionResult]::new('--api-base', '--api-base', [CompletionResultType]::ParameterName, 'Base URL of the API [env: CELLMAGE_API_BASE, OPENAI_API_BASE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait without progress before giving up [env: CELLMAGE_TIMEOUT]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times to retry 429, 5xx and connection failures [env: CELLMAGE_RETRIES]')
            [CompletionResult]::new('--snippet', '--snippet', [CompletionResultType]::ParameterName, 'Context: a named snippet, file, directory, glob or `-` (repeatable)')
            [CompletionResult]::new('--sys-snippet', '--sys-snippet', [CompletionResultType]::ParameterName, 'Like --snippet, but sent as a system message')
            [CompletionResult]::new('--conversation', '--conversation', [CompletionResultType]::ParameterName, 'Use the named conversation, created on first use [env: CELLMAGE_CONVERSATION]')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Print only code: first (default), last, all, a 1-based index or a language')
            [CompletionResult]::new('--extract', '--extract', [CompletionResultType]::ParameterName, 'Print only code: first (default), last, all, a 1-based index or a language')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write what would be printed to FILE, atomically, only after a complete answer')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write what would be printed to FILE, atomically, only after a complete answer')
            [CompletionResult]::new('--write-files', '--write-files', [CompletionResultType]::ParameterName, 'Write each fenced block whose path is given just above it into DIR')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'Answer as JSON matching this JSON Schema (a file, or the schema itself)')
            [CompletionResult]::new('--allow-truncated', '--allow-truncated', [CompletionResultType]::ParameterName, 'Accept an answer cut off by the token limit (exit 0, files written)')
            [CompletionResult]::new('--stats', '--stats', [CompletionResultType]::ParameterName, 'Print the status line on stderr even when it is not a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request that would be sent (secrets redacted); no network')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each HTTP exchange (and retry) to stderr, secrets redacted')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each HTTP exchange (and retry) to stderr, secrets redacted')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Continue the most recent conversation')
            [CompletionResult]::new('--continue', '--continue', [CompletionResultType]::ParameterName, 'Continue the most recent conversation')
            [CompletionResult]::new('--no-history', '--no-history', [CompletionResultType]::ParameterName, 'Neither load nor record any conversation')
            [CompletionResult]::new('--no-stream', '--no-stream', [CompletionResultType]::ParameterName, 'Ask for the whole answer at once instead of a stream')
            [CompletionResult]::new('--mkdir', '--mkdir', [CompletionResultType]::ParameterName, 'Create missing parent directories of --output')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Let --write-files replace existing files')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object with the answer, blocks, usage, cost and timings')
            [CompletionResult]::new('--trim-history', '--trim-history', [CompletionResultType]::ParameterName, 'Drop the oldest exchanges of the conversation when the request would not fit')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List, show, export, import and edit saved conversations')
            [CompletionResult]::new('personas', 'personas', [CompletionResultType]::ParameterValue, 'List or show personas')
            [CompletionResult]::new('snippets', 'snippets', [CompletionResultType]::ParameterValue, 'List named snippets')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List models and aliases with provider, context window and prices')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print every resolved setting and where it came from')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Review a change (git diff BASE...HEAD, or a diff on stdin) into findings')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Run many jobs (a JSON Lines file) as one provider batch at half price, or here')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (or write all of them into --dir)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cellmage;history' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List conversations: name, updated, exchanges, model, cost, first prompt')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print a conversation as a readable transcript')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export a conversation to stdout')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a conversation from our Markdown or JSON export, or CellMage''s Markdown')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a conversation')
            [CompletionResult]::new('undo', 'undo', [CompletionResultType]::ParameterValue, 'Drop the last exchange of a conversation')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Drop every exchange of a conversation, keeping the conversation')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cellmage;history;list' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;history;show' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;history;export' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'md or json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;history;import' {
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Name of the imported conversation')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;history;delete' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;history;undo' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;history;clear' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;history;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List conversations: name, updated, exchanges, model, cost, first prompt')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print a conversation as a readable transcript')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export a conversation to stdout')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a conversation from our Markdown or JSON export, or CellMage''s Markdown')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a conversation')
            [CompletionResult]::new('undo', 'undo', [CompletionResultType]::ParameterValue, 'Drop the last exchange of a conversation')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Drop every exchange of a conversation, keeping the conversation')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cellmage;history;help;list' {
            break
        }
        'cellmage;history;help;show' {
            break
        }
        'cellmage;history;help;export' {
            break
        }
        'cellmage;history;help;import' {
            break
        }
        'cellmage;history;help;delete' {
            break
        }
        'cellmage;history;help;undo' {
            break
        }
        'cellmage;history;help;clear' {
            break
        }
        'cellmage;history;help;help' {
            break
        }
        'cellmage;personas' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every persona and where it comes from')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print a persona''s file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cellmage;personas;list' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;personas;show' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;personas;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every persona and where it comes from')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print a persona''s file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cellmage;personas;help;list' {
            break
        }
        'cellmage;personas;help;show' {
            break
        }
        'cellmage;personas;help;help' {
            break
        }
        'cellmage;snippets' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;models' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;config' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;review' {
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'Review `git diff REF...HEAD` [default: origin/HEAD, main or master]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 10 when a finding at or above this severity remains')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the report to FILE, atomically, instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE, atomically, instead of stdout')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Persona: a name or a path to a `.md` persona file [default: code_reviewer]')
            [CompletionResult]::new('--persona', '--persona', [CompletionResultType]::ParameterName, 'Persona: a name or a path to a `.md` persona file [default: code_reviewer]')
            [CompletionResult]::new('--snippet', '--snippet', [CompletionResultType]::ParameterName, 'More context: a named snippet, file, directory or glob (repeatable)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model name or alias')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model name or alias')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Sampling temperature')
            [CompletionResult]::new('--temperature', '--temperature', [CompletionResultType]::ParameterName, 'Sampling temperature')
            [CompletionResult]::new('--max-tokens', '--max-tokens', [CompletionResultType]::ParameterName, 'Upper bound on the answer''s tokens')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Extra request parameter (repeatable); VALUE is JSON when it parses, else a string')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Wire protocol: openai, anthropic or echo (default: from the model)')
            [CompletionResult]::new('--api-base', '--api-base', [CompletionResultType]::ParameterName, 'Base URL of the API [env: CELLMAGE_API_BASE, OPENAI_API_BASE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait without progress before giving up [env: CELLMAGE_TIMEOUT]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times to retry 429, 5xx and connection failures [env: CELLMAGE_RETRIES]')
            [CompletionResult]::new('--full-files', '--full-files', [CompletionResultType]::ParameterName, 'Also send the full new version of every changed file')
            [CompletionResult]::new('--keep-outside', '--keep-outside', [CompletionResultType]::ParameterName, 'Keep findings outside the change, marked as such, instead of dropping them')
            [CompletionResult]::new('--allow-truncated', '--allow-truncated', [CompletionResultType]::ParameterName, 'Accept an answer cut off by the token limit (exit 0, files written)')
            [CompletionResult]::new('--stats', '--stats', [CompletionResultType]::ParameterName, 'Print the status line on stderr even when it is not a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request that would be sent (secrets redacted); no network')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each HTTP exchange (and retry) to stderr, secrets redacted')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each HTTP exchange (and retry) to stderr, secrets redacted')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cellmage;batch' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Resolve every job of a jobs file and submit them as one batch')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a batch''s status')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until a batch has ended, polling with backoff')
            [CompletionResult]::new('collect', 'collect', [CompletionResultType]::ParameterValue, 'Download the results and write each job''s output; exit 12 unless every job succeeded')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a batch; jobs that finished can still be collected')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the batches')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cellmage;batch;submit' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The batch''s name [default: the jobs file''s name without extension]')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Calls at once with --local')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Calls at once with --local')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Run the jobs here as ordinary calls, through the shared rate budget')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cellmage;batch;status' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;batch;wait' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Seconds before the first poll; doubled each poll, at most 300')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;batch;collect' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The summary as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;batch;cancel' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;batch;list' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;batch;help' {
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Resolve every job of a jobs file and submit them as one batch')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a batch''s status')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until a batch has ended, polling with backoff')
            [CompletionResult]::new('collect', 'collect', [CompletionResultType]::ParameterValue, 'Download the results and write each job''s output; exit 12 unless every job succeeded')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a batch; jobs that finished can still be collected')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the batches')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cellmage;batch;help;submit' {
            break
        }
        'cellmage;batch;help;status' {
            break
        }
        'cellmage;batch;help;wait' {
            break
        }
        'cellmage;batch;help;collect' {
            break
        }
        'cellmage;batch;help;cancel' {
            break
        }
        'cellmage;batch;help;list' {
            break
        }
        'cellmage;batch;help;help' {
            break
        }
        'cellmage;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write every script, with its conventional file name, into DIR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cellmage;help' {
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List, show, export, import and edit saved conversations')
            [CompletionResult]::new('personas', 'personas', [CompletionResultType]::ParameterValue, 'List or show personas')
            [CompletionResult]::new('snippets', 'snippets', [CompletionResultType]::ParameterValue, 'List named snippets')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List models and aliases with provider, context window and prices')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print every resolved setting and where it came from')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Review a change (git diff BASE...HEAD, or a diff on stdin) into findings')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Run many jobs (a JSON Lines file) as one provider batch at half price, or here')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (or write all of them into --dir)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cellmage;help;history' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List conversations: name, updated, exchanges, model, cost, first prompt')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print a conversation as a readable transcript')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export a conversation to stdout')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a conversation from our Markdown or JSON export, or CellMage''s Markdown')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a conversation')
            [CompletionResult]::new('undo', 'undo', [CompletionResultType]::ParameterValue, 'Drop the last exchange of a conversation')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Drop every exchange of a conversation, keeping the conversation')
            break
        }
        'cellmage;help;history;list' {
            break
        }
        'cellmage;help;history;show' {
            break
        }
        'cellmage;help;history;export' {
            break
        }
        'cellmage;help;history;import' {
            break
        }
        'cellmage;help;history;delete' {
            break
        }
        'cellmage;help;history;undo' {
            break
        }
        'cellmage;help;history;clear' {
            break
        }
        'cellmage;help;personas' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every persona and where it comes from')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print a persona''s file')
            break
        }
        'cellmage;help;personas;list' {
            break
        }
        'cellmage;help;personas;show' {
            break
        }
        'cellmage;help;snippets' {
            break
        }
        'cellmage;help;models' {
            break
        }
        'cellmage;help;config' {
            break
        }
        'cellmage;help;review' {
            break
        }
        'cellmage;help;batch' {
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Resolve every job of a jobs file and submit them as one batch')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a batch''s status')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until a batch has ended, polling with backoff')
            [CompletionResult]::new('collect', 'collect', [CompletionResultType]::ParameterValue, 'Download the results and write each job''s output; exit 12 unless every job succeeded')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a batch; jobs that finished can still be collected')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the batches')
            break
        }
        'cellmage;help;batch;submit' {
            break
        }
        'cellmage;help;batch;status' {
            break
        }
        'cellmage;help;batch;wait' {
            break
        }
        'cellmage;help;batch;collect' {
            break
        }
        'cellmage;help;batch;cancel' {
            break
        }
        'cellmage;help;batch;list' {
            break
        }
        'cellmage;help;completions' {
            break
        }
        'cellmage;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
