//! The remote sources' [`Fetch`] over the transport: the same timeouts, retries, proxies,
//! TLS and redaction as provider calls; statuses a retry cannot help come back to the
//! source, which names what to set or what is missing.

use anyhow::Result;
use serde_json::Value;

use super::MAX_FILE_BYTES;
use super::remote::{ApiRequest, Fetch, Method, Response};
use crate::error::Failure;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::transport::{self, Connection, HeaderValue, Hints, Reading, retry};

pub static HINTS: Hints = Hints {
    auth: "set the source's token variable (cellmage snippets show SPEC explains)",
    not_found: "check the spec",
    too_large: "the source is too large",
    server: "the service failed; try again later",
    connect: "check the URL, the network, and HTTPS_PROXY/NO_PROXY",
    url: "check the URL",
    protocol: "is this URL the service's API?",
    timeout: "raise --timeout (or CELLMAGE_TIMEOUT) for a slow service",
};

/// How sources send their requests: the invocation's timeouts and retries.
pub fn connection(settings: &Settings) -> Connection {
    Connection {
        timeout: settings.timeout.value,
        total_timeout: settings.total_timeout.value,
        retry: retry::Policy {
            retries: settings.retries.value,
            base: settings.retry_backoff,
            max_wait: settings.retry_max_wait,
        },
        verbose: settings.output.verbose,
        hints: &HINTS,
        proxies: settings.proxies.clone(),
        gate: None,
    }
}

/// Sends requests through the transport.
pub struct Net<'a>(pub &'a Connection);

impl Fetch for Net<'_> {
    fn fetch(&self, request: &ApiRequest) -> Result<Response> {
        let mut headers: Vec<(String, HeaderValue)> = request
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::Plain(v.clone())))
            .collect();
        if let Some(auth) = &request.auth {
            let (name, value) = auth.header();
            headers.push((name, HeaderValue::Secret(Secret::new(value))));
        }
        let method = match request.method {
            Method::Put => Some("PUT"),
            Method::Patch => Some("PATCH"),
            Method::Get | Method::Post => None,
        };
        let exchange = match (request.method, &request.body) {
            (Method::Get, _) => transport::Request::get(&request.url, headers),
            (_, Some(body)) => transport::Request::post(&request.url, headers, body.to_string()),
            (method, body) => {
                return Err(Failure::new(
                    crate::error::Kind::Internal,
                    format!(
                        "{method:?} {} is not supported by the transport (body: {})",
                        request.url,
                        body.as_ref().unwrap_or(&Value::Null)
                    ),
                )
                .into());
            }
        };
        let reading = Reading {
            redirects: request.follow_redirects,
            method,
        };
        // One byte over the snippet limit, so that the budget can refuse a larger body.
        let fetched = transport::fetch_any(&exchange, self.0, MAX_FILE_BYTES + 1, reading)?;
        Ok(Response {
            status: fetched.status,
            headers: fetched.headers,
            body: fetched.body,
        })
    }
}

/// Whether `spec` is for `source`: its kind, by prefix or by host.
pub fn claims(source: &dyn super::Source, spec: &str, reader: &super::Reader<'_>) -> bool {
    let hosts = super::endpoints::Endpoints::of(reader.vars).hosts;
    super::spec::kind_of(spec, &hosts) == Some(source.kind())
}

/// The remote item `spec` names; a malformed spec is exit 2.
pub fn parse(spec: &str, e: &super::endpoints::Endpoints) -> Result<super::spec::Remote> {
    match super::spec::parse(spec, &e.hosts) {
        Ok(Some(remote)) => Ok(remote),
        Ok(None) => Err(crate::error::usage(format!("not a remote spec: {spec}")).into()),
        Err(bad) => Err(crate::error::usage(format!("bad snippet spec {}", bad.0))
            .hint("see cellmage --help for the forms of --snippet")
            .into()),
    }
}

/// Fetched snippets, each taken from the size budget as a file snippet is.
pub fn taken(
    snippets: Vec<super::Snippet>,
    reader: &mut super::Reader<'_>,
) -> Result<Vec<super::Snippet>> {
    for s in &snippets {
        reader
            .budget
            .take(std::path::Path::new(&s.label), s.text.len() as u64)?;
    }
    Ok(snippets)
}
