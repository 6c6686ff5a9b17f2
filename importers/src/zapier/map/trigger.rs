//! Trigger stage: the Zap's root node → a `Trigger` (schedule, webhook or poll), with findings.

use super::Mapper;
use crate::findings::Finding;
use crate::secrets;
use crate::zapier::apps;
use crate::zapier::codes;
use crate::zapier::model::Node;
use crate::zapier::schedule;
use claw_language::model::HookBody;
use claw_language::{Source, Trigger};
use serde_json::{Map, Value};

/// The plan default polling interval assumed when the export has no override (Zapier's Free plan).
pub const DEFAULT_POLL_MINUTES: u64 = 15;

impl Mapper<'_> {
    pub(super) fn trigger(&mut self) -> Trigger {
        let i = self.tree.root;
        let n = self.node(i).clone();
        let name = self.names[i].clone();
        let adapter = apps::adapter(n.app());
        let params = n.params.clone().unwrap_or_default();
        let mut t = if apps::is_schedule(&n) {
            self.schedule_trigger(i, &n, &name, &params)
        } else if n.app().to_ascii_lowercase().starts_with("subzap") {
            self.call_trigger(i, &n, &name)
        } else if apps::is_instant(&n) {
            let mut t = Trigger::new(&name, Source::Webhook);
            // Webhooks by Zapier's Catch Hook takes JSON, forms and query strings; Catch Raw
            // Hook hands the request over unparsed. Apps' own hooks send JSON.
            if n.app().to_ascii_lowercase().starts_with("webhook") {
                t.body = Some(if n.action().to_ascii_lowercase().contains("raw") {
                    HookBody::Raw
                } else {
                    HookBody::Any
                });
            }
            if apps::is_email(&n) {
                self.inbound_email(i);
            }
            if !params.is_empty() {
                t.legacy.insert("params".into(), scrubbed_json(&params));
            }
            t
        } else {
            self.poll_trigger(i, &n, &name, &adapter, &params)
        };
        t.description = Some(
            n.step_title()
                .filter(|_| n.meta("stepTitle").is_some())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} {}", n.app(), n.action())),
        );
        if n.paused == Some(true) {
            t.enabled = Some(false);
            self.note(
                Finding::warning(codes::PAUSED_ZAP.id, "the Zap is paused (its trigger has `paused: true`): the trigger is imported with `enabled: false`", self.origin(Some(i)))
                    .at_path(format!("/triggers/{name}"))
                    .with_help("enable the trigger when the system is meant to replace the Zap"),
            );
        }
        t.legacy.extend(self.legacy(i));
        t
    }

    /// A Schedule by Zapier trigger → a cron schedule in the step's (or the Zap's) time zone, or
    /// a manual trigger when the schedule cannot be translated.
    fn schedule_trigger(
        &mut self,
        i: usize,
        n: &Node,
        name: &str,
        params: &Map<String, Value>,
    ) -> Trigger {
        let mut t;
        match schedule::cron(n.action(), params) {
            Ok(expr) => {
                t = Trigger::new(name, Source::Schedule);
                t.schedule = Some(expr);
                let tz = params
                    .get("timezone_override")
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| (s.trim().to_string(), "the step's timezone_override"))
                    .or_else(|| {
                        n.meta("timezone")
                            .and_then(Value::as_str)
                            .map(|s| (s.to_string(), "the Zap's meta.timezone"))
                    });
                match tz {
                    Some((z, _)) if z.parse::<chrono_tz::Tz>().is_ok() => t.timezone = Some(z),
                    Some((z, src)) => self.note(Finding::warning(codes::TIMEZONE_ASSUMED.id, format!("{src} `{z}` is not an IANA time zone; the schedule runs in UTC until `timezone:` is set"), self.origin(Some(i))).at_path(format!("/triggers/{name}"))),
                    None => self.note(
                        Finding::info(codes::TIMEZONE_ASSUMED.id, "the export does not say which time zone the schedule uses (Zapier uses the account's time zone); the schedule runs in UTC until `timezone:` is set", self.origin(Some(i)))
                            .at_path(format!("/triggers/{name}"))
                            .with_help("add `timezone: <IANA name>` to the trigger"),
                    ),
                }
            }
            Err(why) => {
                t = Trigger::new(name, Source::Manual);
                self.note(
                    Finding::warning(codes::SCHEDULE_UNPORTED.id, format!("the Schedule trigger could not be translated ({why}); it is imported as a manual trigger"), self.origin(Some(i)))
                        .at_path(format!("/triggers/{name}"))
                        .with_help("write the crontab expression by hand: `source: schedule`, `schedule: \"m h dom mon dow\"`"),
                );
            }
        }
        t.legacy.insert("params".into(), scrubbed_json(params));
        t
    }

    /// A polling trigger → `source: poll` every N minutes (the export's override, or the plan
    /// default), with its params rewritten like a step's.
    fn poll_trigger(
        &mut self,
        i: usize,
        n: &Node,
        name: &str,
        adapter: &str,
        params: &Map<String, Value>,
    ) -> Trigger {
        let mut t = Trigger::new(name, Source::Poll);
        let raw = n
            .store("polling_interval_override")
            .cloned()
            .unwrap_or(Value::Null);
        let minutes = match &raw {
            Value::Number(x) => x.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
        .filter(|m| *m > 0);
        let every = match minutes {
            Some(m) => {
                self.note(Finding::info(codes::POLLING_INTERVAL_ASSUMED.id, format!("polling_interval_override {m} is read as minutes (the unit is not documented)"), self.origin(Some(i))).at_path(format!("/triggers/{name}/every")));
                m
            }
            None => {
                self.note(
                    Finding::info(codes::POLLING_INTERVAL_ASSUMED.id, format!("no polling interval in the export; assumed the plan default of {DEFAULT_POLL_MINUTES} minutes (Zapier's Free plan; paid plans poll every 1-2 minutes)"), self.origin(Some(i)))
                        .at_path(format!("/triggers/{name}/every")),
                );
                DEFAULT_POLL_MINUTES
            }
        };
        t.every = Some(format!("{every}m"));
        t.action = Some(format!("{adapter}.{}", apps::operation(n.action())));
        for (k, v) in params {
            let nv = self.rewrite(v, i, adapter, k);
            t.with.insert(k.clone(), nv);
        }
        if adapter == "rss" {
            t.idempotency = rss_item_key(t.with.shift_remove("trigger_style").as_ref());
        }
        self.note(
            Finding::warning(codes::POLLING_TRIGGER.id, format!("`{}` {} is a polling trigger: runs start up to {every} minutes late and deduplication depends on the idempotency key; the export does not say whether the app has an instant trigger", n.app(), n.action()), self.origin(Some(i)))
                .at_path(format!("/triggers/{name}"))
                .with_help("if the app offers an instant (webhook) trigger, use `source: webhook` instead"),
        );
        t
    }
}

/// What makes an RSS item new, from RSS by Zapier's `trigger_style`: `smart` (the default, "a
/// different guid or URL") keys items by the `rss` adapter's `id` (the guid, else the link);
/// a links-only style by `link`; any other style ("anything is different") by the whole item
/// (no expression: the poll trigger then hashes the item's JSON).
fn rss_item_key(style: Option<&Value>) -> Option<String> {
    let style = style.and_then(Value::as_str).unwrap_or("smart").trim();
    match style.to_ascii_lowercase().as_str() {
        "" | "smart" | "guid" => Some("id".into()),
        s if s.contains("link") || s.contains("url") => Some("link".into()),
        _ => None,
    }
}

/// A compact JSON copy of params for `legacy`, with secret-looking values replaced by references.
fn scrubbed_json(params: &Map<String, Value>) -> String {
    pub(super) fn scrub(k: &str, v: &Value) -> Value {
        match v {
            Value::String(s)
                if secrets::is_credential(k, s) || k.starts_with("_zap_static_hook") =>
            {
                Value::String(secrets::reference("zapier", s))
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| scrub(k, x)).collect()),
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k2, x)| (k2.clone(), scrub(k2, x))).collect())
            }
            other => other.clone(),
        }
    }
    let m: Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.clone(), scrub(k, v)))
        .collect();
    serde_json::to_string(&Value::Object(m)).unwrap_or_default()
}
