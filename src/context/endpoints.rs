//! Where the remote sources are and what they send as credentials, resolved from variables
//! by a lookup function (settings owns the environment; this only interprets the values).
//!
//! GitHub's names are those GitHub Actions sets (`GITHUB_API_URL`, `GITHUB_SERVER_URL`,
//! `GITHUB_TOKEN`): <https://docs.github.com/en/actions/reference/variables-reference>;
//! GitLab's those GitLab CI sets (`CI_API_V4_URL`, `CI_SERVER_URL`, `CI_JOB_TOKEN`):
//! <https://docs.gitlab.com/ee/ci/variables/predefined_variables.html>; the Atlassian ones
//! are CellMage's.

use super::jira::Flavour;
use super::remote::Auth;
use super::spec::Hosts;
use crate::secret::Secret;

/// Every remote endpoint and credential, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoints {
    pub hosts: Hosts,
    /// GitHub REST base, default `https://api.github.com`.
    pub github_api: String,
    pub github_auth: Option<Auth>,
    /// GitLab REST v4 base: `CI_API_V4_URL`, else the web host + `/api/v4`.
    pub gitlab_api: String,
    pub gitlab_auth: Option<Auth>,
    /// The Jira API flavour and credentials, when complete.
    pub jira_auth: Option<(Flavour, Auth)>,
    pub confluence_auth: Option<Auth>,
}

/// A set, non-blank value.
fn set(var: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    var(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn base(url: String) -> String {
    url.trim_end_matches('/').to_string()
}

impl Endpoints {
    /// From the variables settings captured for the sources.
    pub fn of(vars: &super::Vars) -> Endpoints {
        Endpoints::from_vars(&|name| vars.get(name).map(|s| s.expose().to_string()))
    }

    /// Resolves everything from `var` (a variable's value, if set).
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Endpoints {
        let get = |name: &str| set(var, name);
        let github = base(get("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into()));
        let gitlab = base(
            get("GITLAB_URL")
                .or_else(|| get("CI_SERVER_URL"))
                .unwrap_or_else(|| "https://gitlab.com".into()),
        );
        let jira = get("JIRA_URL").map(base);
        let confluence = get("CONFLUENCE_URL")
            .map(base)
            .or_else(|| jira.as_ref().map(|j| format!("{j}/wiki")));
        let basic = |user: Option<String>, token: Option<String>| {
            Some(Auth::Basic {
                user: user?,
                token: Secret::new(token?),
            })
        };
        let jira_cloud = basic(get("JIRA_USER_EMAIL"), get("JIRA_API_TOKEN"));
        let jira_auth = jira_cloud
            .clone()
            .map(|a| (Flavour::Cloud, a))
            .or_else(|| get("JIRA_PAT").map(|t| (Flavour::Server, Auth::Bearer(Secret::new(t)))));
        let confluence_auth = basic(get("CONFLUENCE_USER_EMAIL"), get("CONFLUENCE_API_TOKEN"))
            .or_else(|| get("CONFLUENCE_PAT").map(|t| Auth::Bearer(Secret::new(t))))
            .or(jira_cloud);
        Endpoints {
            github_api: base(
                get("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
            ),
            github_auth: super::github::TOKEN_VARS
                .iter()
                .find_map(|name| get(name))
                .map(|t| Auth::Bearer(Secret::new(t))),
            gitlab_api: base(get("CI_API_V4_URL").unwrap_or_else(|| format!("{gitlab}/api/v4"))),
            gitlab_auth: super::gitlab::TOKENS.iter().find_map(|(name, header)| {
                get(name).map(|t| Auth::Header {
                    name: header,
                    token: Secret::new(t),
                })
            }),
            jira_auth,
            confluence_auth,
            hosts: Hosts {
                github,
                gitlab,
                jira,
                confluence,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Endpoints {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Endpoints::from_vars(&move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_without_any_variable() {
        let e = with(&[]);
        assert_eq!(e.hosts, Hosts::default());
        assert_eq!(e.github_api, "https://api.github.com");
        assert_eq!(e.gitlab_api, "https://gitlab.com/api/v4");
        assert_eq!(
            (e.github_auth, e.gitlab_auth, e.jira_auth, e.confluence_auth),
            (None, None, None, None)
        );
    }

    #[test]
    fn ci_variables_as_github_actions_and_gitlab_ci_set_them() {
        let e = with(&[
            ("GITHUB_SERVER_URL", "https://ghe.example.com/"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3"),
            ("GH_TOKEN", "gh-token"),
            ("CI_SERVER_URL", "https://gl.example.com"),
            ("CI_API_V4_URL", "https://gl.example.com/api/v4"),
            ("CI_JOB_TOKEN", "job"),
        ]);
        assert_eq!(e.hosts.github, "https://ghe.example.com");
        assert_eq!(e.github_api, "https://ghe.example.com/api/v3");
        assert_eq!(e.github_auth.unwrap().header().1, "Bearer gh-token");
        assert_eq!(e.hosts.gitlab, "https://gl.example.com");
        assert_eq!(
            e.gitlab_auth.unwrap().header(),
            ("JOB-TOKEN".into(), "job".into())
        );
        // GITHUB_TOKEN wins over GH_TOKEN, GITLAB_TOKEN over CI_JOB_TOKEN.
        let e = with(&[
            ("GITHUB_TOKEN", "a"),
            ("GH_TOKEN", "b"),
            ("GITLAB_TOKEN", "p"),
            ("CI_JOB_TOKEN", "j"),
            ("GITLAB_URL", "https://gitlab.acme.io"),
        ]);
        assert_eq!(e.github_auth.unwrap().header().1, "Bearer a");
        assert_eq!(
            e.gitlab_auth.unwrap().header(),
            ("PRIVATE-TOKEN".into(), "p".into())
        );
        assert_eq!(e.gitlab_api, "https://gitlab.acme.io/api/v4");
    }

    #[test]
    fn atlassian_cloud_and_server() {
        let e = with(&[
            ("JIRA_URL", "https://acme.atlassian.net/"),
            ("JIRA_USER_EMAIL", "me@acme.io"),
            ("JIRA_API_TOKEN", "t"),
        ]);
        assert_eq!(e.hosts.jira.as_deref(), Some("https://acme.atlassian.net"));
        assert_eq!(
            e.hosts.confluence.as_deref(),
            Some("https://acme.atlassian.net/wiki")
        );
        assert_eq!(e.jira_auth.as_ref().unwrap().0, Flavour::Cloud);
        // Confluence defaults to the Jira pair.
        assert_eq!(e.confluence_auth, e.jira_auth.map(|(_, a)| a));
        let e = with(&[
            ("JIRA_URL", "https://jira.corp"),
            ("JIRA_PAT", "pat"),
            ("CONFLUENCE_URL", "https://wiki.corp"),
            ("CONFLUENCE_PAT", "cpat"),
        ]);
        let (flavour, auth) = e.jira_auth.unwrap();
        assert_eq!(
            (flavour, auth.header().1),
            (Flavour::Server, "Bearer pat".to_string())
        );
        assert_eq!(e.confluence_auth.unwrap().header().1, "Bearer cpat");
        assert_eq!(e.hosts.confluence.as_deref(), Some("https://wiki.corp"));
        // An incomplete pair is no credential.
        assert_eq!(with(&[("JIRA_USER_EMAIL", "me")]).jira_auth, None);
    }
}
