//! Keeping secrets out of generated systems: anything that looks like a credential becomes a
//! `secret://` reference whose name is derived (deterministically) from the value's hash,
//! so two imports of the same input give the same output and the value itself is never written.

pub mod code;

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

/// How strongly a name says that its value is a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameClass {
    /// Nothing in the name suggests a credential.
    None,
    /// `token`, `authorization`, `bearer`: often a credential, but also `token_type`-like settings, so the
    /// value must look like a token too.
    Weak,
    /// `password`, `secret`, `api_key`, `private_key`: a credential whatever it looks like,
    /// unless it is a number too short to be one, a boolean or a template.
    Strong,
}

/// The lowercase words of a name: `maxTokens`, `max-tokens` and `MAX_TOKENS` all give
/// `["max", "tokens"]`.
fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Words that make a credential-sounding name describe something else: a count, a limit, a
/// kind, a location or a lifetime (`max_tokens`, `token_count`, `token_type`, `secret_name`).
const QUALIFIERS: &[&str] = &[
    "id",
    "ids",
    "max",
    "min",
    "count",
    "limit",
    "limits",
    "length",
    "len",
    "num",
    "number",
    "total",
    "size",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "lifetime",
    "type",
    "kind",
    "name",
    "names",
    "url",
    "uri",
    "endpoint",
    "path",
    "file",
    "field",
    "header",
    "mode",
    "method",
    "scheme",
    "required",
    "enabled",
    "usage",
    "used",
    "tokens",
    "secrets",
    "passwords",
    "keys",
];

fn name_class(name: &str) -> NameClass {
    let words = name_words(name);
    if words.iter().any(|w| QUALIFIERS.contains(&w.as_str())) {
        return NameClass::None;
    }
    // Glued names (`PGPASSWORD`, `apikey`, `x-api-key`) are matched on the whole lowercase name.
    let n: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let strong = [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "apikey",
        "accesskey",
        "privatekey",
        "credential",
        "basicauth",
    ];
    if strong.iter().any(|k| n.contains(k)) || words.iter().any(|w| w == "pwd") {
        return NameClass::Strong;
    }
    let weak = ["token", "authorization", "bearer"];
    if weak.iter().any(|k| n.contains(k)) {
        return NameClass::Weak;
    }
    NameClass::None
}

/// Names that say their value is probably a credential (`PGPASSWORD`, `api_key`, `authToken`),
/// but not names that only mention one (`max_tokens`, `token_count`, `secret_name`).
pub fn is_secret_name(name: &str) -> bool {
    name_class(name) != NameClass::None
}

/// Whether the value under `name` is a credential: a value that looks like one on its own, or a
/// credential-sounding name whose value has the shape of one. Templates and references
/// (`{{…}}`, `${X}`, `$X`), booleans, `null`, short numbers and, under a name like `token`, words
/// without the length and mix of a generated token are not.
pub fn is_credential(name: &str, value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return false;
    }
    if looks_like_secret(v) {
        return true;
    }
    let class = name_class(name);
    if class == NameClass::None || is_reference(v) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if [
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "null",
        "none",
        "nil",
        "undefined",
    ]
    .contains(&lower.as_str())
    {
        return false;
    }
    let numeric = v.parse::<f64>().is_ok();
    match class {
        NameClass::Strong => !numeric || v.len() >= 4 && v.chars().all(|c| c.is_ascii_digit()),
        NameClass::Weak => !numeric && token_shaped(v),
        NameClass::None => false,
    }
}

/// A template hole or a shell/environment reference: the value is read elsewhere.
fn is_reference(v: &str) -> bool {
    v.contains("{{")
        || v.contains("${")
        || v.starts_with("secret://")
        || v.strip_prefix('$').is_some_and(|r| {
            r.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        })
}

/// A generated token: after an optional scheme (`Bearer `, `Basic `, `Token `), one word of at
/// least 6 characters mixing letters and digits with varied characters (Shannon entropy of at
/// least 2.5 bits per character: `abc123`, not `aaa111`), or of at least 24 characters with
/// high entropy (3.5 bits) even without digits. Words (`refresh`, `bearer`) and numbers are not.
fn token_shaped(v: &str) -> bool {
    let body = ["Bearer ", "Basic ", "Token ", "Bot ", "Api-Key ", "ApiKey "]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .unwrap_or(v)
        .trim();
    if body.chars().any(char::is_whitespace) {
        return false;
    }
    let h = entropy(body);
    let mixed = body.chars().any(|c| c.is_ascii_digit()) && body.chars().any(|c| c.is_alphabetic());
    (body.len() >= 6 && mixed && h >= 2.5) || (body.len() >= 24 && h >= 3.5)
}

/// Shannon entropy of `s` in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
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
        "xoxs-",
        "xapp-",
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
        && !v.chars().any(char::is_whitespace)
    {
        return true;
    }
    // OpenAI and Anthropic keys (`sk-…`, `sk-proj-…`, `sk-ant-…`): long, so `sk-learn` is not one.
    if v.starts_with("sk-") && v.len() >= 23 && !v.chars().any(char::is_whitespace) {
        return true;
    }
    if v.starts_with("-----BEGIN") && v.contains("PRIVATE KEY") {
        return true;
    }
    // `Authorization` header values: a scheme and a literal credential.
    for (scheme, min) in [
        ("Bearer ", 16),
        ("Token ", 16),
        ("Api-Key ", 16),
        ("ApiKey ", 16),
        ("Basic ", 8),
    ] {
        if let Some(rest) = v.strip_prefix(scheme) {
            let rest = rest.trim();
            return rest.len() >= min
                && !rest.chars().any(char::is_whitespace)
                && !is_reference(rest);
        }
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

    /// Name and value decide together, in both directions.
    #[test]
    fn credentials_by_name_and_shape() {
        let kept: &[(&str, &str)] = &[
            ("max_tokens", "2000"),
            ("maxTokens", "4096"),
            ("token_count", "12"),
            ("token_type", "bearer"),
            ("token", "true"),
            ("auth_token", "false"),
            ("api_key", "{{ steps.a.output.key }}"),
            ("token", "{{1__token}}"),
            ("PASSWORD", "$DB_PASSWORD"),
            ("password", "${PASS}"),
            ("secret_name", "prod-db"),
            ("token", "refresh"),
            ("token_url", "https://auth.example.com/oauth/token"),
            ("password", "null"),
            ("password", "42"),
            ("message", "hello world"),
            ("model", "sk-learn"),
            ("authorization", "Bearer {{ token }}"),
            ("key", "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"),
            ("auth", "oauth2"),
            ("credential_id", "12345"),
        ];
        for (k, v) in kept {
            assert!(!is_credential(k, v), "`{k}: {v}` is not a credential");
        }
        let caught: &[(&str, &str)] = &[
            ("text", "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12"),
            ("channel_token", "xoxb-123456789012-abcdefghijkl"),
            ("header", "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
            ("x", "Api-Key q8Zr4LmN2pXv7KwT3yHs"),
            ("url", "https://bob:hunter2@db.example.com/x"),
            ("password", "hunter22"),
            ("password", "correct horse battery staple"),
            ("PGPASSWORD", "s3cr3t"),
            ("pin_password", "123456"),
            ("token", "abc123"),
            ("auth_token", "Zx9Q2w7E4r1T6y3U8i5O"),
            ("apiKey", "k3y-for-the-crm"),
            ("client_secret", "shh"),
            ("Authorization", "Basic dXNlcjpwYXNz"),
            ("key", "AKIAIOSFODNN7EXAMPLE"),
            // Webhooks by Zapier's basic auth, `user|password`.
            ("basic_auth", "ops|hunter22"),
        ];
        for (k, v) in caught {
            assert!(is_credential(k, v), "`{k}: {v}` is a credential");
        }
    }

    #[test]
    fn name_words_split_every_style() {
        assert_eq!(name_words("maxTokens"), ["max", "tokens"]);
        assert_eq!(name_words("MAX_TOKENS"), ["max", "tokens"]);
        assert_eq!(name_words("x-api-key"), ["x", "api", "key"]);
        assert!(is_secret_name("PGPASSWORD") && is_secret_name("authToken"));
        assert!(!is_secret_name("max_tokens") && !is_secret_name("token_count"));
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
