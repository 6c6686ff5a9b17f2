//! Self-contained HTML report: inline CSS and JS, no external resource, readable from `file://`.

use crate::compare::Class;
use crate::report::{Report, RunReport};
use html_escape::encode_text as esc;
use std::fmt::Write as _;

const CSS: &str = "body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}.missing,.extra,.branch,.action,.params{background:#fde2e2}.noise{background:#fff6d6}.match{background:#e3f6e3}pre{margin:0;white-space:pre-wrap;max-width:40em}details{margin:.5em 0}.real{color:#b00020;font-weight:600}.nz{color:#8a6d00}#filter{margin:1em 0}";
const JS: &str = "function only(c){document.querySelectorAll('details.run').forEach(function(d){d.style.display=(c==='all'||d.dataset.class===c)?'':'none'})}";

/// Renders the report as one HTML document.
pub fn render(r: &Report) -> String {
    let mut h = String::new();
    let parity = r
        .tally
        .parity
        .map_or("n/a".to_string(), |p| format!("{p:.2}%"));
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shadow report: {}</title><style>{CSS}</style><script>{JS}</script></head><body>",
        esc(&r.system)
    );
    let _ = write!(
        h,
        "<h1>Shadow report: {}</h1><p id=\"parity\">Parity {parity}: {} of {} runs at parity ({} legacy runs, {} shadow runs).</p>",
        esc(&r.system),
        r.tally.at_parity,
        r.tally.compared,
        r.legacy_runs,
        r.shadow_runs
    );
    if let Some(g) = &r.gate {
        let _ = write!(
            h,
            "<p id=\"gate\">Gate {}%: {}</p>",
            g.threshold,
            if g.passed {
                "passed".to_string()
            } else {
                format!("failed: {}", esc(&g.reasons.join("; ")))
            }
        );
    }
    tables(&mut h, r);
    h.push_str("<h2>Treated as noise</h2><ul id=\"noise\">");
    for n in &r.noise {
        let _ = write!(
            h,
            "<li><code>{}</code>: {}</li>",
            esc(&n.path),
            esc(&n.reason)
        );
    }
    h.push_str("</ul><h2>Runs</h2><div id=\"filter\">Show: ");
    for c in std::iter::once("all").chain(Class::ALL.iter().map(|c| c.name())) {
        let _ = write!(h, "<button onclick=\"only('{c}')\">{c}</button> ");
    }
    h.push_str("</div>");
    for run in &r.runs {
        run_details(&mut h, run);
    }
    if !r.notes.is_empty() {
        h.push_str("<h2>Notes</h2><ul>");
        for n in &r.notes {
            let _ = write!(h, "<li>{}</li>", esc(n));
        }
        h.push_str("</ul>");
    }
    h.push_str("</body></html>\n");
    h
}

/// The class, per-day and top-field tables.
fn tables(h: &mut String, r: &Report) {
    h.push_str("<h2>Classes</h2><table id=\"classes\"><tr><th>class</th><th>runs</th></tr>");
    for (k, v) in &r.tally.counts {
        let _ = write!(h, "<tr class=\"{k}\"><td>{k}</td><td>{v}</td></tr>");
    }
    h.push_str("</table>");
    if !r.days.is_empty() {
        h.push_str(
            "<h2>Per day</h2><table id=\"days\"><tr><th>day</th><th>parity</th><th>runs</th></tr>",
        );
        for d in &r.days {
            let p = d.tally.parity.map_or("n/a".into(), |p| format!("{p:.2}%"));
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{p}</td><td>{}</td></tr>",
                d.day, d.tally.compared
            );
        }
        h.push_str("</table>");
    }
    if !r.top_fields.is_empty() {
        h.push_str("<h2>Top differing fields</h2><table id=\"fields\"><tr><th>path</th><th>runs</th><th>example legacy</th><th>example shadow</th></tr>");
        for f in &r.top_fields {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>",
                esc(&f.path),
                f.runs,
                esc(&val(&f.example.legacy)),
                esc(&val(&f.example.shadow))
            );
        }
        h.push_str("</table>");
    }
}

/// One run: a collapsible block with its differences and both sides' views (open unless it matched).
fn run_details(h: &mut String, run: &RunReport) {
    let name = run.class.name();
    let open = if matches!(run.class, Class::Match) {
        ""
    } else {
        " open"
    };
    let _ = write!(
        h,
        "<details class=\"run {name}\" data-class=\"{name}\"{open}><summary>{name}: {} {} at {}</summary>",
        esc(&run.trigger),
        esc(&run.correlation),
        esc(&run.at)
    );
    if !run.diffs.is_empty() {
        h.push_str("<table><tr><th>field</th><th>legacy</th><th>shadow</th><th>verdict</th></tr>");
        for d in &run.diffs {
            let verdict = match &d.noise {
                None => "<span class=\"real\">difference</span>".to_string(),
                Some(why) => format!("<span class=\"nz\">noise: {}</span>", esc(why)),
            };
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td><pre>{}</pre></td><td><pre>{}</pre></td><td>{verdict}</td></tr>",
                esc(&d.diff.path),
                esc(&val(&d.diff.legacy)),
                esc(&val(&d.diff.shadow))
            );
        }
        h.push_str("</table>");
    }
    let side = |o: &Option<crate::model::Outcome>| match o {
        None => "(did not run)".to_string(),
        Some(o) => format!(
            "{}\n{}",
            o.source,
            serde_json::to_string_pretty(&o.view()).unwrap_or_default()
        ),
    };
    let _ = write!(
        h,
        "<table class=\"side\"><tr><th>legacy</th><th>shadow</th></tr><tr><td><pre>{}</pre></td><td><pre>{}</pre></td></tr></table></details>",
        esc(&side(&run.legacy)),
        esc(&side(&run.shadow))
    );
}

fn val(v: &Option<serde_json::Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}
