//! A path-routing fake HTTP API on 127.0.0.1:0 for the remote context sources (GitHub,
//! GitLab, Jira, Confluence, plain web pages). Each route matches a method and either an
//! exact path with its query or a path prefix, optionally a header value (GitHub serves the
//! JSON and the diff of a pull request at one path, told apart by `Accept`); the first
//! matching route answers with its next scripted reply (the last repeats). Unmatched
//! requests get 404 `{"message": "Not Found"}`. Every request is recorded. Dropping the
//! server stops it and fails the test if it was never hit (unless `allow_unused`).

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::Value;

use super::server::{Recorded, Reply, read_request, respond};

/// What part of the request target a route compares.
#[derive(Clone, Debug)]
enum Target {
    /// The path and query exactly.
    Exact(String),
    /// The path (query ignored) starting with this.
    Prefix(String),
}

/// One route: method, target, optional header condition, scripted replies.
#[derive(Debug)]
pub struct Route {
    method: String,
    target: Target,
    header: Option<(String, String)>,
    replies: Vec<Reply>,
    next: AtomicUsize,
}

impl Route {
    /// `METHOD` on exactly this path and query (`/repos/o/r/pulls/1?per_page=100`).
    pub fn exact(method: &str, target: &str, reply: Reply) -> Route {
        Route::new(method, Target::Exact(target.into()), vec![reply])
    }

    /// `METHOD` on any path starting with `prefix`, whatever the query.
    pub fn prefix(method: &str, prefix: &str, reply: Reply) -> Route {
        Route::new(method, Target::Prefix(prefix.into()), vec![reply])
    }

    fn new(method: &str, target: Target, replies: Vec<Reply>) -> Route {
        Route {
            method: method.to_ascii_uppercase(),
            target,
            header: None,
            replies,
            next: AtomicUsize::new(0),
        }
    }

    /// Only when the request has this header containing `value` (case-insensitive name).
    pub fn when_header(mut self, name: &str, value: &str) -> Route {
        self.header = Some((name.into(), value.into()));
        self
    }

    /// These replies in turn (the last one repeats) instead of one.
    pub fn then(mut self, reply: Reply) -> Route {
        self.replies.push(reply);
        self
    }

    fn matches(&self, r: &Recorded) -> bool {
        let path = r.path.split('?').next().unwrap_or(&r.path);
        let target = match &self.target {
            Target::Exact(t) => r.path == *t,
            Target::Prefix(p) => path.starts_with(p.as_str()),
        };
        let header = self
            .header
            .as_ref()
            .is_none_or(|(k, v)| r.header(k).is_some_and(|h| h.contains(v.as_str())));
        self.method == r.method && target && header
    }

    fn reply(&self) -> Reply {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        self.replies[i.min(self.replies.len() - 1)].clone()
    }
}

/// A reply with this status, `Content-Type` and body.
pub fn typed(status: u16, content_type: &str, body: &str) -> Reply {
    Reply::Http {
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.into(),
    }
}

/// A JSON reply whose body is a file of `tests/data/sources/`.
pub fn fixture(status: u16, name: &str) -> Reply {
    Reply::json(status, fixture_json(name))
}

/// A file of `tests/data/sources/` as JSON.
pub fn fixture_json(name: &str) -> Value {
    let path = format!("{}/tests/data/sources/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub struct FakeApi {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    allow_unused: bool,
}

impl FakeApi {
    pub fn start(routes: Vec<Route>) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let routes = Arc::new(routes);
        let (reqs, stop2) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (reqs, routes, stop) = (reqs.clone(), routes.clone(), stop2.clone());
                workers.push(std::thread::spawn(move || {
                    serve(conn, &reqs, &routes, &stop)
                }));
            }
            for w in workers {
                let _ = w.join();
            }
        });
        FakeApi {
            addr,
            requests,
            stop,
            thread: Some(thread),
            allow_unused: false,
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash: what `GITHUB_API_URL`, `JIRA_URL`… hold.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests whose path (query included) starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    pub fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// For tests that assert nothing was sent.
    pub fn allow_unused(mut self) -> FakeApi {
        self.allow_unused = true;
        self
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if !std::thread::panicking() && !self.allow_unused {
            assert!(
                !self.requests.lock().unwrap().is_empty(),
                "the fake API was never called"
            );
        }
    }
}

fn serve(mut conn: TcpStream, reqs: &Mutex<Vec<Recorded>>, routes: &[Route], stop: &AtomicBool) {
    if stop.load(Ordering::SeqCst) {
        return;
    }
    let Some(request) = read_request(&mut conn) else {
        return;
    };
    let reply = routes
        .iter()
        .find(|r| r.matches(&request))
        .map(Route::reply)
        .unwrap_or_else(|| Reply::json(404, serde_json::json!({"message": "Not Found"})));
    reqs.lock().unwrap().push(request);
    respond(&mut conn, reply, stop);
}
