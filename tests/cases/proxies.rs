//! Proxies from the environment: chosen by the URL's scheme, never for loopback, `NO_PROXY`
//! entries trimmed, SOCKS5 spoken, an unusable proxy refused with exit 2.

use crate::common::proxy::{FakeProxy, Protocol};
use crate::common::{FakeServer, Reply, TestEnv};

/// A host that cannot be resolved here: only a proxy can reach it.
const API: &str = "http://api.example.invalid/v1";

#[test]
fn the_proxy_is_chosen_by_the_urls_scheme() {
    let server = FakeServer::start(vec![Reply::openai("via http")]);
    let http = FakeProxy::start(Protocol::Connect, server.addr());
    let https = FakeProxy::start(Protocol::Connect, server.addr());
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_BASE", API)
        .set("HTTP_PROXY", &http.url("http"))
        .set("HTTPS_PROXY", &https.url("http"));
    let run = env.run(&["hi"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "via http\n"),
        "{}",
        run.stderr
    );
    assert_eq!(http.seen(), ["CONNECT api.example.invalid:80 HTTP/1.1"]);
    assert!(https.seen().is_empty(), "HTTPS_PROXY was used for http://");
}

#[test]
fn loopback_is_never_proxied() {
    let server = FakeServer::start(vec![Reply::openai("direct")]);
    let proxy = FakeProxy::start(Protocol::Connect, server.addr());
    let mut env = TestEnv::new().with_server(&server);
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        env.set(var, &proxy.url("http"));
    }
    env.run(&["hi"]).ok("direct\n");
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
}

#[test]
fn no_proxy_entries_are_trimmed() {
    let server = FakeServer::start(vec![Reply::openai("proxied")]).allow_unused();
    let proxy = FakeProxy::start(Protocol::Connect, server.addr());
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_BASE", API)
        .set("HTTP_PROXY", &proxy.url("http"))
        .set("NO_PROXY", "other.test, api.example.invalid ,x.test");
    // excepted from the proxy, the call goes direct, where the name does not resolve
    let run = env.run(&["--retries", "0", "hi"]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot resolve host api.example.invalid"),
        "{}",
        run.stderr
    );
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
}

#[test]
fn a_socks5_proxy_carries_the_call() {
    for (scheme, base, seen) in [
        ("socks5h", API, "api.example.invalid:80"),
        ("socks5", "http://192.0.2.10:8000/v1", "192.0.2.10:8000"),
    ] {
        let server = FakeServer::start(vec![Reply::openai("via socks")]);
        let proxy = FakeProxy::start(Protocol::Socks5, server.addr());
        let mut env = TestEnv::new();
        env.set("CELLMAGE_API_BASE", base)
            .set("ALL_PROXY", &proxy.url(scheme));
        let run = env.run(&["--retries", "0", "hi"]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, "via socks\n"),
            "{scheme}: {}",
            run.stderr
        );
        assert_eq!(proxy.seen(), [seen]);
    }
}

#[test]
fn an_unusable_proxy_is_refused_not_bypassed() {
    let server = FakeServer::start(vec![Reply::openai("direct")]).allow_unused();
    let mut env = TestEnv::new().with_server(&server);
    env.set("HTTPS_PROXY", "ftp://proxy.corp.test:21");
    let run = env.run(&["hi"]);
    run.fails(2, "HTTPS_PROXY is not a proxy cellmage can use");
    assert!(run.stderr.contains("socks5://"), "{}", run.stderr);
    assert_eq!(server.hits(), 0);
}
