//! Each Zap's step tree, rebuilt from `parent_id` links with petgraph. Node ids are not an
//! execution order (a later path can hold a lower id), so order comes from the links alone;
//! siblings under a Paths branch are ordered by `path_eval_index`, then the path letter.

use super::error::{ZapAt, ZapierError};
use super::model::{Node, Zap};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::BTreeMap;

/// A checked step tree. Indices point into `nodes`.
#[derive(Debug)]
pub struct Tree {
    /// Nodes, in file order.
    pub nodes: Vec<Node>,
    /// Node ids (text), parallel to `nodes`.
    pub ids: Vec<String>,
    /// The trigger.
    pub root: usize,
    /// Parent of each node (`None` for the root).
    pub parent: Vec<Option<usize>>,
    /// Children of each node, in run order.
    pub children: Vec<Vec<usize>>,
    /// Nodes in pre-order (a node always before its descendants).
    pub order: Vec<usize>,
}

impl Tree {
    /// Index of a node id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|x| x == id)
    }

    /// Ancestors of `i`, nearest first (not including `i`).
    pub fn ancestors(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = self.parent[i];
        while let Some(p) = cur {
            out.push(p);
            cur = self.parent[p];
        }
        out
    }
}

/// Builds and checks the tree of one Zap.
pub fn build(file: &str, zap: &Zap) -> Result<Tree, ZapierError> {
    let shape = shape(file, zap)?;
    Ok(shape.with_nodes(zap.nodes.0.iter().map(|(_, n)| n.clone()).collect()))
}

/// Checks the tree of one Zap without building it (no node is copied): what [`build`] refuses.
pub fn check(file: &str, zap: &Zap) -> Result<(), ZapierError> {
    shape(file, zap).map(|_| ())
}

/// [`build`], moving the nodes out of `zap` (left with none) instead of copying them.
pub fn take(file: &str, zap: &mut Zap) -> Result<Tree, ZapierError> {
    let shape = shape(file, zap)?;
    let nodes = std::mem::take(&mut zap.nodes.0);
    Ok(shape.with_nodes(nodes.into_iter().map(|(_, n)| n).collect()))
}

/// A checked tree without its nodes.
struct Shape {
    ids: Vec<String>,
    root: usize,
    parent: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
    order: Vec<usize>,
}

impl Shape {
    /// The tree, with `nodes` in the Zap's file order.
    fn with_nodes(self, nodes: Vec<Node>) -> Tree {
        Tree {
            nodes,
            ids: self.ids,
            root: self.root,
            parent: self.parent,
            children: self.children,
            order: self.order,
        }
    }
}

/// The checks, in the order their errors take precedence (duplicate keys and ids, dangling
/// parents, cycles, roots), and the tree's links.
fn shape(file: &str, zap: &Zap) -> Result<Shape, ZapierError> {
    let at = ZapAt {
        file: file.into(),
        zap: zap.id.0.clone(),
        title: zap.title.clone().unwrap_or_default(),
    };
    let Nodes { ids, nodes, by_id } = collect_nodes(&at, zap)?;
    let parent = link_parents(&at, &ids, &nodes, &by_id)?;
    let root = the_root(&at, &ids, &parent)?;
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = p {
            children[*p].push(i);
        }
    }
    for c in &mut children {
        c.sort_by(|&a, &b| sibling_key(nodes[a], &ids[a]).cmp(&sibling_key(nodes[b], &ids[b])));
    }
    let mut order = Vec::with_capacity(nodes.len());
    // Pre-order over the sorted child lists (petgraph's Dfs would visit in edge order).
    let mut stack = vec![root];
    while let Some(i) = stack.pop() {
        order.push(i);
        for &c in children[i].iter().rev() {
            stack.push(c);
        }
    }
    Ok(Shape {
        ids,
        root,
        parent,
        children,
        order,
    })
}

/// A Zap's nodes in file order (borrowed), with their ids checked unique.
struct Nodes<'z> {
    /// Node ids (text), parallel to `nodes`.
    ids: Vec<String>,
    nodes: Vec<&'z Node>,
    /// Index in `nodes` of each id.
    by_id: BTreeMap<String, usize>,
}

/// Reads the Zap's `nodes` in file order; an error when a key appears twice, a node's `id`
/// differs from its key, or two nodes share an id, and when there is no node at all.
fn collect_nodes<'z>(at: &ZapAt, zap: &'z Zap) -> Result<Nodes<'z>, ZapierError> {
    let mut ids: Vec<String> = Vec::new();
    let mut nodes: Vec<&Node> = Vec::new();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    let mut keys: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, node) in &zap.nodes.0 {
        if keys.insert(key.as_str(), nodes.len()).is_some() {
            return Err(ZapierError::DuplicateId {
                at: at.clone(),
                node: key.clone(),
                detail: format!("the key \"{key}\" appears twice in `nodes`"),
            });
        }
        let id = node
            .id
            .as_ref()
            .map(|i| i.0.clone())
            .unwrap_or_else(|| key.clone());
        if id != *key {
            return Err(ZapierError::DuplicateId {
                at: at.clone(),
                node: id.clone(),
                detail: format!("the node under key \"{key}\" says its id is {id}"),
            });
        }
        if let Some(prev) = by_id.insert(id.clone(), nodes.len()) {
            return Err(ZapierError::DuplicateId {
                at: at.clone(),
                node: id,
                detail: format!("keys \"{}\" and \"{key}\"", ids[prev]),
            });
        }
        ids.push(id);
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(ZapierError::Root {
            at: at.clone(),
            message: "the Zap has no nodes".into(),
        });
    }
    Ok(Nodes { ids, nodes, by_id })
}

/// The parent of each node from its `parent_id`; an error when a parent does not exist or
/// the links form a cycle.
fn link_parents(
    at: &ZapAt,
    ids: &[String],
    nodes: &[&Node],
    by_id: &BTreeMap<String, usize>,
) -> Result<Vec<Option<usize>>, ZapierError> {
    let mut g: DiGraph<usize, ()> = DiGraph::new();
    let idx: Vec<NodeIndex> = (0..nodes.len()).map(|i| g.add_node(i)).collect();
    let mut parent = vec![None; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        if let Some(p) = &n.parent_id {
            let Some(&pi) = by_id.get(&p.0) else {
                return Err(ZapierError::DanglingParent {
                    at: at.clone(),
                    node: ids[i].clone(),
                    parent: p.0.clone(),
                });
            };
            parent[i] = Some(pi);
            g.add_edge(idx[pi], idx[i], ());
        }
    }
    let cycles: Vec<Vec<NodeIndex>> = petgraph::algo::tarjan_scc(&g)
        .into_iter()
        .filter(|c| c.len() > 1 || c.first().is_some_and(|&n| g.contains_edge(n, n)))
        .collect();
    if let Some(c) = cycles.first() {
        let mut ns: Vec<&str> = c.iter().map(|n| ids[g[*n]].as_str()).collect();
        ns.sort_by_key(|s| (s.len(), *s));
        return Err(ZapierError::Cycle {
            at: at.clone(),
            nodes: ns.join(" → "),
        });
    }
    Ok(parent)
}

/// The one node without a parent (the trigger); an error when there is none or several.
fn the_root(at: &ZapAt, ids: &[String], parent: &[Option<usize>]) -> Result<usize, ZapierError> {
    let roots: Vec<usize> = (0..parent.len()).filter(|&i| parent[i].is_none()).collect();
    match roots.as_slice() {
        [r] => Ok(*r),
        [] => Err(ZapierError::Root {
            at: at.clone(),
            message: "no node without parent_id: the Zap has no trigger".into(),
        }),
        many => {
            let list: Vec<&str> = many.iter().map(|&i| ids[i].as_str()).collect();
            Err(ZapierError::Root {
                at: at.clone(),
                message: format!(
                    "nodes {} all have no parent_id; a Zap has exactly one trigger",
                    list.join(", ")
                ),
            })
        }
    }
}

/// Sort key among siblings: `path_eval_index`, then the path letter, then the numeric id.
fn sibling_key(n: &Node, id: &str) -> (i64, String, u128, String) {
    let eval = n
        .param("path_eval_index")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(i64::MAX);
    let emoji = n
        .param("emoji")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_string();
    (
        eval,
        emoji,
        id.parse::<u128>().unwrap_or(u128::MAX),
        id.to_string(),
    )
}
