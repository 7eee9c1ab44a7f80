//! The fake batch APIs and the rate-limited server, driven through cellmage's own request
//! and response shapes (`cellmage::batch`, `cellmage::budget`) over HTTP: the shapes and
//! the fakes agree, and the shared budget keeps threads under a server's limit.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cellmage::batch::{Outcome, Phase, anthropic, openai};
use cellmage::budget::{Acquired, Budget, BudgetKey, ClientLimits};
use serde_json::{Value, json};

use crate::common::batch_api::{Behaviour, FakeBatchApi};
use crate::common::rate_limited::{Flavour, RateLimitedServer};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// `(status, body)` of a request with an OpenAI key.
fn call(method: &str, url: &str, body: Option<(&str, Vec<u8>)>, anthropic: bool) -> (u16, String) {
    let agent = agent();
    let auth = |r: ureq::RequestBuilder<_>| {
        if anthropic {
            r.header("x-api-key", "sk-ant-test")
                .header("anthropic-version", "2023-06-01")
        } else {
            r.header("Authorization", "Bearer sk-test")
        }
    };
    let mut response = match (method, body) {
        ("GET", _) => auth(agent.get(url).force_send_body()).send_empty(),
        (_, Some((ct, bytes))) => auth(agent.post(url))
            .header("Content-Type", ct)
            .send(&bytes[..]),
        (_, None) => auth(agent.post(url)).send_empty(),
    }
    .expect("request");
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

fn chat_body(prompt: &str) -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]})
}

/// Upload, create, poll to the end; the ended batch.
fn openai_run(api: &FakeBatchApi, ids: &[&str]) -> cellmage::batch::RemoteBatch {
    let base = api.server.url();
    let jsonl: String = ids
        .iter()
        .map(|id| openai::request_line(id, &chat_body(id)))
        .collect();
    let (ct, body) = openai::upload_body("cellmage-t-1.jsonl", jsonl.as_bytes(), "b0und");
    let (status, text) = call(
        "POST",
        &format!("{base}{}", openai::files_path()),
        Some((&ct, body)),
        false,
    );
    assert_eq!(status, 200, "{text}");
    let file_id = openai::parse_file(&json_of(&text)).unwrap();
    let create = openai::create_body(&file_id, "t").to_string().into_bytes();
    let (status, text) = call(
        "POST",
        &format!("{base}{}", openai::batches_path()),
        Some(("application/json", create)),
        false,
    );
    assert_eq!(status, 200, "{text}");
    let batch = openai::parse_batch(&json_of(&text)).unwrap();
    assert_eq!(batch.status, "validating");
    for _ in 0..10 {
        let (_, text) = call(
            "GET",
            &format!("{base}{}", openai::batch_path(&batch.id)),
            None,
            false,
        );
        let b = openai::parse_batch(&json_of(&text)).unwrap();
        if b.phase.is_final() {
            return b;
        }
    }
    panic!("the batch never ended");
}

fn openai_results(api: &FakeBatchApi, file_id: Option<&str>) -> Vec<(String, Outcome)> {
    let Some(id) = file_id else { return Vec::new() };
    let (status, text) = call(
        "GET",
        &format!("{}{}", api.server.url(), openai::file_content_path(id)),
        None,
        false,
    );
    assert_eq!(status, 200);
    text.lines()
        .map(|l| openai::parse_result_line(l).unwrap())
        .map(|r| (r.custom_id, r.outcome))
        .collect()
}

#[test]
fn openai_batch_with_partial_failure() {
    let api = FakeBatchApi::openai(Behaviour {
        polls: 2,
        failing: vec!["b".into()],
        ..Behaviour::default()
    });
    let ended = openai_run(&api, &["a", "b", "c"]);
    assert_eq!(ended.phase, Phase::Ended);
    assert_eq!(
        (
            ended.counts.total,
            ended.counts.succeeded,
            ended.counts.failed
        ),
        (3, 2, 1)
    );
    let ok = openai_results(&api, ended.output_file_id.as_deref());
    assert_eq!(ok.len(), 2);
    let Outcome::Succeeded(body) = &ok[0].1 else {
        panic!()
    };
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "```python\nprint(\"a\")\n```\n"
    );
    let errors = openai_results(&api, ended.error_file_id.as_deref());
    assert_eq!(
        errors,
        [(
            "b".to_string(),
            Outcome::Errored("HTTP 400: request b failed on purpose".into())
        )]
    );
    // a lost answer is found again: the upload by its name, the batch by its input file
    let (_, files) = call(
        "GET",
        &format!("{}{}", api.server.url(), openai::batch_files_path()),
        None,
        false,
    );
    let file_id = openai::find_file(&json_of(&files), "cellmage-t-1.jsonl").unwrap();
    let (_, list) = call(
        "GET",
        &format!("{}{}", api.server.url(), openai::list_batches_path()),
        None,
        false,
    );
    assert_eq!(
        openai::find_batch(&json_of(&list), &file_id).unwrap().id,
        ended.id
    );
    assert_eq!(api.requests_of_only_batch()[1].1, chat_body("b"));
}

#[test]
fn openai_batch_expiry_and_cancel() {
    let api = FakeBatchApi::openai(Behaviour {
        expire: true,
        ..Behaviour::default()
    });
    let ended = openai_run(&api, &["a", "b", "c", "d"]);
    assert_eq!(ended.phase, Phase::Expired);
    let errors = openai_results(&api, ended.error_file_id.as_deref());
    assert_eq!(
        errors
            .iter()
            .filter(|(_, o)| *o == Outcome::Expired)
            .count(),
        2
    );

    let api = FakeBatchApi::openai(Behaviour {
        polls: 100,
        ..Behaviour::default()
    });
    let base = api.server.url();
    let jsonl: String = ["a", "b"]
        .iter()
        .map(|id| openai::request_line(id, &chat_body(id)))
        .collect();
    let (ct, body) = openai::upload_body("f.jsonl", jsonl.as_bytes(), "x");
    let (_, text) = call("POST", &format!("{base}/files"), Some((&ct, body)), false);
    let create = openai::create_body(&openai::parse_file(&json_of(&text)).unwrap(), "t");
    let (_, text) = call(
        "POST",
        &format!("{base}/batches"),
        Some(("application/json", create.to_string().into_bytes())),
        false,
    );
    let id = openai::parse_batch(&json_of(&text)).unwrap().id;
    let (_, text) = call(
        "POST",
        &format!("{base}{}", openai::cancel_path(&id)),
        None,
        false,
    );
    assert_eq!(
        openai::parse_batch(&json_of(&text)).unwrap().phase,
        Phase::Cancelling
    );
    let (_, text) = call(
        "GET",
        &format!("{base}{}", openai::batch_path(&id)),
        None,
        false,
    );
    let b = openai::parse_batch(&json_of(&text)).unwrap();
    assert_eq!(b.phase, Phase::Cancelled);
    let errors = openai_results(&api, b.error_file_id.as_deref());
    assert_eq!(errors, [("b".to_string(), Outcome::Cancelled)]);
}

#[test]
fn openai_fake_refuses_what_the_api_refuses() {
    let api = FakeBatchApi::openai(Behaviour::default());
    let base = api.server.url();
    let bad = json!({"input_file_id": "file-none", "endpoint": "/v1/chat/completions", "completion_window": "24h"});
    let (status, text) = call(
        "POST",
        &format!("{base}/batches"),
        Some(("application/json", bad.to_string().into_bytes())),
        false,
    );
    assert_eq!(status, 400, "{text}");
    let (status, _) = ureq_no_auth(&format!("{base}/batches/x"));
    assert_eq!(status, 401);
}

fn ureq_no_auth(url: &str) -> (u16, String) {
    let mut r = agent().get(url).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

#[test]
fn anthropic_batch_results_partial_failure_expiry_cancel() {
    let api = FakeBatchApi::anthropic(Behaviour {
        failing: vec!["b".into()],
        expire: true,
        ..Behaviour::default()
    });
    let root = api.server.root_url();
    let params = json!({"model": "claude-x", "max_tokens": 100, "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let body = anthropic::create_body(["a", "b", "c", "d"].map(|id| (id, &params)));
    let (status, text) = call(
        "POST",
        &format!("{root}{}", anthropic::batches_path()),
        Some(("application/json", body.to_string().into_bytes())),
        true,
    );
    assert_eq!(status, 200, "{text}");
    let b = anthropic::parse_batch(&json_of(&text)).unwrap();
    assert_eq!((b.phase, b.counts.total), (Phase::Running, 4));
    assert!(api.requests_of_only_batch()[0].1.get("stream").is_none());
    let since = cellmage::budget::headers::now_ms() - 2000;
    let (_, list) = call(
        "GET",
        &format!("{root}{}", anthropic::list_batches_path()),
        None,
        true,
    );
    assert_eq!(
        anthropic::find_batch(&json_of(&list), since, 4).unwrap().id,
        b.id
    );
    let (_, text) = call(
        "GET",
        &format!("{root}{}", anthropic::batch_path(&b.id)),
        None,
        true,
    );
    assert_eq!(
        anthropic::parse_batch(&json_of(&text)).unwrap().phase,
        Phase::Running
    );
    let (_, text) = call(
        "GET",
        &format!("{root}{}", anthropic::batch_path(&b.id)),
        None,
        true,
    );
    let ended = anthropic::parse_batch(&json_of(&text)).unwrap();
    assert_eq!(ended.phase, Phase::Expired);
    let (status, results) = call("GET", ended.results_url.as_deref().unwrap(), None, true);
    assert_eq!(status, 200);
    let outcomes: Vec<(String, Outcome)> = results
        .lines()
        .map(|l| anthropic::parse_result_line(l).unwrap())
        .map(|r| (r.custom_id, r.outcome))
        .collect();
    assert!(
        matches!(&outcomes[0].1, Outcome::Succeeded(m) if m["content"][0]["text"].as_str().unwrap().contains("print"))
    );
    assert_eq!(
        outcomes[1].1,
        Outcome::Errored("request b failed on purpose".into())
    );
    assert_eq!(outcomes[2].1, Outcome::Expired);

    let api = FakeBatchApi::anthropic(Behaviour {
        polls: 100,
        ..Behaviour::default()
    });
    let root = api.server.root_url();
    let body = anthropic::create_body(["a", "b"].map(|id| (id, &params)));
    let (_, text) = call(
        "POST",
        &format!("{root}/v1/messages/batches"),
        Some(("application/json", body.to_string().into_bytes())),
        true,
    );
    let id = anthropic::parse_batch(&json_of(&text)).unwrap().id;
    let (_, text) = call(
        "POST",
        &format!("{root}{}", anthropic::cancel_path(&id)),
        None,
        true,
    );
    assert_eq!(
        anthropic::parse_batch(&json_of(&text)).unwrap().phase,
        Phase::Cancelling
    );
    let (_, text) = call(
        "GET",
        &format!("{root}{}", anthropic::batch_path(&id)),
        None,
        true,
    );
    let b = anthropic::parse_batch(&json_of(&text)).unwrap();
    assert_eq!(b.phase, Phase::Cancelled);
    let (_, results) = call("GET", b.results_url.as_deref().unwrap(), None, true);
    assert!(results.lines().nth(1).unwrap().contains("\"canceled\""));
}

#[test]
fn rate_limited_server_answers_429_beyond_its_limit_with_headers() {
    for flavour in [Flavour::OpenAi, Flavour::Anthropic] {
        let server = RateLimitedServer::start(flavour, 3, Duration::from_secs(2));
        let mut last = None;
        for _ in 0..5 {
            let r = agent()
                .post(&format!("{}/chat/completions", server.server.url()))
                .send_empty()
                .unwrap();
            let headers: Vec<(String, String)> = r
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
                .collect();
            last = Some((r.status().as_u16(), headers));
        }
        assert_eq!((server.ok(), server.limited()), (3, 2));
        let (status, headers) = last.unwrap();
        assert_eq!(status, 429);
        assert!(
            headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        );
        let learnt = cellmage::budget::headers::parse(
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            cellmage::budget::headers::now_ms(),
        );
        let w = learnt.requests.expect("the headers parse");
        assert_eq!((w.limit, w.remaining), (3, 0));
        assert!(w.reset_ms <= cellmage::budget::headers::now_ms() + 3000);
    }
}

/// 30 threads, each with its own `Budget` on one shared directory (as 30 processes would
/// open it), against 10 requests per 2 s: almost no 429, and close to the 4 s minimum.
#[test]
fn shared_budget_keeps_threads_under_the_limit() {
    let server = RateLimitedServer::start(Flavour::OpenAi, 10, Duration::from_secs(2));
    let dir = tempfile::tempdir().unwrap();
    let key = BudgetKey::new("openai", &server.server.url(), "sk-test");
    let url = Arc::new(format!("{}/chat/completions", server.server.url()));
    let started = Instant::now();
    let threads: Vec<_> = (0..30)
        .map(|_| {
            let (dir, key, url) = (dir.path().to_path_buf(), key.clone(), url.clone());
            std::thread::spawn(move || {
                let budget = Budget::open(&dir, &key, ClientLimits::default()).unwrap();
                let deadline = SystemTime::now() + Duration::from_secs(30);
                let Acquired::Go(ticket) = budget.acquire(10, deadline, |_| {}).unwrap() else {
                    panic!("out of time")
                };
                let r = agent().post(url.as_str()).send_empty().unwrap();
                let headers: Vec<(String, String)> = r
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
                    .collect();
                budget
                    .observe(
                        ticket,
                        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    )
                    .unwrap();
                r.status().as_u16()
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let elapsed = started.elapsed();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    assert!(limited <= 2, "{limited} answers were 429");
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    eprintln!("30 calls, 10 per 2 s: {elapsed:?}, {limited} × 429");
}

/// The transport the batch steps need, over ureq, as the fakes' clients.
struct TestHttp {
    base: String,
    anthropic: bool,
    timeout: Option<Duration>,
}

impl TestHttp {
    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> anyhow::Result<Vec<u8>> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(self.timeout)
            .build()
            .into();
        let url = self.url(path);
        let auth = |r: ureq::RequestBuilder<_>| {
            if self.anthropic {
                r.header("x-api-key", "sk-ant-test")
                    .header("anthropic-version", "2023-06-01")
            } else {
                r.header("Authorization", "Bearer sk-test")
            }
        };
        let mut response = match (method, body) {
            ("GET", _) => auth(agent.get(&url).force_send_body()).send_empty()?,
            (_, Some((ct, bytes))) => auth(agent.post(&url))
                .header("Content-Type", ct)
                .send(&bytes[..])?,
            (_, None) => auth(agent.post(&url)).send_empty()?,
        };
        let status = response.status().as_u16();
        let bytes = response.body_mut().read_to_vec()?;
        anyhow::ensure!(
            status == 200,
            "HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        Ok(bytes)
    }
}

impl cellmage::batch::api::Http for TestHttp {
    fn get(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        self.send("GET", path, None)
    }
    fn post_json(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let bytes = self.send(
            "POST",
            path,
            Some(("application/json", body.to_string().into_bytes())),
        )?;
        Ok(serde_json::from_slice(&bytes)?)
    }
    fn post_bytes(&self, path: &str, content_type: &str, body: Vec<u8>) -> anyhow::Result<Value> {
        Ok(serde_json::from_slice(&self.send(
            "POST",
            path,
            Some((content_type, body)),
        )?)?)
    }
}

fn new_record(name: &str, provider: &str) -> cellmage::batch::state::Record {
    use cellmage::batch::state::{JobEntry, Mode, Record, Submit};
    Record {
        version: Record::VERSION,
        name: name.into(),
        created: "2026-12-02T18:00:00Z".into(),
        jobs_file: "JOBS.jsonl".into(),
        cwd: "/".into(),
        mode: Mode::Provider {
            provider: provider.into(),
            base_url: String::new(),
        },
        submit: Submit::Prepared,
        remote_status: None,
        jobs: ["a", "b", "c"]
            .iter()
            .map(|id| JobEntry {
                id: id.to_string(),
                model: "m".into(),
                args: Vec::new(),
            })
            .collect(),
    }
}

/// Each provider's API through the submit steps, with the create's answer lost (the client
/// gives up while the fake is still answering, after it created the batch): the resumed
/// submit finds that batch and creates no second one; then results are collected.
#[test]
fn submit_with_a_lost_create_answer_makes_one_batch() {
    use cellmage::batch::{api, state::Store, submit::submit};
    for provider in ["openai", "anthropic"] {
        let how = Behaviour {
            slow_create: Duration::from_millis(1500),
            failing: vec!["b".into()],
            ..Behaviour::default()
        };
        let (fake, base) = if provider == "openai" {
            let f = FakeBatchApi::openai(how);
            let base = f.server.url();
            (f, base)
        } else {
            let f = FakeBatchApi::anthropic(how);
            let base = f.server.root_url();
            (f, base)
        };
        let api: &dyn api::BatchApi = if provider == "openai" {
            &cellmage::batch::openai::Api
        } else {
            &cellmage::batch::anthropic::Api
        };
        let impatient = TestHttp {
            base: base.clone(),
            anthropic: provider == "anthropic",
            timeout: Some(Duration::from_millis(300)),
        };
        let patient = TestHttp {
            base: base.clone(),
            anthropic: provider == "anthropic",
            timeout: Some(Duration::from_secs(10)),
        };
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let mut record = new_record("t", provider);
        let requests: Vec<(String, Value)> = ["a", "b", "c"]
            .iter()
            .map(|id| (id.to_string(), json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": id}]})))
            .collect();
        let now = cellmage::budget::headers::now_ms;
        let first = submit(&store, &mut record, api, &impatient, &requests, "n1", &now);
        assert!(
            first.is_err(),
            "{provider}: the create answer should be lost"
        );
        let mut record = store.load("t").unwrap().unwrap();
        let id = submit(&store, &mut record, api, &patient, &requests, "n2", &now).unwrap();
        assert_eq!(fake.batches_created(), 1, "{provider}");
        assert!(fake.uploads() <= 1);
        // poll to the end, then read every result
        let mut batch = api.retrieve(&patient, &id).unwrap();
        while !batch.phase.is_final() {
            batch = api.retrieve(&patient, &id).unwrap();
        }
        let results = api.results(&patient, &batch).unwrap();
        let mut lines: Vec<(String, bool)> = String::from_utf8(results)
            .unwrap()
            .lines()
            .map(|l| api.parse_result_line(l).unwrap())
            .map(|r| (r.custom_id, matches!(r.outcome, Outcome::Succeeded(_))))
            .collect();
        lines.sort();
        assert_eq!(
            lines,
            [("a".into(), true), ("b".into(), false), ("c".into(), true)],
            "{provider}"
        );
    }
}
