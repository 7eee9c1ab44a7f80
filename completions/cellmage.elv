
use builtin;
use str;

set edit:completion:arg-completer[cellmage] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cellmage'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cellmage'= {
            cand --prompt-file 'Read the prompt from FILE (`-` for stdin)'
            cand -p 'Persona: a name or a path to a `.md` persona file'
            cand --persona 'Persona: a name or a path to a `.md` persona file'
            cand -m 'Model name or alias'
            cand --model 'Model name or alias'
            cand -t 'Sampling temperature'
            cand --temperature 'Sampling temperature'
            cand --max-tokens 'Upper bound on the answer''s tokens'
            cand --param 'Extra request parameter (repeatable); VALUE is JSON when it parses, else a string'
            cand --provider 'Wire protocol: openai, anthropic or echo (default: from the model)'
            cand --api-base 'Base URL of the API [env: CELLMAGE_API_BASE, OPENAI_API_BASE]'
            cand --timeout 'Seconds to wait without progress before giving up [env: CELLMAGE_TIMEOUT]'
            cand --retries 'How many times to retry 429, 5xx and connection failures [env: CELLMAGE_RETRIES]'
            cand --snippet 'Context: a named snippet, file, directory, glob or `-` (repeatable)'
            cand --sys-snippet 'Like --snippet, but sent as a system message'
            cand --conversation 'Use the named conversation, created on first use [env: CELLMAGE_CONVERSATION]'
            cand -x 'Print only code: first (default), last, all, a 1-based index or a language'
            cand --extract 'Print only code: first (default), last, all, a 1-based index or a language'
            cand -o 'Write what would be printed to FILE, atomically, only after a complete answer'
            cand --output 'Write what would be printed to FILE, atomically, only after a complete answer'
            cand --write-files 'Write each fenced block whose path is given just above it into DIR'
            cand --schema 'Answer as JSON matching this JSON Schema (a file, or the schema itself)'
            cand --allow-truncated 'Accept an answer cut off by the token limit (exit 0, files written)'
            cand --stats 'Print the status line on stderr even when it is not a terminal'
            cand --dry-run 'Print the exact request that would be sent (secrets redacted); no network'
            cand -v 'Log each HTTP exchange (and retry) to stderr, secrets redacted'
            cand --verbose 'Log each HTTP exchange (and retry) to stderr, secrets redacted'
            cand -c 'Continue the most recent conversation'
            cand --continue 'Continue the most recent conversation'
            cand --no-history 'Neither load nor record any conversation'
            cand --no-stream 'Ask for the whole answer at once instead of a stream'
            cand --mkdir 'Create missing parent directories of --output'
            cand --force 'Let --write-files replace existing files'
            cand --json 'Print one JSON object with the answer, blocks, usage, cost and timings'
            cand --trim-history 'Drop the oldest exchanges of the conversation when the request would not fit'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand history 'List, show, export, import and edit saved conversations'
            cand personas 'List or show personas'
            cand snippets 'List named snippets'
            cand models 'List models and aliases with provider, context window and prices'
            cand config 'Print every resolved setting and where it came from'
            cand review 'Review a change (git diff BASE...HEAD, or a diff on stdin) into findings'
            cand batch 'Run many jobs (a JSON Lines file) as one provider batch at half price, or here'
            cand completions 'Print a shell completion script (or write all of them into --dir)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cellmage;history'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List conversations: name, updated, exchanges, model, cost, first prompt'
            cand show 'Print a conversation as a readable transcript'
            cand export 'Export a conversation to stdout'
            cand import 'Import a conversation from our Markdown or JSON export, or CellMage''s Markdown'
            cand delete 'Delete a conversation'
            cand undo 'Drop the last exchange of a conversation'
            cand clear 'Drop every exchange of a conversation, keeping the conversation'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cellmage;history;list'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;history;show'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;history;export'= {
            cand --format 'md or json'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;history;import'= {
            cand --as 'Name of the imported conversation'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;history;delete'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;history;undo'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;history;clear'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;history;help'= {
            cand list 'List conversations: name, updated, exchanges, model, cost, first prompt'
            cand show 'Print a conversation as a readable transcript'
            cand export 'Export a conversation to stdout'
            cand import 'Import a conversation from our Markdown or JSON export, or CellMage''s Markdown'
            cand delete 'Delete a conversation'
            cand undo 'Drop the last exchange of a conversation'
            cand clear 'Drop every exchange of a conversation, keeping the conversation'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cellmage;history;help;list'= {
        }
        &'cellmage;history;help;show'= {
        }
        &'cellmage;history;help;export'= {
        }
        &'cellmage;history;help;import'= {
        }
        &'cellmage;history;help;delete'= {
        }
        &'cellmage;history;help;undo'= {
        }
        &'cellmage;history;help;clear'= {
        }
        &'cellmage;history;help;help'= {
        }
        &'cellmage;personas'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List every persona and where it comes from'
            cand show 'Print a persona''s file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cellmage;personas;list'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;personas;show'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;personas;help'= {
            cand list 'List every persona and where it comes from'
            cand show 'Print a persona''s file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cellmage;personas;help;list'= {
        }
        &'cellmage;personas;help;show'= {
        }
        &'cellmage;personas;help;help'= {
        }
        &'cellmage;snippets'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;models'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;config'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;review'= {
            cand --base 'Review `git diff REF...HEAD` [default: origin/HEAD, main or master]'
            cand --format 'Output format'
            cand --fail-on 'Exit 10 when a finding at or above this severity remains'
            cand -o 'Write the report to FILE, atomically, instead of stdout'
            cand --output 'Write the report to FILE, atomically, instead of stdout'
            cand -p 'Persona: a name or a path to a `.md` persona file [default: code_reviewer]'
            cand --persona 'Persona: a name or a path to a `.md` persona file [default: code_reviewer]'
            cand --snippet 'More context: a named snippet, file, directory or glob (repeatable)'
            cand -m 'Model name or alias'
            cand --model 'Model name or alias'
            cand -t 'Sampling temperature'
            cand --temperature 'Sampling temperature'
            cand --max-tokens 'Upper bound on the answer''s tokens'
            cand --param 'Extra request parameter (repeatable); VALUE is JSON when it parses, else a string'
            cand --provider 'Wire protocol: openai, anthropic or echo (default: from the model)'
            cand --api-base 'Base URL of the API [env: CELLMAGE_API_BASE, OPENAI_API_BASE]'
            cand --timeout 'Seconds to wait without progress before giving up [env: CELLMAGE_TIMEOUT]'
            cand --retries 'How many times to retry 429, 5xx and connection failures [env: CELLMAGE_RETRIES]'
            cand --full-files 'Also send the full new version of every changed file'
            cand --keep-outside 'Keep findings outside the change, marked as such, instead of dropping them'
            cand --allow-truncated 'Accept an answer cut off by the token limit (exit 0, files written)'
            cand --stats 'Print the status line on stderr even when it is not a terminal'
            cand --dry-run 'Print the exact request that would be sent (secrets redacted); no network'
            cand -v 'Log each HTTP exchange (and retry) to stderr, secrets redacted'
            cand --verbose 'Log each HTTP exchange (and retry) to stderr, secrets redacted'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cellmage;batch'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand submit 'Resolve every job of a jobs file and submit them as one batch'
            cand status 'Show a batch''s status'
            cand wait 'Wait until a batch has ended, polling with backoff'
            cand collect 'Download the results and write each job''s output; exit 12 unless every job succeeded'
            cand cancel 'Cancel a batch; jobs that finished can still be collected'
            cand list 'List the batches'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cellmage;batch;submit'= {
            cand --name 'The batch''s name [default: the jobs file''s name without extension]'
            cand -j 'Calls at once with --local'
            cand --jobs 'Calls at once with --local'
            cand --local 'Run the jobs here as ordinary calls, through the shared rate budget'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cellmage;batch;status'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;batch;wait'= {
            cand --interval 'Seconds before the first poll; doubled each poll, at most 300'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;batch;collect'= {
            cand --json 'The summary as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;batch;cancel'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;batch;list'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;batch;help'= {
            cand submit 'Resolve every job of a jobs file and submit them as one batch'
            cand status 'Show a batch''s status'
            cand wait 'Wait until a batch has ended, polling with backoff'
            cand collect 'Download the results and write each job''s output; exit 12 unless every job succeeded'
            cand cancel 'Cancel a batch; jobs that finished can still be collected'
            cand list 'List the batches'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cellmage;batch;help;submit'= {
        }
        &'cellmage;batch;help;status'= {
        }
        &'cellmage;batch;help;wait'= {
        }
        &'cellmage;batch;help;collect'= {
        }
        &'cellmage;batch;help;cancel'= {
        }
        &'cellmage;batch;help;list'= {
        }
        &'cellmage;batch;help;help'= {
        }
        &'cellmage;completions'= {
            cand --dir 'Write every script, with its conventional file name, into DIR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cellmage;help'= {
            cand history 'List, show, export, import and edit saved conversations'
            cand personas 'List or show personas'
            cand snippets 'List named snippets'
            cand models 'List models and aliases with provider, context window and prices'
            cand config 'Print every resolved setting and where it came from'
            cand review 'Review a change (git diff BASE...HEAD, or a diff on stdin) into findings'
            cand batch 'Run many jobs (a JSON Lines file) as one provider batch at half price, or here'
            cand completions 'Print a shell completion script (or write all of them into --dir)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cellmage;help;history'= {
            cand list 'List conversations: name, updated, exchanges, model, cost, first prompt'
            cand show 'Print a conversation as a readable transcript'
            cand export 'Export a conversation to stdout'
            cand import 'Import a conversation from our Markdown or JSON export, or CellMage''s Markdown'
            cand delete 'Delete a conversation'
            cand undo 'Drop the last exchange of a conversation'
            cand clear 'Drop every exchange of a conversation, keeping the conversation'
        }
        &'cellmage;help;history;list'= {
        }
        &'cellmage;help;history;show'= {
        }
        &'cellmage;help;history;export'= {
        }
        &'cellmage;help;history;import'= {
        }
        &'cellmage;help;history;delete'= {
        }
        &'cellmage;help;history;undo'= {
        }
        &'cellmage;help;history;clear'= {
        }
        &'cellmage;help;personas'= {
            cand list 'List every persona and where it comes from'
            cand show 'Print a persona''s file'
        }
        &'cellmage;help;personas;list'= {
        }
        &'cellmage;help;personas;show'= {
        }
        &'cellmage;help;snippets'= {
        }
        &'cellmage;help;models'= {
        }
        &'cellmage;help;config'= {
        }
        &'cellmage;help;review'= {
        }
        &'cellmage;help;batch'= {
            cand submit 'Resolve every job of a jobs file and submit them as one batch'
            cand status 'Show a batch''s status'
            cand wait 'Wait until a batch has ended, polling with backoff'
            cand collect 'Download the results and write each job''s output; exit 12 unless every job succeeded'
            cand cancel 'Cancel a batch; jobs that finished can still be collected'
            cand list 'List the batches'
        }
        &'cellmage;help;batch;submit'= {
        }
        &'cellmage;help;batch;status'= {
        }
        &'cellmage;help;batch;wait'= {
        }
        &'cellmage;help;batch;collect'= {
        }
        &'cellmage;help;batch;cancel'= {
        }
        &'cellmage;help;batch;list'= {
        }
        &'cellmage;help;completions'= {
        }
        &'cellmage;help;help'= {
        }
    ]
    $completions[$command]
}
