//! `secret://NAME` references, resolved only at the adapter boundary.
//!
//! Templates never see secret values: `{{ secrets.NAME }}` renders to the reference
//! `secret://NAME`, rendered parameters (and so events) keep the reference, and the
//! executor swaps references for values just before calling an adapter. Values come from
//! `CLAW_SECRET_<NAME>` environment variables (upper-cased, other characters as `_`) or a
//! secrets file of `NAME=value` lines. Adapter output is redacted back to references.

use claw_language::secret;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

/// A secret that is referenced but not provided.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("secret `{name}` is not set: export {env} or add `{name}=…` to the secrets file")]
pub struct MissingSecret {
    /// Secret name.
    pub name: String,
    /// Environment variable that would provide it.
    pub env: String,
}

/// An unreadable secrets file.
#[derive(Debug, thiserror::Error)]
#[error("cannot read secrets file {path}: {source}")]
pub struct SecretsFileError {
    /// The secrets file as given (`--secrets`).
    pub path: String,
    /// Why it could not be read (missing, permissions, not UTF-8).
    pub source: std::io::Error,
}

/// Where secret values come from.
#[derive(Clone, Default)]
pub struct Secrets {
    file: BTreeMap<String, String>,
    use_env: bool,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: values never reach logs, not even debug output.
        f.debug_struct("Secrets")
            .field("file_names", &self.file.keys().collect::<Vec<_>>())
            .field("use_env", &self.use_env)
            .finish()
    }
}

/// A `secrets.NAME` read in a template.
static TEMPLATE_READ: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)").expect("constant pattern compiles")
});

/// Names read as `secrets.NAME` in a text (templates of parameters), sorted and unique.
pub fn referenced_names(text: &str) -> std::collections::BTreeSet<String> {
    TEMPLATE_READ
        .captures_iter(text)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect()
}

/// Environment variable name for a secret.
pub fn env_name(name: &str) -> String {
    format!("CLAW_SECRET_{}", claw_language::secret::env_spelling(name))
}

impl Secrets {
    /// Secrets from the environment only.
    pub fn from_env() -> Secrets {
        Secrets {
            file: BTreeMap::new(),
            use_env: true,
        }
    }

    /// No secrets at all (record-only mode never resolves them).
    pub fn none() -> Secrets {
        Secrets::default()
    }

    /// Environment plus a `NAME=value` file (`#` comments, blank lines ignored).
    pub fn with_file(path: &Path) -> Result<Secrets, SecretsFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| SecretsFileError {
            path: path.display().to_string(),
            source,
        })?;
        let mut file = BTreeMap::new();
        for line in text.lines() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if let Some((k, v)) = l.split_once('=') {
                file.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        Ok(Secrets {
            file,
            use_env: true,
        })
    }

    /// One secret's value.
    pub fn get(&self, name: &str) -> Result<String, MissingSecret> {
        let env = env_name(name);
        if let Some(v) = self.use_env.then(|| std::env::var(&env).ok()).flatten() {
            return Ok(v);
        }
        self.file.get(name).cloned().ok_or(MissingSecret {
            name: name.to_string(),
            env,
        })
    }

    /// Replaces every reference inside the strings of `v`. Returns the resolved value and
    /// the (value, reference) pairs used, for redaction.
    pub fn resolve(&self, v: &Value) -> Result<(Value, Vec<(String, String)>), MissingSecret> {
        let mut used = Vec::new();
        let out = self.resolve_inner(v, &mut used)?;
        Ok((out, used))
    }

    fn resolve_inner(
        &self,
        v: &Value,
        used: &mut Vec<(String, String)>,
    ) -> Result<Value, MissingSecret> {
        Ok(match v {
            Value::String(s) if s.contains(secret::SCHEME) => {
                let mut out = String::with_capacity(s.len());
                let mut last = 0;
                for found in secret::find(s) {
                    let value = self.get(found.name)?;
                    out.push_str(&s[last..found.range.start]);
                    out.push_str(&value);
                    used.push((value, s[found.range.clone()].to_string()));
                    last = found.range.end;
                }
                out.push_str(&s[last..]);
                Value::String(out)
            }
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.resolve_inner(x, used))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| Ok((k.clone(), self.resolve_inner(x, used)?)))
                    .collect::<Result<_, MissingSecret>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// Replaces secret values inside strings of `v` by their references.
pub fn redact(v: &mut Value, used: &[(String, String)]) {
    match v {
        Value::String(s) => {
            for (value, reference) in used {
                // Very short values would redact ordinary text and protect nothing.
                if value.len() >= 4 && s.contains(value.as_str()) {
                    *s = s.replace(value.as_str(), reference);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| redact(x, used)),
        Value::Object(m) => m.values_mut().for_each(|x| redact(x, used)),
        _ => {}
    }
}

/// Redacts a plain string.
pub fn redact_str(s: &str, used: &[(String, String)]) -> String {
    let mut v = Value::String(s.to_string());
    redact(&mut v, used);
    match v {
        Value::String(s) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_from_file_and_redacts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("secrets");
        std::fs::write(&p, "# comment\nbilling_token = s3cr3t-value\n").unwrap();
        let s = Secrets::with_file(&p).unwrap();
        let (v, used) = s
            .resolve(&json!({"h": "Bearer secret://billing_token", "n": 1}))
            .unwrap();
        assert_eq!(v, json!({"h": "Bearer s3cr3t-value", "n": 1}));
        let mut echoed = json!({"body": "got s3cr3t-value"});
        redact(&mut echoed, &used);
        assert_eq!(echoed, json!({"body": "got secret://billing_token"}));
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }

    #[test]
    fn missing_secret_names_the_variable() {
        let e = Secrets::none()
            .resolve(&json!("secret://shop/key"))
            .unwrap_err();
        assert_eq!(e.env, "CLAW_SECRET_SHOP_KEY");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_strings_never_panic(text in ".*") {
            let v = serde_json::Value::String(text.clone());
            let _ = Secrets::none().resolve(&v);
            let mut w = v.clone();
            redact(&mut w, &[("abcd".into(), "secret://x".into())]);
        }
    }
}
