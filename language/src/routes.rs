//! Alert routes (`slack://`, `pagerduty://`, `email://`, `webhook://`, `log://`): the URL a
//! webhook route posts to and the secret names a Slack or PagerDuty route reads, defined once
//! for the runtime, which delivers them, and `claw-compile`, which writes the matching
//! Alertmanager receivers.

/// The URL a `webhook://` route posts to.
pub fn webhook_url(target: &str) -> String {
    let host = target.split('/').next().unwrap_or("");
    let host_only = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_string()
    };
    let loopback = matches!(host_only.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    format!("{}://{target}", if loopback { "http" } else { "https" })
}

/// `name` as a secret-name suffix: lower-case alphanumerics, anything else as `_`.
fn slug(name: &str) -> String {
    name.trim_start_matches('#')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The secret names a `slack://CHANNEL` route reads its webhook URL from, in order.
pub fn slack_secret_names(channel: &str) -> [String; 2] {
    [
        format!("slack_webhook_{}", slug(channel)),
        "slack_webhook".to_string(),
    ]
}

/// The secret names a `pagerduty://SERVICE` route reads its routing key from, in order.
pub fn pagerduty_secret_names(service: &str) -> [String; 2] {
    [
        format!("pagerduty_routing_key_{}", slug(service)),
        "pagerduty_routing_key".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            webhook_url("ops.example.com/alerts"),
            "https://ops.example.com/alerts"
        );
        assert_eq!(webhook_url("127.0.0.1:9000/a"), "http://127.0.0.1:9000/a");
        assert_eq!(webhook_url("localhost/a"), "http://localhost/a");
        assert_eq!(webhook_url("[::1]:80/a"), "http://[::1]:80/a");
        assert_eq!(
            slack_secret_names("#ops-oncall"),
            [
                "slack_webhook_ops_oncall".to_string(),
                "slack_webhook".into()
            ]
        );
        assert_eq!(
            pagerduty_secret_names("Billing-API"),
            [
                "pagerduty_routing_key_billing_api".to_string(),
                "pagerduty_routing_key".into()
            ]
        );
    }
}
