//! `cellmage batch`: a jobs file resolved job by job exactly as the same single calls
//! (each job becomes `cellmage` arguments, parsed and resolved by the same rooms), then sent
//! as one provider batch, or run here with `--local`; its state lives in the data directory
//! (`batch::state`), so every step can be repeated after a crash.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use serde_json::Value;

use super::print;
use crate::batch::api::{BatchApi, Http};
use crate::batch::jobs::{self, Job};
use crate::batch::state::{Done, JobEntry, JobStatus, Mode, Record, Store, Submit};
use crate::batch::summary::{Summary, poll_delay};
use crate::batch::{Outcome, RemoteBatch, collect, local, price, submit};
use crate::cli::{BatchCommand, Cli};
use crate::conversation::{Exchange, Session};
use crate::error::{Failure, Kind, classify, usage};
use crate::output::{Meta, Printer};
use crate::plan::{self, Plan};
use crate::provider::{Answer, Endpoint, call::connection};
use crate::secret::Secret;
use crate::settings::{Env, Settings};
use crate::transport::{self, HeaderValue, Request};
use crate::{context, persona, schema};

pub fn run(action: BatchCommand, settings: &Settings) -> Result<()> {
    let store = Store::new(&settings.paths.data_dir);
    match action {
        BatchCommand::Submit {
            jobs,
            name,
            local,
            workers,
        } => submit_jobs(&store, &jobs, name, local.then_some(workers), settings),
        BatchCommand::Status { name } => status(&store, &name, None),
        BatchCommand::Wait { name, interval } => {
            status(&store, &name, Some((interval, settings.output.spinner)))
        }
        BatchCommand::Collect { name, json } => collect_batch(&store, &name, json),
        BatchCommand::Cancel { name } => cancel(&store, &name),
        BatchCommand::List => list(&store),
    }
}

/// A job as the arguments of the single call it stands for.
fn job_args(job: &Job) -> Vec<String> {
    let mut a = vec!["cellmage".to_string()];
    let mut flag = |name: &str, value: String| {
        a.push(name.to_string());
        a.push(value);
    };
    for s in &job.snippets {
        flag("--snippet", s.clone());
    }
    if let Some(v) = &job.persona {
        flag("--persona", v.clone());
    }
    if let Some(v) = &job.model {
        flag("--model", v.clone());
    }
    if let Some(v) = &job.system {
        flag("--sys-snippet", v.clone());
    }
    if let Some(v) = &job.output {
        flag("--output", v.display().to_string());
    }
    if let Some(v) = &job.write_files {
        flag("--write-files", v.display().to_string());
    }
    if let Some(v) = &job.conversation {
        flag("--conversation", v.clone());
    }
    if let Some(v) = job.schema_arg() {
        flag("--schema", v);
    }
    if let Some(v) = job.max_tokens {
        flag("--max-tokens", v.to_string());
    }
    if let Some(v) = job.temperature {
        flag("--temperature", v.to_string());
    }
    if let Some(v) = &job.extract {
        a.push(format!("--extract={v}"));
    }
    if job.output.is_some() {
        a.push("--mkdir".into());
    }
    a.push("--".into());
    a.push(job.prompt.clone());
    a
}

/// One job resolved as its single call: settings, persona, context, conversation, plan.
struct Resolved {
    settings: Settings,
    session: Session,
    plan: Plan,
}

fn resolve(id: &str, args: &[String], env: &Env) -> Result<Resolved> {
    let inner = || -> Result<Resolved> {
        let cli = Cli::try_parse_from(args).map_err(|e| {
            let text = e.to_string();
            usage(
                text.lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
                    .to_string(),
            )
        })?;
        let settings = Settings::resolve(&cli.ask_args(), env)?;
        let persona = match &settings.persona {
            Some(spec) => Some(persona::load(&spec.value, &settings.paths.personas_dirs)?),
            None => None,
        };
        let input = context::gather(&cli.ask, &settings, true)?;
        let session = Session::open(&settings)?;
        let mut plan = plan::build(&settings, persona.as_ref(), input, session.history())?;
        if let Some(s) = settings.schema.as_deref() {
            schema::attach(&mut plan.request, plan.endpoint.provider, s);
        }
        plan.request.stream = false;
        Ok(Resolved {
            settings,
            session,
            plan,
        })
    };
    inner().with_context(|| format!("job {id}"))
}

/// The provider's requests go through the transport with the endpoint's key and limits.
struct Transport {
    endpoint: Endpoint,
    key: Option<Secret>,
}

impl Transport {
    fn request(&self, path: &str, body: Option<String>, content_type: Option<&str>) -> Request {
        let base = self.endpoint.base_url.trim_end_matches('/');
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else if path.starts_with("/v1/") && base.ends_with("/v1") {
            format!("{}{path}", &base[..base.len() - 3])
        } else {
            format!("{base}{path}")
        };
        let mut headers = self
            .endpoint
            .provider
            .headers(&self.endpoint, self.key.as_ref());
        if let Some(ct) = content_type {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            headers.push(("Content-Type".into(), HeaderValue::Plain(ct.into())));
        }
        match body {
            Some(b) => Request::post(url, headers, b),
            None => Request::get(url, headers),
        }
    }

    fn send(&self, request: &Request) -> Result<Vec<u8>> {
        Ok(transport::fetch(request, &connection(&self.endpoint), 1 << 32)?.body)
    }
}

impl Http for Transport {
    fn get(&self, path: &str) -> Result<Vec<u8>> {
        self.send(&self.request(path, None, None))
    }

    fn post_json(&self, path: &str, body: &Value) -> Result<Value> {
        let bytes = self.send(&self.request(path, Some(body.to_string()), None))?;
        serde_json::from_slice(&bytes).context("the provider's answer is not JSON")
    }

    fn post_bytes(&self, path: &str, content_type: &str, body: Vec<u8>) -> Result<Value> {
        let body = String::from_utf8(body).context("the upload is not UTF-8")?;
        let bytes = self.send(&self.request(path, Some(body), Some(content_type)))?;
        serde_json::from_slice(&bytes).context("the provider's answer is not JSON")
    }
}

/// The provider batch API and transport of a resolved plan.
fn remote_of(plan: &Plan) -> Result<(&'static dyn BatchApi, Transport)> {
    let provider = plan.endpoint.provider;
    let api = provider.batch().ok_or_else(|| {
        usage(format!("the {} provider has no batch API", provider.name()))
            .hint("run the jobs here instead: cellmage batch submit --local JOBS")
    })?;
    let transport = Transport {
        key: plan.endpoint.key()?,
        endpoint: plan.endpoint.clone(),
    };
    Ok((api, transport))
}

fn submit_jobs(
    store: &Store,
    file: &Path,
    name: Option<String>,
    local: Option<usize>,
    settings: &Settings,
) -> Result<()> {
    let name = match name {
        Some(n) => n,
        None => file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    crate::batch::state::validate_name(&name)?;
    let _lock = store.lock(&name)?;
    if let Some(record) = store.load(&name)?
        && let Some(id) = record.batch_id()
    {
        return print(&format!(
            "batch {name} was already submitted as {id}; nothing sent\n"
        ));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
    let jobs = jobs::parse(&file.display().to_string(), &text)?;
    let env = Env::capture()?;
    let mut resolved = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let args = job_args(job);
        let r = resolve(&job.id, &args, &env)?;
        resolved.push((job.id.clone(), args, r));
    }
    let entries: Vec<JobEntry> = resolved
        .iter()
        .map(|(id, args, r)| JobEntry {
            id: id.clone(),
            model: r.plan.request.model.clone(),
            args: args.clone(),
        })
        .collect();
    let first = &resolved[0].2.plan.endpoint;
    let mode = match local {
        Some(workers) => Mode::Local { workers },
        None => Mode::Provider {
            provider: first.provider.name().into(),
            base_url: first.base_url.clone(),
        },
    };
    let mut record = match store.load(&name)? {
        Some(r) => r,
        None => Record {
            version: Record::VERSION,
            name: name.clone(),
            created: crate::conversation::now(),
            jobs_file: file.to_path_buf(),
            cwd: settings.paths.cwd.clone(),
            mode: mode.clone(),
            submit: Submit::Prepared,
            remote_status: None,
            jobs: entries,
        },
    };
    if let Some(workers) = local {
        store.save(&record)?;
        return finish_summary(&run_here(store, &record, workers)?, false);
    }
    for (id, _, r) in &resolved {
        let e = &r.plan.endpoint;
        if e.provider.name() != first.provider.name() || e.base_url != first.base_url {
            return Err(usage(format!(
                "job {id} goes to {} at {}, not {} at {}: a batch goes to one provider",
                e.provider.name(),
                e.base_url,
                first.provider.name(),
                first.base_url
            ))
            .into());
        }
    }
    let mut requests = Vec::with_capacity(resolved.len());
    for (id, _, r) in &resolved {
        let mut body = Vec::new();
        r.plan
            .endpoint
            .provider
            .write_body(&r.plan.request, &mut body, false)?;
        requests.push((id.clone(), serde_json::from_slice::<Value>(&body)?));
    }
    let (api, transport) = remote_of(&resolved[0].2.plan)?;
    store.save(&record)?;
    let nonce = crate::conversation::generate_id();
    let id = submit::submit(
        store,
        &mut record,
        api,
        &transport,
        &requests,
        &nonce,
        &crate::budget::headers::now_ms,
    )?;
    print(&format!(
        "submitted {name}: {} jobs as {} batch {id}\n",
        record.jobs.len(),
        api.provider()
    ))
}

/// `--local`: each job a child process of this binary (the same single call), through the
/// shared rate budget.
fn run_here(store: &Store, record: &Record, workers: usize) -> Result<Summary> {
    let exe = std::env::current_exe().context("cannot find the cellmage binary")?;
    local::run_local(store, record, workers, &|job| {
        let out = Command::new(&exe)
            .args(&job.args[1..])
            .current_dir(&record.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        let (status, reason) = match out {
            Ok(out) => {
                let reason = String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .find_map(|l| l.strip_prefix("cellmage: error: ").map(str::to_string));
                let status = match out.status.code() {
                    Some(0) => JobStatus::Written,
                    Some(3) => JobStatus::NothingToExtract,
                    Some(4) => JobStatus::Truncated,
                    _ => JobStatus::Failed,
                };
                (status, reason)
            }
            Err(e) => (JobStatus::Failed, Some(format!("cannot run cellmage: {e}"))),
        };
        Done {
            id: job.id.clone(),
            status,
            reason,
            cost: None,
            input_tokens: 0,
            output_tokens: 0,
        }
    })
}

fn load(store: &Store, name: &str) -> Result<Record> {
    crate::batch::state::validate_name(name)?;
    store.load(name)?.ok_or_else(|| {
        usage(format!("no batch named {name:?}"))
            .hint("cellmage batch list shows the batches")
            .into()
    })
}

/// The provider's side of a submitted batch: its API, transport and id.
fn remote(record: &Record) -> Result<Option<(&'static dyn BatchApi, Transport, String)>> {
    let Mode::Provider { .. } = record.mode else {
        return Ok(None);
    };
    let id = record.batch_id().map(str::to_string).ok_or_else(|| {
        usage(format!(
            "batch {} was not completely submitted",
            record.name
        ))
        .hint(format!(
            "submit it again: cellmage batch submit {} --name {}",
            record.jobs_file.display(),
            record.name
        ))
    })?;
    let env = Env::capture()?;
    let first = &record.jobs[0];
    let r = resolve(&first.id, &first.args, &env)?;
    let (api, transport) = remote_of(&r.plan)?;
    Ok(Some((api, transport, id)))
}

fn describe(name: &str, b: &RemoteBatch) -> String {
    format!(
        "{name}: {} ({} of {} succeeded, {} failed)\n",
        b.status, b.counts.succeeded, b.counts.total, b.counts.failed
    )
}

/// Shows the status; with `wait = Some((interval, progress))`, polls until the batch has
/// ended, with a progress line on a terminal.
fn status(store: &Store, name: &str, wait: Option<(f64, bool)>) -> Result<()> {
    let mut record = load(store, name)?;
    let Some((api, http, id)) = remote(&record)? else {
        let s = Summary::of(&record.jobs, &store.done(name)?);
        return print(&format!("{name}: local, {}", s.text()));
    };
    let (interval, progress) = wait.unwrap_or((0.0, false));
    let first = Duration::try_from_secs_f64(interval)
        .map_err(|_| usage(format!("invalid --interval {interval}")))?;
    let mut attempt = 0;
    loop {
        let b = api.retrieve(&http, &id)?;
        if record.remote_status.as_deref() != Some(&b.status) {
            record.remote_status = Some(b.status.clone());
            store.save(&record)?;
        }
        if wait.is_none() || b.phase.is_final() {
            if progress {
                eprint!("\r\x1b[2K");
            }
            return print(&describe(name, &b));
        }
        if progress {
            let done = b.counts.succeeded + b.counts.failed;
            let width = 30;
            let filled = (done * width).checked_div(b.counts.total).unwrap_or(0) as usize;
            eprint!(
                "\r\x1b[2K{name}: {} [{}{}] {done}/{}",
                b.status,
                "#".repeat(filled),
                "-".repeat(width as usize - filled),
                b.counts.total
            );
        }
        std::thread::sleep(poll_delay(attempt, first, Duration::from_secs(300)));
        attempt += 1;
    }
}

fn cancel(store: &Store, name: &str) -> Result<()> {
    let record = load(store, name)?;
    let Some((api, http, id)) = remote(&record)? else {
        return Err(usage(format!(
            "batch {name} runs locally; there is nothing to cancel"
        ))
        .into());
    };
    print(&describe(name, &api.cancel(&http, &id)?))
}

fn list(store: &Store) -> Result<()> {
    let mut out = String::new();
    for name in store.names()? {
        let Some(r) = store.load(&name)? else {
            continue;
        };
        let how = match &r.mode {
            Mode::Provider { provider, .. } => provider.clone(),
            Mode::Local { .. } => "local".into(),
        };
        out.push_str(&format!(
            "{name}\t{how}\t{}\t{} jobs\t{}\n",
            r.remote_status.as_deref().unwrap_or("-"),
            r.jobs.len(),
            r.created
        ));
    }
    print(&out)
}

fn collect_batch(store: &Store, name: &str, json: bool) -> Result<()> {
    let _lock = store.lock(name)?;
    let record = load(store, name)?;
    let Some((api, http, id)) = remote(&record)? else {
        return finish_summary(&Summary::of(&record.jobs, &store.done(name)?), json);
    };
    let batch = api.retrieve(&http, &id)?;
    if !batch.phase.is_final() {
        return Err(usage(format!("batch {name} is still {}", batch.status))
            .hint(format!("wait for it: cellmage batch wait {name}"))
            .into());
    }
    collect::fetch_results(store, &record, api, &http, &batch)?;
    std::env::set_current_dir(&record.cwd)
        .with_context(|| format!("cannot enter {}", record.cwd.display()))?;
    let env = Env::capture()?;
    let summary = collect::collect(store, &record, api, batch.phase, &mut |job, outcome| {
        finish_job(job, outcome, &env)
    })?;
    finish_summary(&summary, json)
}

/// Writes one job's answer as its single call would, and records it in its conversation.
fn finish_job(job: &JobEntry, outcome: Outcome, env: &Env) -> Done {
    let mut done = Done {
        id: job.id.clone(),
        status: JobStatus::Failed,
        reason: None,
        cost: None,
        input_tokens: 0,
        output_tokens: 0,
    };
    let body = match outcome {
        Outcome::Succeeded(body) => body,
        Outcome::Errored(reason) => {
            done.reason = Some(reason);
            return done;
        }
        Outcome::Cancelled => {
            done.status = JobStatus::Cancelled;
            return done;
        }
        Outcome::Expired => {
            done.status = JobStatus::Expired;
            return done;
        }
    };
    let written = (|| -> Result<()> {
        let r = resolve(&job.id, &job.args, env)?;
        let (text, finish_reason, usage, model) = r.plan.endpoint.provider.parse_response(&body)?;
        let answer = Answer {
            truncated: finish_reason.as_deref() == Some("length"),
            text,
            finish_reason,
            usage,
            model: model.unwrap_or_else(|| r.plan.request.model.clone()),
            duration: Duration::ZERO,
            retries: 0,
        };
        if let Some(u) = &usage {
            done.input_tokens = u.input_tokens;
            done.output_tokens = u.output_tokens;
        }
        let cost = usage.and_then(|u| price::batch_cost(&r.plan.info, &u));
        done.cost = cost;
        let mut output = r.settings.output.clone();
        output.status_line = false;
        output.spinner = false;
        // a job without -o, -x or --write-files is kept in its conversation only: its answer
        // counts as already shown, so collect's stdout holds the summary alone
        output.incremental = true;
        let printer = Printer::new(&output)?;
        if !answer.truncated || output.allow_truncated {
            r.session.record(&Exchange {
                time: crate::conversation::now(),
                model: r.plan.request.model.clone(),
                provider: r.plan.endpoint.provider.name().to_string(),
                persona: r.plan.persona.clone(),
                messages: r.plan.new_messages().to_vec(),
                answer: answer.text.clone(),
                usage: answer.usage,
                finish_reason: answer.finish_reason.clone(),
                cost,
                duration_ms: 0,
                base_url: Some(r.plan.endpoint.base_url.clone()),
            })?;
        }
        printer.finish(
            &answer,
            &Meta {
                conversation: r.session.id().map(str::to_string),
                cost,
                provider: r.plan.endpoint.provider.name().to_string(),
            },
        )
    })();
    match written {
        Ok(()) => done.status = JobStatus::Written,
        Err(e) => {
            done.status = match classify(&e).0 {
                Kind::NothingToExtract => JobStatus::NothingToExtract,
                Kind::Truncated => JobStatus::Truncated,
                _ => JobStatus::Failed,
            };
            done.reason = Some(format!("{e:#}"));
        }
    }
    done
}

/// Prints the summary; exit 12 unless every job was written.
fn finish_summary(summary: &Summary, json: bool) -> Result<()> {
    if json {
        print(&format!("{}\n", summary.json()))?;
    } else {
        print(&summary.text())?;
    }
    if summary.all_written() {
        return Ok(());
    }
    Err(Failure::new(
        Kind::Batch,
        format!(
            "{} of {} jobs were not written",
            summary.total - summary.written,
            summary.total
        ),
    )
    .into())
}
