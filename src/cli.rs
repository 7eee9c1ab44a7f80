//! The command line as clap sees it: raw values only. `settings` validates and merges them.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter};

use crate::commands::completions as complete;

const AFTER_HELP: &str = "\
Examples (the CellMage code-generation workflow):
  # state the requirements, get code back into a file
  cellmage -p coder -x=python -o kvstore.py \"a thread-safe key-value store with TTL\"
  # refine the last answer in the same conversation
  cellmage -c -x=python -o kvstore.py \"good; now add type hints and docstrings\"
  # a named thread for a Makefile rule or CI job
  cellmage --conversation kvstore --snippet kvstore.py -p test_writer \"write pytest tests\"
  # review a diff for security issues
  git diff main... | cellmage -p security_reviewer \"review this change\"
  # write every file of a multi-file answer into a directory
  cellmage -p coder --write-files src/ \"a CLI skeleton: main.py and cli.py\"
  # try the whole pipeline offline
  cellmage --model echo --snippet README.md \"summarise this\"

Exit codes:
";

/// Call an LLM from a shell, a Makefile or a CI job.
///
/// One invocation is one LLM call: a prompt, a persona, context snippets and the saved
/// conversation go in; the answer comes out on stdout, or as code in files.
#[derive(Debug, Parser)]
#[command(
    name = "cellmage",
    version,
    about,
    long_about = None,
    after_help = after_help(),
    args_conflicts_with_subcommands = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub ask: AskArgs,
}

fn after_help() -> String {
    format!("{AFTER_HELP}{}", crate::error::table_text())
}

/// The flags of one LLM call.
#[derive(Debug, Args, Default, Clone)]
pub struct AskArgs {
    /// The prompt (words are joined by spaces)
    ///
    /// With no prompt, piped stdin is the prompt; otherwise piped stdin becomes a snippet
    /// labelled `stdin`, placed before the prompt. A prompt whose first word is a subcommand
    /// (`help`, `review`, …) goes after `--`: `cellmage -- help me write a parser`.
    #[arg(value_name = "PROMPT")]
    pub prompt: Vec<String>,

    /// Read the prompt from FILE (`-` for stdin)
    #[arg(long, value_name = "FILE")]
    pub prompt_file: Option<PathBuf>,

    /// Persona: a name or a path to a `.md` persona file
    ///
    /// Searched in the project's `.cellmage/personas/`, the user config dir's `personas/`,
    /// `CELLMAGE_PERSONAS_DIRS`, then the built-ins (`cellmage personas list`).
    #[arg(short, long, value_name = "NAME|PATH", add = ArgValueCompleter::new(complete::personas))]
    pub persona: Option<String>,

    #[command(flatten)]
    pub call: CallArgs,

    /// Context: a named snippet, file, directory, glob, `-`, or a remote spec (repeatable)
    ///
    /// Directories are read recursively, respecting .gitignore and skipping hidden and
    /// binary files. Remote specs: an http(s) URL (the page as Markdown), a GitHub pull
    /// request, issue or file URL or `gh:OWNER/REPO#N`, a GitLab merge request or issue URL
    /// or `gl:GROUP/PROJECT!N` / `gl:GROUP/PROJECT#N`, `jira:KEY-123`, `jql:QUERY`,
    /// `confluence:ID` or a Confluence page URL. Each snippet is sent as its own user
    /// message before the prompt.
    #[arg(long, value_name = "NAME|PATH|SPEC")]
    pub snippet: Vec<String>,

    /// Like --snippet, but sent as a system message
    #[arg(long, value_name = "NAME|PATH|SPEC")]
    pub sys_snippet: Vec<String>,

    /// Attach an image to the prompt (PNG, JPEG, GIF or WebP; a path or URL; repeatable)
    ///
    /// The type is told from the bytes. The model must support images, and each image must
    /// be within the provider's size limit (Anthropic 5 MiB, OpenAI 20 MiB). Images are kept
    /// in the data directory by content hash, so a continued conversation sends them again.
    #[arg(long, value_name = "PATH|URL")]
    pub image: Vec<String>,

    /// How many issues a `jql:` snippet reads [default: 10]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub jql_max: Option<u32>,

    /// Continue the most recent conversation
    #[arg(short = 'c', long = "continue", conflicts_with = "conversation")]
    pub continue_last: bool,

    /// Use the named conversation, created on first use [env: CELLMAGE_CONVERSATION]
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(complete::conversation_names))]
    pub conversation: Option<String>,

    /// Neither load nor record any conversation
    #[arg(long, conflicts_with_all = ["continue_last", "conversation"])]
    pub no_history: bool,

    /// Ask for the whole answer at once instead of a stream
    #[arg(long)]
    pub no_stream: bool,

    /// Print the answer as it arrives even when stdout is not a terminal
    ///
    /// On a terminal the answer is printed as it arrives. Into a pipe or a file it is held
    /// until it is complete, so a broken stream is retried invisibly and a reader never gets
    /// half an answer; --stream prints it as it arrives there too.
    #[arg(long, conflicts_with = "no_stream")]
    pub stream: bool,

    #[command(flatten)]
    pub delivery: OutputArgs,

    /// Print one JSON object with the answer, blocks, usage, cost and timings
    #[arg(long)]
    pub json: bool,

    /// Drop the oldest exchanges of the conversation when the request would not fit
    #[arg(long)]
    pub trim_history: bool,

    /// Answer as JSON matching this JSON Schema (a file, or the schema itself)
    ///
    /// OpenAI-compatible providers get it as `response_format` (`json_schema`, strict);
    /// other providers get it in the system prompt. The answer is validated locally; an
    /// answer that is not JSON or does not match is asked for once more, with the
    /// validation error, and then fails with exit 8.
    #[arg(long, value_name = "FILE|JSON")]
    pub schema: Option<String>,
}

/// Where an answer goes: the flags of a call that `history show --last` takes too.
#[derive(Debug, Args, Default, Clone)]
pub struct OutputArgs {
    /// Print only code: first (default), last, all, a 1-based index or a language
    ///
    /// Give the selector with `=`: `-x=python`, `--extract=last`. A bare `-x` means `first`,
    /// so in `-x python` the word `python` is part of the prompt. Nothing matching is exit 3.
    #[arg(
        short = 'x',
        long,
        value_name = "SELECTOR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "first"
    )]
    pub extract: Option<String>,

    /// Write what would be printed to FILE, atomically, only after a complete answer
    ///
    /// `-o -` is stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Create missing parent directories of --output
    #[arg(long, requires = "output")]
    pub mkdir: bool,

    /// Write each fenced block whose path is given just above it into DIR
    #[arg(long, value_name = "DIR")]
    pub write_files: Option<PathBuf>,

    /// Let --write-files replace existing files
    #[arg(long)]
    pub force: bool,
}

/// The connection and sampling flags of one LLM call, shared by `cellmage` and `cellmage
/// review`.
#[derive(Debug, Args, Default, Clone)]
pub struct CallArgs {
    /// Model name or alias
    ///
    /// `echo` is an offline model that answers with the prompt it was given.
    #[arg(short, long, value_name = "MODEL", add = ArgValueCandidates::new(complete::model_names))]
    pub model: Option<String>,

    /// A system prompt, sent after the persona's and before system snippets
    #[arg(short, long, value_name = "TEXT")]
    pub system: Option<String>,

    /// Sampling temperature
    ///
    /// Not sent to models that refuse it (OpenAI's reasoning models; Claude while thinking);
    /// `-v` says so.
    #[arg(short, long, value_name = "T", allow_negative_numbers = true)]
    pub temperature: Option<f64>,

    /// Reasoning effort for reasoning models [env: CELLMAGE_REASONING]
    ///
    /// OpenAI-compatible APIs get `reasoning_effort`; Claude gets adaptive thinking with that
    /// effort (Claude 4.6 and later), or extended thinking with a budget of 2048, 8192 or
    /// 16384 tokens (older models). Also a persona or config key `reasoning`.
    #[arg(long, value_enum, value_name = "EFFORT")]
    pub reasoning: Option<crate::provider::Effort>,

    /// Print the model's reasoning or thinking text on stderr as it arrives
    ///
    /// Reasoning text never becomes part of the answer, the extracted code, the files
    /// written or the conversation.
    #[arg(long)]
    pub show_reasoning: bool,

    /// Upper bound on the answer's tokens
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub max_tokens: Option<u64>,

    /// Extra request parameter (repeatable); VALUE is JSON when it parses, else a string
    #[arg(long, num_args = 2, value_names = ["KEY", "VALUE"], action = clap::ArgAction::Append)]
    pub param: Vec<String>,

    /// Provider or local-server preset (default: from the model)
    ///
    /// Each has its protocol, default base URL and key variables (README, "Providers");
    /// the local servers (ollama, llamacpp, lmstudio, vllm) take no key and have no price.
    #[arg(long, value_name = "PROVIDER", value_parser = crate::provider::names_parser())]
    pub provider: Option<String>,

    /// Base URL of the API [env: CELLMAGE_API_BASE, OPENAI_API_BASE]
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,

    /// Seconds to wait without progress before giving up [env: CELLMAGE_TIMEOUT]
    ///
    /// Bounds connecting, waiting for the first byte, and every gap between two chunks of a
    /// stream (default 120). The whole call, retries included, is bounded by `total_timeout`
    /// (CELLMAGE_TOTAL_TIMEOUT, default 900). A timeout is exit 7.
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub timeout: Option<f64>,

    /// How many times to retry 429, 5xx and connection failures [env: CELLMAGE_RETRIES]
    ///
    /// Retried (default 3 times): 429, 500, 502, 503, 504, and connections that fail or
    /// streams that break before any text was printed. Waits double from
    /// CELLMAGE_RETRY_BACKOFF (0.5 s) with jitter, or follow the provider's Retry-After, up to
    /// CELLMAGE_RETRY_MAX_WAIT (60 s); asked to wait longer, cellmage fails at once.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub retries: Option<u32>,

    /// Accept an answer cut off by the token limit (exit 0, files written)
    ///
    /// `cellmage review` accepts a cut-off answer only when its findings are still complete.
    #[arg(long)]
    pub allow_truncated: bool,

    /// Never read stdin, even when it is piped (for calls inside `while read …; do`)
    ///
    /// Without it, piped stdin is read whole: in `while read f; do cellmage …; done < list`
    /// the first call would take the rest of the list. `-` (`--snippet -`, `--prompt-file -`)
    /// is then an error.
    #[arg(long)]
    pub no_stdin: bool,

    /// Print the status line on stderr even when it is not a terminal
    #[arg(long)]
    pub stats: bool,

    /// Print the exact request that would be sent (secrets redacted); no network
    #[arg(long)]
    pub dry_run: bool,

    /// Log each HTTP exchange (and retry) to stderr, secrets redacted
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show, export, import and edit saved conversations
    #[command(subcommand)]
    History(HistoryCommand),
    /// List or show personas
    Personas {
        #[command(subcommand)]
        action: Option<PersonasCommand>,
    },
    /// List named snippets, or show what a snippet spec adds to a call
    Snippets {
        #[command(subcommand)]
        action: Option<SnippetsCommand>,
    },
    /// List models and aliases with provider, context window and prices
    Models,
    /// Print every resolved setting and where it came from, or trust the project config
    Config {
        #[command(subcommand)]
        action: Option<ConfigCommand>,
    },
    /// Review a change (git diff BASE...HEAD, uncommitted changes, or a diff on stdin) into findings
    Review(Box<ReviewArgs>),
    /// Run many jobs (a JSON Lines file) as one provider batch at half price, or here
    #[command(subcommand)]
    Batch(BatchCommand),
    /// Print a shell completion script (or write all of them into --dir)
    Completions {
        /// bash, zsh, fish, elvish or powershell
        #[arg(value_enum, required_unless_present = "dir")]
        shell: Option<Shell>,
        /// Write every script, with its conventional file name, into DIR
        #[arg(long, value_name = "DIR", conflicts_with = "shell")]
        dir: Option<PathBuf>,
    },
    /// Print the man page (or write one per subcommand into --dir)
    Man {
        /// Write cellmage.1 and one page per subcommand (cellmage-review.1, …) into DIR
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Trust this project's .cellmage/config.toml as it is now
    ///
    /// A project config's api_base, api_key_env, headers and [models.NAME] base_url,
    /// provider and api_key_env are applied only once the file is trusted; a changed file is
    /// untrusted again. The trust is recorded (path and SHA-256 of the content) in the data
    /// dir. CI can set CELLMAGE_TRUST_PROJECT_CONFIG=1 instead.
    Trust,
}

/// `cellmage batch`: jobs sent as one asynchronous provider batch, or run here (`--local`).
#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Resolve every job of a jobs file and submit them as one batch
    ///
    /// One JSON object a line: {"id", "prompt", and optionally "snippets", "persona",
    /// "model", "system", "extract", "output", "write_files", "conversation", "schema",
    /// "max_tokens", "temperature"}. Each job is resolved as the same single call would be
    /// before anything is sent. Submitting a name again never creates a second batch.
    Submit {
        /// The jobs file (JSON Lines)
        #[arg(value_name = "JOBS")]
        jobs: PathBuf,
        /// The batch's name [default: the jobs file's name without extension]
        #[arg(long)]
        name: Option<String>,
        /// Run the jobs here as ordinary calls, through the shared rate budget
        #[arg(long)]
        local: bool,
        /// Calls at once with --local
        #[arg(
            short = 'j',
            long = "jobs",
            value_name = "N",
            default_value_t = 4,
            requires = "local"
        )]
        workers: usize,
    },
    /// Show a batch's status
    Status { name: String },
    /// Wait until a batch has ended, polling with backoff
    Wait {
        name: String,
        /// Seconds before the first poll; doubled each poll, at most 300
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        interval: f64,
    },
    /// Download the results and write each job's output; exit 12 unless every job succeeded
    Collect {
        name: String,
        /// The summary as JSON
        #[arg(long)]
        json: bool,
    },
    /// Cancel a batch; jobs that finished can still be collected
    Cancel { name: String },
    /// List the batches
    List,
}

/// `cellmage review`: one LLM call over a change, findings out, an optional gate.
#[derive(Debug, Args, Clone)]
#[command(after_help = REVIEW_AFTER_HELP)]
pub struct ReviewArgs {
    /// Extra instructions for the reviewer (words are joined by spaces)
    #[arg(value_name = "INSTRUCTIONS")]
    pub instructions: Vec<String>,

    /// Review `git diff REF...HEAD` [default: origin/HEAD, main or master]
    ///
    /// The diff is taken from the merge base of REF and HEAD. Without --base, the first of
    /// origin/HEAD, main, master, origin/main and origin/master that exists is used, and a
    /// unified diff piped on stdin is reviewed instead of git's.
    #[arg(long, value_name = "REF", conflicts_with_all = ["worktree", "staged"])]
    pub base: Option<String>,

    /// Review the uncommitted changes: `git diff HEAD` (staged and unstaged)
    #[arg(long, conflicts_with = "staged")]
    pub worktree: bool,

    /// Review the staged changes: `git diff --cached`
    #[arg(long)]
    pub staged: bool,

    /// Review a pull or merge request fetched from its API, without a checkout
    ///
    /// A GitHub pull request URL or `gh:OWNER/REPO#N`, or a GitLab merge request URL or
    /// `gl:GROUP/PROJECT!N` (tokens and hosts as for --snippet: GITHUB_TOKEN, GITLAB_TOKEN…).
    #[arg(long, value_name = "URL|SPEC", conflicts_with_all = ["base", "full_files"])]
    pub pr: Option<String>,

    /// Publish the result on the --pr: line comments on the new version plus a summary
    ///
    /// Running again updates cellmage's summary (found by a hidden marker) and does not
    /// repeat a line comment already posted for the same finding.
    #[arg(long, requires = "pr")]
    pub post: bool,

    /// Output format
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: ReviewFormat,

    /// Exit 10 when a finding at or above this severity remains
    #[arg(long, value_enum, value_name = "SEVERITY", default_value = "never")]
    pub fail_on: FailOn,

    /// Write the report to FILE, atomically, instead of stdout (`-` is stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also send the full new version of every changed file
    #[arg(long)]
    pub full_files: bool,

    /// Keep findings outside the change, marked as such, instead of dropping them
    ///
    /// Marked findings are shown but never count for --fail-on.
    #[arg(long)]
    pub keep_outside: bool,

    /// Persona: a name or a path to a `.md` persona file [default: code_reviewer]
    #[arg(short, long, value_name = "NAME|PATH", add = ArgValueCompleter::new(complete::personas))]
    pub persona: Option<String>,

    /// More context: a named snippet, file, directory or glob (repeatable)
    #[arg(long, value_name = "NAME|PATH")]
    pub snippet: Vec<String>,

    #[command(flatten)]
    pub call: CallArgs,
}

const REVIEW_AFTER_HELP: &str = "\
Examples:
  # a PR comment body for the current branch against the default branch
  cellmage review -o review.md
  # GitHub annotations on the changed lines; fail the job on high or critical findings
  cellmage review --base origin/main --format github --fail-on high
  # before committing: the uncommitted changes, or only the staged ones
  cellmage review --worktree
  cellmage review --staged
  # review a diff from anywhere
  git diff HEAD~3 | cellmage review --format json";

impl ReviewArgs {
    /// The call's flags, as settings understand them: the review's persona (code_reviewer
    /// by default), model and context; no conversation is kept.
    pub fn ask_args(&self) -> AskArgs {
        AskArgs {
            persona: Some(
                self.persona
                    .clone()
                    .unwrap_or_else(|| "code_reviewer".into()),
            ),
            call: self.call.clone(),
            snippet: self.snippet.clone(),
            no_history: true,
            ..AskArgs::default()
        }
    }
}

/// `--format`: the review formats registered in `review::format::FORMATS`.
pub use crate::review::format::Format as ReviewFormat;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Never,
}

impl Cli {
    /// The flags of the call this invocation makes: `review`'s own, or the top level's.
    pub fn ask_args(&self) -> AskArgs {
        match &self.command {
            Some(Command::Review(review)) => review.ask_args(),
            _ => self.ask.clone(),
        }
    }
}

/// `-o FILE`, where `-` means stdout: `None` then.
pub fn output_file(path: Option<&Path>) -> Option<&Path> {
    path.filter(|p| *p != Path::new("-"))
}

#[derive(Debug, Subcommand)]
pub enum SnippetsCommand {
    /// List the named snippets and where they are
    List,
    /// Print exactly what a --snippet SPEC would add (a file, a URL, gh:…, jira:…)
    Show { spec: String },
}

#[derive(Debug, Subcommand)]
pub enum PersonasCommand {
    /// List every persona and where it comes from
    List,
    /// Print a persona's file
    Show {
        /// A persona's name, as `cellmage personas list` shows it
        #[arg(add = ArgValueCandidates::new(complete::persona_names))]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// List this project's conversations: name, updated, exchanges, model, cost, last prompt
    List {
        /// Every conversation, of every project, with a PROJECT column
        #[arg(long)]
        all: bool,
        /// Only the N most recently updated
        #[arg(short = 'n', value_name = "N")]
        limit: Option<usize>,
        /// Print a JSON array, one object per conversation
        #[arg(long)]
        json: bool,
    },
    /// Print a conversation as a readable transcript, or only its last answer
    Show {
        /// The conversation [default: the latest of this project]
        #[arg(add = ArgValueCandidates::new(complete::conversation_names))]
        name: Option<String>,
        /// Print only the last answer; takes -x, -o and --write-files as a call does
        #[arg(long)]
        last: bool,
        #[command(flatten)]
        delivery: OutputArgs,
    },
    /// Delete old conversations: unnamed ones of this project, unless --named or --all
    #[command(group = clap::ArgGroup::new("which").required(true).multiple(true))]
    Prune {
        /// Delete those last updated longer ago than DURATION (30d, 12h, 90min)
        #[arg(long, value_name = "DURATION", group = "which")]
        older_than: Option<String>,
        /// Keep the N most recently updated, delete the others
        #[arg(long, value_name = "N", group = "which")]
        keep: Option<usize>,
        /// Named conversations too
        #[arg(long)]
        named: bool,
        /// Conversations of every project
        #[arg(long)]
        all: bool,
    },
    /// Export a conversation to stdout
    Export {
        /// A conversation's name, as `cellmage history list` shows it
        #[arg(add = ArgValueCandidates::new(complete::conversation_names))]
        name: String,
        /// md or json
        #[arg(long, value_enum, default_value = "md")]
        format: ExportFormat,
    },
    /// Import a conversation from our Markdown or JSON export, or CellMage's Markdown
    Import {
        /// The file to import (`-` for stdin)
        file: PathBuf,
        /// Name of the imported conversation
        #[arg(long = "as", value_name = "NAME")]
        name: Option<String>,
    },
    /// Delete a conversation
    Delete {
        /// A conversation's name, as `cellmage history list` shows it
        #[arg(add = ArgValueCandidates::new(complete::conversation_names))]
        name: String,
    },
    /// Drop the last exchange of a conversation
    Undo {
        /// A conversation's name, as `cellmage history list` shows it
        #[arg(add = ArgValueCandidates::new(complete::conversation_names))]
        name: String,
    },
    /// Drop every exchange of a conversation, keeping the conversation
    Clear {
        /// A conversation's name, as `cellmage history list` shows it
        #[arg(add = ArgValueCandidates::new(complete::conversation_names))]
        name: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Md,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn words_are_a_prompt_and_subcommands_are_subcommands() {
        let cli = Cli::parse_from(["cellmage", "write", "a", "function"]);
        assert!(cli.command.is_none());
        assert_eq!(cli.ask.prompt, ["write", "a", "function"]);
        let cli = Cli::parse_from(["cellmage", "history", "list"]);
        assert!(matches!(
            cli.command,
            Some(Command::History(HistoryCommand::List { .. }))
        ));
    }

    #[test]
    fn review_has_its_own_flags_and_defaults() {
        let cli = Cli::parse_from(["cellmage", "review", "--format", "sarif", "-o", "r.sarif"]);
        let Some(Command::Review(review)) = &cli.command else {
            panic!("not a review: {cli:?}");
        };
        assert_eq!(review.format.name, "sarif");
        assert_eq!(review.fail_on, FailOn::Never);
        let ask = cli.ask_args();
        assert_eq!(ask.persona.as_deref(), Some("code_reviewer"));
        assert!(ask.no_history);
        let cli = Cli::parse_from(["cellmage", "review", "-p", "security_reviewer"]);
        assert_eq!(cli.ask_args().persona.as_deref(), Some("security_reviewer"));
        let cli = Cli::parse_from(["cellmage", "--schema", "{}", "hi"]);
        assert_eq!(cli.ask_args().schema.as_deref(), Some("{}"));
    }

    #[test]
    fn review_and_the_top_level_share_the_call_flags() {
        let flags = ["--api-base", "http://h/v1", "-t", "0.5", "--retries", "1"];
        let top = Cli::parse_from(["cellmage"].iter().chain(&flags).chain(&["hi"]));
        let review = Cli::parse_from(["cellmage", "review"].iter().chain(&flags));
        let (top, review) = (top.ask_args().call, review.ask_args().call);
        assert_eq!(review.api_base.as_deref(), Some("http://h/v1"));
        assert_eq!(review.temperature, Some(0.5));
        assert_eq!(review.retries, Some(1));
        assert_eq!(format!("{top:?}"), format!("{review:?}"));
    }

    #[test]
    fn extract_defaults_to_first_and_takes_equals() {
        let cli = Cli::parse_from(["cellmage", "-x", "hi"]);
        assert_eq!(cli.ask.delivery.extract.as_deref(), Some("first"));
        assert_eq!(cli.ask.prompt, ["hi"]);
        let cli = Cli::parse_from(["cellmage", "--extract=python", "hi"]);
        assert_eq!(cli.ask.delivery.extract.as_deref(), Some("python"));
    }
}
