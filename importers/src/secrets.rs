//! Keeping secrets out of generated systems: anything that looks like a credential becomes a
//! `secret://` reference whose name is derived (deterministically) from the value's hash,
//! so two imports of the same input give the same output and the value itself is never written.

use sha2::{Digest, Sha256};

/// A deterministic reference for a secret value: `secret://<scope>/<first 12 hex of sha256>`
/// (the syntax itself is `claw_language::secret`'s).
pub fn reference(scope: &str, value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let scope: String = scope
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    claw_language::secret::format(&format!("{scope}/{}", &hex::encode(digest)[..12]))
}

/// Parameter names that hold credentials whatever their value looks like.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "api-key",
        "access_key",
        "private_key",
        "client_secret",
        "authorization",
        "auth_token",
        "bearer",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// Whether a value looks like a credential on its own (known token shapes, credentials in URLs).
pub fn looks_like_secret(value: &str) -> bool {
    let v = value.trim();
    let prefixes = [
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "ghp_",
        "gho_",
        "github_pat_",
        "glpat-",
        "AKIA",
        "ASIA",
        "AIza",
        "ya29.",
        "SG.",
        "key-",
        "shpat_",
        "shpss_",
    ];
    if prefixes
        .iter()
        .any(|p| v.starts_with(p) && v.len() >= p.len() + 8)
    {
        return true;
    }
    if v.starts_with("-----BEGIN") && v.contains("PRIVATE KEY") {
        return true;
    }
    if let Some(rest) = v.strip_prefix("Bearer ") {
        return rest.len() >= 16 && !rest.contains("{{");
    }
    if url_has_credentials(v) {
        return true;
    }
    // JWTs.
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3 && v.starts_with("eyJ") && parts.iter().all(|p| p.len() >= 8)
}

/// Whether a URL embeds `user:password@`.
pub fn url_has_credentials(v: &str) -> bool {
    if let Some((_, rest)) = v.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            return userinfo.contains(':') && !userinfo.ends_with(':');
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_deterministic_and_hide_the_value() {
        let a = reference("SlackAPI", "xoxb-123456789012-abcdef");
        assert_eq!(a, reference("SlackAPI", "xoxb-123456789012-abcdef"));
        assert!(a.starts_with("secret://slackapi/"));
        assert!(!a.contains("abcdef"));
    }

    #[test]
    fn detects_common_shapes() {
        assert!(looks_like_secret("sk_live_abcdefghijklmnop"));
        assert!(looks_like_secret("https://bob:hunter2@db.example.com/x"));
        assert!(!looks_like_secret("https://example.com/x"));
        assert!(!looks_like_secret("hello world"));
        assert!(is_secret_name("PGPASSWORD"));
    }
}
