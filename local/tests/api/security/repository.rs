//! Secrets in the repository: no tracked private key or cloud credential, and the template resolves secrets at run time.

use crate::support::*;
use std::process::Command;

#[test]
fn no_private_key_or_cloud_credential_is_tracked_and_the_template_resolves_secrets() {
    let root = local_stack::testing::template_path().parent().unwrap().to_path_buf();
    let listed = Command::new("git").arg("-C").arg(&root).args(["ls-files", "-z"]).output().expect("git");
    assert!(listed.status.success(), "git ls-files failed");
    let files: Vec<String> =
        String::from_utf8(listed.stdout).unwrap().split('\0').filter(|f| !f.is_empty()).map(str::to_owned).collect();
    assert!(files.len() > 50, "{files:?}");
    // Built at run time so that this file does not match itself.
    let begin = ["-----", "BEGIN"].concat();
    let private_key = ["PRIVATE KEY", "-----"].concat();
    let access_key_prefixes = [["AK", "IA"].concat(), ["AS", "IA"].concat()];
    let mut found = Vec::new();
    for file in &files {
        let lower = file.to_ascii_lowercase();
        if [".pem", ".key", ".p12", ".pfx", "id_rsa", ".env"].iter().any(|s| lower.ends_with(s)) {
            found.push(format!("{file}: a key or environment file is tracked"));
        }
        let Ok(text) = std::fs::read_to_string(root.join(file)) else { continue };
        for (number, line) in text.lines().enumerate() {
            let at = format!("{file}:{}", number + 1);
            if line.contains(&begin) && line.contains(&private_key) {
                found.push(format!("{at}: a PEM private key"));
            }
            for prefix in &access_key_prefixes {
                for (index, _) in line.match_indices(prefix.as_str()) {
                    let rest: String = line[index + 4..].chars().take(16).collect();
                    if rest.len() == 16 && rest.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
                        found.push(format!("{at}: an AWS access key id"));
                    }
                }
            }
            let lowered = line.to_ascii_lowercase();
            if let Some(index) = lowered.find("secret_access_key") {
                let value: String = line[index + "secret_access_key".len()..]
                    .trim_start_matches(|c: char| c == '=' || c == ':' || c == '"' || c == '\'' || c.is_whitespace())
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '+')
                    .collect();
                if value.len() >= 40 {
                    found.push(format!("{at}: an AWS secret access key"));
                }
            }
        }
    }
    assert!(found.is_empty(), "secrets in tracked files:\n{}", found.join("\n"));

    let template = local_stack::template::Template::load(local_stack::testing::template_path()).unwrap();
    use local_stack::template::EnvValue;
    // No secret in any function's configuration: not even a dynamic
    // reference, which CloudFormation resolves into the plain variable.
    let text = std::fs::read_to_string(local_stack::testing::template_path()).unwrap();
    assert!(
        !text.contains("{{resolve:"),
        "a {{{{resolve:...}}}} reference puts a secret into a function's configuration"
    );
    for name in ["DATABASE_SECRET_ID", "REDIS_AUTH_SECRET_ID", "JWT_PUBLIC_KEYS_SECRET_ID"] {
        assert!(matches!(template.environment.get(name), Some(EnvValue::Ref(_))), "{name} must name a secret");
    }
    assert!(!template.environment.keys().any(|k| k.starts_with("JWT_PRIVATE_KEY")), "a private key in the template");
    // Only the signing functions are given (and may read) the signing key.
    let signers: Vec<&str> = template
        .functions
        .iter()
        .filter(|f| f.environment.contains_key("JWT_SIGNING_KEY_SECRET_ID"))
        .map(|f| f.package.as_str())
        .collect();
    assert_eq!(signers, ["auth-signup", "auth-login"]);
    assert_eq!(text.matches("!Ref SigningKeyPolicy").count(), 2, "the signing key policy is for the two signers only");
    // Only db-migrate connects as the schema's owner, and only it may read that secret.
    let owners: Vec<&str> = template
        .functions
        .iter()
        .filter(|f| f.environment.contains_key("DATABASE_OWNER_SECRET_ID"))
        .map(|f| f.package.as_str())
        .collect();
    assert_eq!(owners, ["db-migrate"]);
    assert_eq!(
        text.matches("!Ref DatabaseOwnerSecretArn").count(),
        2,
        "the owner's secret is named by db-migrate's variable and db-migrate's policy only"
    );
    for (name, value) in &template.environment {
        let sensitive =
            ["PASSWORD", "SECRET", "PRIVATE", "TOKEN", "DATABASE_URL", "CREDENTIAL"].iter().any(|s| name.contains(s));
        let literal = match value {
            EnvValue::Literal(v) => Some(v.as_str()),
            EnvValue::Sub(v) if !v.contains("{{resolve:") => Some(v.as_str()),
            _ => None,
        };
        assert!(!(sensitive && literal.is_some()), "{name} is a literal in the template: {literal:?}");
        if let Some(v) = literal {
            assert!(!has_password(v), "{name} carries credentials: {v}");
        }
    }
    for (name, default) in &template.parameters {
        assert!(!has_password(default), "parameter {name} default carries a password");
        assert!(!default.contains(&begin), "parameter {name} default is a key");
    }
}
