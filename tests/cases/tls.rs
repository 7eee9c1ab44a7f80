//! TLS through the platform's verifier: a private CA named by `SSL_CERT_FILE` is trusted,
//! an untrusted certificate fails at once (not retried) with a hint that names the fix.

use crate::common::tls::{TlsFront, data};
use crate::common::{FakeServer, Reply, TestEnv};

#[test]
fn a_private_ca_in_ssl_cert_file_is_trusted() {
    let server = FakeServer::start(vec![Reply::openai("over TLS")]);
    let front = TlsFront::start(server.addr());
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_BASE", &front.url())
        .set("SSL_CERT_FILE", data("ca.pem").to_str().unwrap());
    env.run(&["hi"]).ok("over TLS\n");
}

#[test]
fn an_untrusted_certificate_is_not_retried_and_names_the_fix() {
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let front = TlsFront::start(server.addr());
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_BASE", &front.url())
        .set("SSL_CERT_FILE", data("server.pem").to_str().unwrap());
    let run = env.run(&["--retries", "3", "hi"]);
    run.fails(7, "the TLS certificate of 127.0.0.1 is not trusted");
    assert!(run.stderr.contains("SSL_CERT_FILE"), "{}", run.stderr);
    assert_eq!(front.connections(), 1, "a certificate error was retried");
    assert_eq!(server.hits(), 0);
}
