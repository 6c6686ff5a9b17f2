//! Storage by Zapier steps (`StorageCLIAPI`) → `state.*` executions over a `data.state`
//! store the system declares.
//!
//! Zapier keys a store by a secret storage key (or the account connection holding it). That
//! secret is never written: the store is named `zapier_storage_<hash>` from a hash of the
//! secret, or of the connection id, so steps that shared a store in Zapier share one here. No
//! export with Storage params has been seen (docs/importers/zapier.md): the action keys and
//! params are read by the names Zapier's Storage app and StoreClient use (`set_value`,
//! `increment_value`, `key`, `value`, `amount`, …). An action with no `state.*` equivalent
//! stays `unported.*` with a finding; a param the mapping does not read is reported, never
//! passed on silently.

use super::{Mapper, plain};
use crate::zapier::codes;
use crate::zapier::model::Node;
use claw_language::{Execution, System};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How long an entry lives: Zapier expires a key not touched in three months
/// (help.zapier.com, "Store data from code steps with StoreClient", Limitations).
pub(super) const ZAPIER_STORAGE_TTL: &str = "90d";

/// The prefix of every store the mapping declares.
const STORE_PREFIX: &str = "zapier_storage";

/// Params that hold the storage secret: read for the store's name, never written.
const SECRET_PARAMS: &[&str] = &["secret", "storage_key", "secret_key", "store_key", "uuid"];

/// The `state.*` operation an action key names (compared without case, `_`, `-` or spaces).
fn operation(action: &str) -> Option<&'static str> {
    let a: String = action
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match a.as_str() {
        "setvalue" | "set" | "storevalue" => "set",
        "getvalue" | "get" | "retrievevalue" | "findvalue" => "get",
        "incrementvalue" | "increment" | "incrementby" => "increment",
        "removevalue" | "remove" | "deletevalue" | "delete" => "remove",
        "pushvalueontolist" | "pushvalue" | "push" | "listpush" => "push",
        "popvaluefromlist" | "popvalue" | "pop" | "listpop" => "pop",
        "setmultiplevalues" | "setmany" => "set_many",
        "getmultiplevalues" | "getmany" => "get_many",
        "setvalueif" | "setif" => "set_if",
        "removeallvalues" | "clear" | "deleteallvalues" => "clear",
        _ => return None,
    })
}

/// For each `state.*` operation, the params it reads: (the export's names, the step's name).
fn params_of(op: &str) -> &'static [(&'static [&'static str], &'static str)] {
    const KEY: (&[&str], &str) = (&["key"], "key");
    const VALUE: (&[&str], &str) = (&["value"], "value");
    const DEFAULT: (&[&str], &str) = (&["default", "default_value"], "default");
    match op {
        "set" | "push" => &[KEY, VALUE],
        "get" => &[KEY, DEFAULT],
        "increment" => &[KEY, (&["amount", "increment_by", "incr", "by"], "amount")],
        "remove" => &[KEY],
        "pop" => &[KEY, DEFAULT, (&["location", "from", "position"], "from")],
        "set_many" => &[(&["values", "pairs"], "values")],
        "get_many" => &[(&["keys"], "keys")],
        "set_if" => &[
            KEY,
            VALUE,
            (&["previous", "previous_value", "old_value"], "previous"),
        ],
        _ => &[],
    }
}

/// A short, stable name for a secret or connection id (the value itself is never written).
fn store_name(basis: Option<&str>) -> String {
    match basis {
        Some(b) => {
            let digest = Sha256::digest(b.as_bytes());
            let hex: String = digest.iter().take(4).map(|x| format!("{x:02x}")).collect();
            format!("{STORE_PREFIX}_{hex}")
        }
        None => STORE_PREFIX.to_string(),
    }
}

/// `pop`'s location: Zapier's "first"/"beginning" take from the start; anything else the end.
fn pop_from(v: &Value) -> Value {
    let s = plain(v).to_ascii_lowercase();
    let start = ["first", "start", "beginning", "head", "front"].contains(&s.trim());
    Value::String(if start { "start" } else { "end" }.into())
}

impl Mapper<'_> {
    /// Maps the Storage step at node `i` into `x`. False when it stays unported (the finding
    /// is noted and `x.action` set); the caller then keeps the params as they are.
    pub(super) fn storage(&mut self, i: usize, n: &Node, x: &mut Execution) -> bool {
        let name = self.names[i].clone();
        let Some(op) = operation(n.action()) else {
            let why = format!(
                "the action has no `state.*` equivalent (state.{} are)",
                claw_language::lint::STATE_OPERATIONS.join(", state.")
            );
            self.keep_unported(i, n, x, "Storage by Zapier", &why);
            return false;
        };
        let params = n.params.clone().unwrap_or_default();
        let secret = SECRET_PARAMS
            .iter()
            .find_map(|k| params.get(*k).map(plain).filter(|s| !s.is_empty()));
        let auth = params
            .get("authentication_id")
            .map(plain)
            .filter(|a| !a.is_empty() && a != "0");
        let store = store_name(secret.as_deref().or(auth.as_deref()));
        x.action = format!("state.{op}");
        x.with.insert("store".into(), Value::String(store.clone()));
        let mut read: Vec<&str> = SECRET_PARAMS.to_vec();
        read.push("authentication_id");
        for (names, to) in params_of(op) {
            if let Some((from, v)) = names.iter().find_map(|k| params.get(*k).map(|v| (*k, v))) {
                read.push(from);
                let v = if *to == "from" {
                    pop_from(v)
                } else {
                    self.rewrite(v, i, "state", from)
                };
                x.with.insert((*to).to_string(), v);
            }
        }
        let ignored: Vec<&str> = params
            .keys()
            .map(String::as_str)
            .filter(|k| !read.contains(k) && !k.starts_with("_zap"))
            .collect();
        let msg = format!(
            "Storage by Zapier step `{name}` ({}) became `{}` on the state store `{store}` (declared under data.state with ttl {ZAPIER_STORAGE_TTL}); the store name is a hash of the step's storage secret or connection, which is not written",
            n.action(),
            x.action
        );
        self.note_mapped(i, codes::STORAGE_MAPPED, msg, &ignored);
        true
    }
}

/// Declares, under `data.state`, every Storage store the system's `state.*` steps name.
pub(super) fn declare_stores(sys: &mut System) {
    super::builtin::declare_state(
        sys,
        ("state", "store", STORE_PREFIX),
        "Storage by Zapier values (the store Zapier keyed by a storage secret)",
        Some(ZAPIER_STORAGE_TTL),
    );
}

#[cfg(test)]
mod tests {
    use super::{operation, store_name};

    #[test]
    fn action_keys() {
        assert_eq!(operation("set_value"), Some("set"));
        assert_eq!(operation("Increment Value"), Some("increment"));
        assert_eq!(operation("pop_value_from_list"), Some("pop"));
        assert_eq!(operation("remove_all_values"), Some("clear"));
        assert_eq!(operation("set_value_if"), Some("set_if"));
        assert_eq!(operation("list_all_keys"), None);
    }

    #[test]
    fn the_secret_is_hashed_never_kept() {
        let n = store_name(Some("9d1c2f7e-secret"));
        assert!(n.starts_with("zapier_storage_") && n.len() == "zapier_storage_".len() + 8);
        assert!(!n.contains("secret"));
        assert_eq!(n, store_name(Some("9d1c2f7e-secret")));
        assert_eq!(store_name(None), "zapier_storage");
    }
}
