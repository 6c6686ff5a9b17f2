//! The export as written by Zapier (`Zapfile.json`, `exported-zap-*.json`), read leniently:
//! every field but the envelope's `zaps`/`nodes` is optional, ids may be numbers or strings,
//! and fields nobody has documented are ignored (the known-but-undocumented ones are kept so
//! the importer can mention them).

use super::error::{ZapierError, excerpt};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, de};
use serde_json::{Map, Value};

/// An id written as a number or a string, normalised to its decimal text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an id (integer or string)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                if v.fract() == 0.0 && v.abs() < 1e18 {
                    Ok(Id(format!("{}", v as i64)))
                } else {
                    Err(E::custom(format!("{v} is not an integer id")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The whole file: `{"metadata": {...}, "zaps": [...]}`, or one bare Zap object.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    /// `{"version": 2}` in every real sample.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// The Zaps.
    #[serde(default)]
    pub zaps: Option<Vec<Zap>>,
    /// Bare-Zap form: id.
    #[serde(default)]
    pub id: Option<Id>,
    /// Bare-Zap form: title.
    #[serde(default)]
    pub title: Option<String>,
    /// Bare-Zap form: nodes.
    #[serde(default)]
    pub nodes: Option<Nodes>,
}

/// One Zap.
#[derive(Debug, Deserialize)]
pub struct Zap {
    /// Export-local id (equals the root node's id in every sample).
    pub id: Id,
    /// The title the user gave it in the Zap editor, if any.
    #[serde(default)]
    pub title: Option<String>,
    /// Nodes keyed by their id, in file order, duplicates kept so they can be reported.
    pub nodes: Nodes,
    /// Declared by a third-party analyser, never seen in a real export.
    #[serde(default)]
    pub status: Option<Value>,
}

/// `nodes`: an object keyed by the stringified node id.
#[derive(Debug, Default)]
pub struct Nodes(pub Vec<(String, Node)>);

impl<'de> Deserialize<'de> for Nodes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Nodes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of nodes keyed by node id")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Nodes, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Node>()? {
                    out.push((k, v));
                }
                Ok(Nodes(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One node (step) of a Zap.
#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    /// Node id (defaults to its key when absent).
    #[serde(default)]
    pub id: Option<Id>,
    /// Only meaningful on the root: whether the Zap is off.
    #[serde(default)]
    pub paused: Option<bool>,
    /// `read`, `write`, `filter`, `search`.
    #[serde(default)]
    pub type_of: Option<String>,
    /// Step inputs.
    #[serde(default)]
    pub params: Option<Map<String, Value>>,
    /// Editor data (`stepTitle`, `timezone`, `$editor`, ...).
    #[serde(default)]
    pub meta: Option<Map<String, Value>>,
    /// Polling override and copy provenance.
    #[serde(default)]
    pub triple_stores: Option<Map<String, Value>>,
    /// The step this one follows.
    #[serde(default)]
    pub parent_id: Option<Id>,
    /// The trigger's id.
    #[serde(default)]
    pub root_id: Option<Id>,
    /// App action key.
    #[serde(default)]
    pub action: Option<String>,
    /// App key, optionally `@<semver>`.
    #[serde(default)]
    pub selected_api: Option<String>,
    /// The title the user gave it in the Zap editor, if any.
    #[serde(default)]
    pub title: Option<String>,
    /// Connection hash (never written out).
    #[serde(default)]
    pub authentication_id: Option<Id>,
}

impl Node {
    /// `type_of`, or empty.
    pub fn type_of(&self) -> &str {
        self.type_of.as_deref().unwrap_or("")
    }
    /// `selected_api` without the version.
    pub fn app(&self) -> &str {
        let s = self.selected_api.as_deref().unwrap_or("");
        s.split('@').next().unwrap_or(s)
    }
    /// The `@version` part of `selected_api`, if any.
    pub fn app_version(&self) -> Option<&str> {
        self.selected_api
            .as_deref()
            .and_then(|s| s.split_once('@'))
            .map(|(_, v)| v)
    }
    /// `action`, or empty.
    pub fn action(&self) -> &str {
        self.action.as_deref().unwrap_or("")
    }
    /// A param.
    pub fn param(&self, k: &str) -> Option<&Value> {
        self.params.as_ref().and_then(|p| p.get(k))
    }
    /// A meta entry.
    pub fn meta(&self, k: &str) -> Option<&Value> {
        self.meta.as_ref().and_then(|p| p.get(k))
    }
    /// The user's step title (`meta.stepTitle`), else `title`.
    pub fn step_title(&self) -> Option<&str> {
        self.meta("stepTitle")
            .and_then(Value::as_str)
            .or(self.title.as_deref())
            .filter(|s| !s.trim().is_empty())
    }
    /// A `triple_stores` entry.
    pub fn store(&self, k: &str) -> Option<&Value> {
        self.triple_stores.as_ref().and_then(|p| p.get(k))
    }
}

/// One file's Zaps with the label used in messages.
#[derive(Debug)]
pub struct Export {
    /// Label for messages (the path as given, `archive.zip!Zapfile.json`, `<stdin>`).
    pub file: String,
    /// Label for provenance: relative to the input, so output does not depend on where it ran.
    pub provenance: String,
    /// `metadata.version`, when present.
    pub version: Option<String>,
    /// The Zaps.
    pub zaps: Vec<Zap>,
}

/// `metadata.version` as text (`2` and `"2"` alike), when present.
pub fn version(metadata: Option<&Value>) -> Option<String> {
    metadata.and_then(|m| m.get("version")).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Parses one export's text.
pub fn parse(file: &str, provenance: &str, text: &str) -> Result<Export, ZapierError> {
    let env: Envelope = serde_json::from_str(text).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        let message = e.to_string();
        // serde_json appends " at line L column C"; the location is given separately.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        let ex = excerpt(text, line, column);
        match e.classify() {
            serde_json::error::Category::Data => ZapierError::BadShape {
                file: file.into(),
                line,
                column,
                message,
                excerpt: ex,
            },
            _ => ZapierError::BadJson {
                file: file.into(),
                line,
                column,
                message,
                excerpt: ex,
            },
        }
    })?;
    let version = version(env.metadata.as_ref());
    let zaps = match (env.zaps, env.nodes) {
        (Some(z), _) => z,
        (None, Some(nodes)) => vec![Zap {
            id: env.id.unwrap_or_else(|| Id("0".into())),
            title: env.title,
            nodes,
            status: None,
        }],
        (None, None) => {
            return Err(ZapierError::BadShape {
                file: file.into(),
                line: 1,
                column: 1,
                message: "expected an object with `zaps` (a Zapfile.json or exported-zap file) or a single Zap with `nodes`".into(),
                excerpt: excerpt(text, 1, 1),
            });
        }
    };
    Ok(Export {
        file: file.into(),
        provenance: provenance.into(),
        version,
        zaps,
    })
}
