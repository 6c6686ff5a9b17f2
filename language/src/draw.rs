//! Drawings of a system: Graphviz DOT and Mermaid flowcharts.

use crate::graph::{GNode, SystemGraph};
use crate::model::System;
use petgraph::visit::EdgeRef;

fn id(n: &GNode) -> String {
    let (p, s) = match n {
        GNode::Trigger(s) => ("t", s.clone()),
        GNode::Event(s) => ("e", s.clone()),
        GNode::Decision(s) => ("d", s.clone()),
        GNode::Execution(s) => ("x", s.clone()),
        GNode::DeadLetter(s) => ("q", s.clone()),
        GNode::Alert(i, _) => ("a", i.to_string()),
        GNode::Route(s) => ("r", s.clone()),
    };
    let clean: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{p}_{clean}")
}

fn label(n: &GNode) -> String {
    match n {
        GNode::Trigger(s) => format!("trigger: {s}"),
        GNode::Event(s) => s.clone(),
        GNode::Decision(s) => format!("decision: {s}"),
        GNode::Execution(s) => format!("step: {s}"),
        GNode::DeadLetter(s) => format!("dead letter: {s}"),
        GNode::Alert(_, on) => format!("alert: {on}"),
        GNode::Route(s) => s.clone(),
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT.
pub fn dot(sys: &System) -> String {
    let g = SystemGraph::build(sys);
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
        escape(&sys.system)
    );
    for n in g.sorted_nodes() {
        let shape = match n {
            GNode::Trigger(_) => "invhouse",
            GNode::Event(_) => "ellipse",
            GNode::Decision(_) => "diamond",
            GNode::Execution(_) => "box",
            GNode::DeadLetter(_) => "cylinder",
            GNode::Alert(..) => "octagon",
            GNode::Route(_) => "note",
        };
        out.push_str(&format!(
            "  {} [label=\"{}\", shape={shape}];\n",
            id(n),
            escape(&label(n))
        ));
    }
    for (a, b) in sorted_edges(&g) {
        out.push_str(&format!("  {a} -> {b};\n"));
    }
    out.push_str("}\n");
    out
}

/// The graph's edges as pairs of node ids, sorted, so that both drawings list them in one
/// stable order.
fn sorted_edges(g: &SystemGraph) -> Vec<(String, String)> {
    let mut edges: Vec<(String, String)> = g
        .graph
        .edge_references()
        .map(|e| (id(g.node_at(e.source())), id(g.node_at(e.target()))))
        .collect();
    edges.sort();
    edges
}

/// Mermaid flowchart text, for Markdown renderers that draw it.
pub fn mermaid(sys: &System) -> String {
    let g = SystemGraph::build(sys);
    let mut out = String::from("flowchart LR\n");
    for n in g.sorted_nodes() {
        let l = label(n).replace('"', "#quot;");
        let shape = match n {
            GNode::Trigger(_) => format!("[/\"{l}\"/]"),
            GNode::Event(_) => format!("([\"{l}\"])"),
            GNode::Decision(_) => format!("{{\"{l}\"}}"),
            GNode::Execution(_) => format!("[\"{l}\"]"),
            GNode::DeadLetter(_) => format!("[(\"{l}\")]"),
            GNode::Alert(..) => format!("{{{{\"{l}\"}}}}"),
            GNode::Route(_) => format!(">\"{l}\"]"),
        };
        out.push_str(&format!("  {}{shape}\n", id(n)));
    }
    for (a, b) in sorted_edges(&g) {
        out.push_str(&format!("  {a} --> {b}\n"));
    }
    out
}
