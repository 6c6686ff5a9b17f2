//! The system as a directed graph: triggers → events → decisions → events → executions.

use crate::model::System;
use indexmap::IndexSet;
use petgraph::graph::{DiGraph, NodeIndex};

/// A node of the system graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GNode {
    /// A trigger.
    Trigger(String),
    /// An event name.
    Event(String),
    /// A decision.
    Decision(String),
    /// An execution step.
    Execution(String),
    /// A dead-letter destination.
    DeadLetter(String),
    /// An alert (index) with its condition.
    Alert(usize, String),
    /// An alert route.
    Route(String),
}

/// The graph plus a lookup from node to index.
#[derive(Debug, Clone)]
pub struct SystemGraph {
    /// The edges; node `i` is [`SystemGraph::node_at`]`(i)`.
    pub graph: DiGraph<(), ()>,
    /// Every node once, at its graph index (hashed: a generated system has hundreds of
    /// thousands of nodes whose names share long prefixes; [`SystemGraph::sorted_nodes`] gives
    /// them in order).
    nodes: IndexSet<GNode>,
}

impl SystemGraph {
    /// Builds the graph of a system. Deterministic: nodes are added in declaration order.
    pub fn build(sys: &System) -> Self {
        // Sized for the usual shape (an item and its events), so large systems do not rehash.
        let guess = 2 * sys.triggers.len() + 2 * sys.decisions.len() + 3 * sys.execution.len();
        let mut g = SystemGraph {
            graph: DiGraph::with_capacity(guess, guess),
            nodes: IndexSet::with_capacity(guess),
        };
        let trigger_events: Vec<String> =
            sys.triggers.iter().map(|t| t.event().to_string()).collect();
        for t in &sys.triggers {
            let a = g.node(GNode::Trigger(t.name.clone()));
            let b = g.node(GNode::Event(t.event().to_string()));
            g.edge(a, b);
        }
        for d in &sys.decisions {
            let dn = g.node(GNode::Decision(d.name.clone()));
            let on = if d.on.is_empty() {
                trigger_events.clone()
            } else {
                d.on.clone()
            };
            for e in on {
                let en = g.node(GNode::Event(e));
                g.edge(en, dn);
            }
            for e in d.emitted_events() {
                let en = g.node(GNode::Event(e));
                g.edge(dn, en);
            }
        }
        for x in &sys.execution {
            let xn = g.node(GNode::Execution(x.name.clone()));
            for e in &x.on {
                let en = g.node(GNode::Event(e.clone()));
                g.edge(en, xn);
            }
            for e in [x.succeeded_event(), x.failed_event()] {
                let en = g.node(GNode::Event(e));
                g.edge(xn, en);
            }
            if let Some(dl) = &x.dead_letter {
                let dn = g.node(GNode::DeadLetter(dl.clone()));
                g.edge(xn, dn);
            }
        }
        for (i, a) in sys.observability.alerts.iter().enumerate() {
            let an = g.node(GNode::Alert(i, a.on.clone()));
            if let Some(r) = &a.route {
                let rn = g.node(GNode::Route(r.clone()));
                g.edge(an, rn);
            }
        }
        g
    }

    fn node(&mut self, n: GNode) -> NodeIndex {
        let (i, new) = self.nodes.insert_full(n);
        if new {
            // Nodes are only ever appended to both, so their positions stay equal.
            self.graph.add_node(());
        }
        NodeIndex::new(i)
    }

    fn edge(&mut self, a: NodeIndex, b: NodeIndex) {
        if self.graph.find_edge(a, b).is_none() {
            self.graph.add_edge(a, b, ());
        }
    }

    /// Index of a node, if present.
    pub fn get(&self, n: &GNode) -> Option<NodeIndex> {
        self.nodes.get_index_of(n).map(NodeIndex::new)
    }

    /// The node at a graph index.
    pub fn node_at(&self, i: NodeIndex) -> &GNode {
        &self.nodes[i.index()]
    }

    /// Every node, in `GNode` order (what drawings list them in).
    pub fn sorted_nodes(&self) -> Vec<&GNode> {
        let mut v: Vec<&GNode> = self.nodes.iter().collect();
        v.sort_unstable();
        v
    }

    /// Whether `to` can be reached from `from`.
    pub fn reaches(&self, from: NodeIndex, to: NodeIndex) -> bool {
        petgraph::algo::has_path_connecting(&self.graph, from, to, None)
    }

    /// Nodes reachable from any trigger, in one traversal: the visited set is shared across
    /// the starting points, so the cost is linear in the graph whatever the number of triggers.
    /// Ask the result with `VisitMap::is_visited`.
    pub fn reachable_from_triggers(&self) -> impl petgraph::visit::VisitMap<NodeIndex> + use<> {
        let mut dfs = petgraph::visit::Dfs::empty(&self.graph);
        for (i, n) in self.nodes.iter().enumerate() {
            if matches!(n, GNode::Trigger(_)) {
                dfs.move_to(NodeIndex::new(i));
                while dfs.next(&self.graph).is_some() {}
            }
        }
        // Every node a walk returned, and only those, was discovered.
        dfs.discovered
    }

    /// Strongly connected components that form cycles (more than one node, or a self loop).
    pub fn cycles(&self) -> Vec<Vec<GNode>> {
        // The callback form: no vector for each of the (mostly single-node) components.
        let mut out: Vec<Vec<GNode>> = Vec::new();
        petgraph::algo::TarjanScc::new().run(&self.graph, |c: &[NodeIndex]| {
            if c.len() > 1 || c.iter().any(|n| self.graph.find_edge(*n, *n).is_some()) {
                let mut v: Vec<GNode> = c.iter().map(|i| self.node_at(*i).clone()).collect();
                v.sort();
                out.push(v);
            }
        });
        out.sort();
        out
    }
}
