//! A fake HTTP server on 127.0.0.1:0 whose replies come from a handler over shared state
//! (the stateful fakes: batch APIs, a rate-limited chat server), where `FakeServer` plays a
//! fixed script. Every request is recorded; dropping the server stops it.

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::server::{Recorded, Reply, read_request, respond};

pub type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

pub struct RoutedServer {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RoutedServer {
    pub fn start(handler: Handler) -> RoutedServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, stop2) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let (reqs, stop, handler) = (reqs.clone(), stop2.clone(), handler.clone());
                workers.push(std::thread::spawn(move || {
                    let Some(request) = read_request(&mut conn) else {
                        return;
                    };
                    reqs.lock().unwrap().push(request.clone());
                    let reply = handler(&request);
                    respond(&mut conn, reply, &stop);
                }));
                workers.retain(|w| !w.is_finished());
            }
            for w in workers {
                let _ = w.join();
            }
        });
        RoutedServer {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The base URL with `/v1` (an OpenAI-compatible API base).
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The root URL (what `ANTHROPIC_BASE_URL` holds).
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests had this method and a path starting with `prefix`.
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.method == method && r.path.starts_with(prefix))
            .count()
    }
}

impl Drop for RoutedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A JSON error reply in OpenAI's shape.
pub fn openai_error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        serde_json::json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}}),
    )
}

/// A JSON error reply in Anthropic's shape.
pub fn anthropic_error(status: u16, kind: &str, message: &str) -> Reply {
    Reply::json(
        status,
        serde_json::json!({"type": "error", "error": {"type": kind, "message": message}}),
    )
}
