//! Workflow graphs (a template version's DAG) and their validation: every problem names its node.
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::kinds::{self, NodeKind};

pub const MAX_NODES: usize = 200;
pub const MAX_EDGES: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Graph {
    pub nodes: Vec<NodeSpec>,
    #[serde(default)]
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique in the graph: letters, digits, `_` and `-`.
    pub id: String,
    /// One of `GET /workflows/node-kinds`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Kind-specific settings (provider, model, style…); a JSON object.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

/// `from` is `node.output`, `to` is `node.input`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    EmptyGraph,
    TooLarge,
    BadNodeId,
    DuplicateNode,
    UnknownKind,
    BadConfig,
    BadEdge,
    UnknownNode,
    UnknownPort,
    TypeMismatch,
    InputConnectedTwice,
    MissingInput,
    Cycle,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// The node the problem is about (for an edge: the node it points into).
    pub node_id: Option<String>,
    pub code: ProblemCode,
    pub message: String,
}

fn problem(node: Option<&str>, code: ProblemCode, message: impl Into<String>) -> Problem {
    Problem {
        node_id: node.map(str::to_string),
        code,
        message: message.into(),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A checked graph: kinds resolved, edges resolved to node indices, nodes in a run order.
#[derive(Debug, Clone)]
pub struct Checked<'g> {
    pub graph: &'g Graph,
    pub kinds: Vec<&'static NodeKind>,
    /// (from node, from port, to node, to port), by index.
    pub edges: Vec<(usize, &'static str, usize, &'static str)>,
    /// Node indices, every node after all it depends on.
    pub order: Vec<usize>,
}

/// Every problem of the graph (empty when it is valid).
pub fn validate(graph: &Graph) -> Vec<Problem> {
    match check(graph) {
        Ok(_) => Vec::new(),
        Err(p) => p,
    }
}

/// Resolves and orders a graph, or lists all its problems.
pub fn check(graph: &Graph) -> Result<Checked<'_>, Vec<Problem>> {
    use ProblemCode::*;
    let mut problems = Vec::new();
    if graph.nodes.is_empty() {
        return Err(vec![problem(None, EmptyGraph, "the workflow has no nodes")]);
    }
    if graph.nodes.len() > MAX_NODES || graph.edges.len() > MAX_EDGES {
        return Err(vec![problem(
            None,
            TooLarge,
            format!("at most {MAX_NODES} nodes and {MAX_EDGES} edges"),
        )]);
    }

    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut kinds_of: Vec<Option<&'static NodeKind>> = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        let id = node.id.as_str();
        if !valid_id(id) {
            problems.push(problem(
                Some(id),
                BadNodeId,
                format!("node id '{id}' must be 1–64 letters, digits, '_' or '-'"),
            ));
        } else if index.insert(id, i).is_some() {
            problems.push(problem(
                Some(id),
                DuplicateNode,
                format!("node id '{id}' is used twice"),
            ));
        }
        let kind = kinds::find(&node.kind);
        if kind.is_none() {
            problems.push(problem(
                Some(id),
                UnknownKind,
                format!("node '{id}' has unknown kind '{}'", node.kind),
            ));
        }
        if !node.config.is_object() {
            problems.push(problem(
                Some(id),
                BadConfig,
                format!("node '{id}': config must be a JSON object"),
            ));
        }
        kinds_of.push(kind);
    }

    let split = |end: &str| -> Option<(String, String)> {
        let (node, port) = end.rsplit_once('.')?;
        (!node.is_empty() && !port.is_empty()).then(|| (node.to_string(), port.to_string()))
    };
    let mut edges = Vec::new();
    let mut fed: BTreeMap<(usize, &'static str), usize> = BTreeMap::new();
    for edge in &graph.edges {
        let (Some((fnode, fport)), Some((tnode, tport))) = (split(&edge.from), split(&edge.to))
        else {
            problems.push(problem(
                None,
                BadEdge,
                format!(
                    "edge '{}' → '{}': ends must be 'node.port'",
                    edge.from, edge.to
                ),
            ));
            continue;
        };
        let (Some(&fi), Some(&ti)) = (index.get(fnode.as_str()), index.get(tnode.as_str())) else {
            let missing = if index.contains_key(fnode.as_str()) {
                &tnode
            } else {
                &fnode
            };
            problems.push(problem(
                Some(&tnode),
                UnknownNode,
                format!(
                    "edge '{}' → '{}': there is no node '{missing}'",
                    edge.from, edge.to
                ),
            ));
            continue;
        };
        let (Some(fk), Some(tk)) = (kinds_of[fi], kinds_of[ti]) else {
            continue; // already reported as an unknown kind
        };
        let Some(out) = fk.outputs.iter().find(|p| p.name == fport) else {
            problems.push(problem(
                Some(&fnode),
                UnknownPort,
                format!("node '{fnode}' ({}) has no output '{fport}'", fk.name),
            ));
            continue;
        };
        let Some(inp) = tk.inputs.iter().find(|p| p.name == tport) else {
            problems.push(problem(
                Some(&tnode),
                UnknownPort,
                format!("node '{tnode}' ({}) has no input '{tport}'", tk.name),
            ));
            continue;
        };
        if out.port_type != inp.port_type {
            problems.push(problem(
                Some(&tnode),
                TypeMismatch,
                format!(
                    "edge '{}' → '{}': output is {:?} but input '{tport}' of '{tnode}' takes {:?}",
                    edge.from, edge.to, out.port_type, inp.port_type
                ),
            ));
            continue;
        }
        if fed.insert((ti, inp.name), fi).is_some() {
            problems.push(problem(
                Some(&tnode),
                InputConnectedTwice,
                format!("input '{tport}' of node '{tnode}' has more than one edge"),
            ));
            continue;
        }
        edges.push((fi, out.name, ti, inp.name));
    }

    for (i, node) in graph.nodes.iter().enumerate() {
        if let Some(kind) = kinds_of[i] {
            for input in kind.inputs.iter().filter(|p| !p.optional) {
                if !fed.contains_key(&(i, input.name)) {
                    problems.push(problem(
                        Some(&node.id),
                        MissingInput,
                        format!(
                            "node '{}' ({}) needs its input '{}' ({:?}) connected",
                            node.id, kind.name, input.name, input.port_type
                        ),
                    ));
                }
            }
        }
    }

    // Kahn's algorithm; whatever cannot be ordered is on (or behind) a cycle.
    let n = graph.nodes.len();
    let mut indegree = vec![0usize; n];
    let mut next: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for &(f, _, t, _) in &edges {
        if next[f].insert(t) {
            indegree[t] += 1;
        }
    }
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = queue.pop_front() {
        order.push(i);
        for &t in &next[i] {
            indegree[t] -= 1;
            if indegree[t] == 0 {
                queue.push_back(t);
            }
        }
    }
    if order.len() < n {
        let stuck: Vec<&str> = (0..n)
            .filter(|&i| indegree[i] > 0)
            .map(|i| graph.nodes[i].id.as_str())
            .collect();
        problems.push(problem(
            stuck.first().copied(),
            Cycle,
            format!("the workflow has a cycle through: {}", stuck.join(", ")),
        ));
    }

    if problems.is_empty() {
        Ok(Checked {
            graph,
            kinds: kinds_of
                .into_iter()
                .map(|k| k.expect("checked above"))
                .collect(),
            edges,
            order,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn graph(v: serde_json::Value) -> Graph {
        serde_json::from_value(v).unwrap()
    }

    fn codes(g: &Graph) -> Vec<(Option<String>, ProblemCode)> {
        validate(g)
            .into_iter()
            .map(|p| (p.node_id, p.code))
            .collect()
    }

    fn linear() -> serde_json::Value {
        json!({
            "nodes": [
                {"id": "parse", "kind": "script.parse"},
                {"id": "plan", "kind": "storyboard.plan"},
                {"id": "frames", "kind": "keyframe.render"}
            ],
            "edges": [
                {"from": "parse.breakdown", "to": "plan.breakdown"},
                {"from": "plan.storyboard", "to": "frames.storyboard"}
            ]
        })
    }

    #[test]
    fn a_valid_graph_orders_dependencies_first() {
        let g = graph(linear());
        let c = check(&g).unwrap();
        let ids: Vec<&str> = c.order.iter().map(|&i| g.nodes[i].id.as_str()).collect();
        assert_eq!(ids, ["parse", "plan", "frames"]);
    }

    #[test]
    fn the_shipped_templates_are_valid() {
        for t in super::super::templates::BUILTIN {
            let g: Graph = serde_json::from_str(t.graph_json).unwrap();
            assert_eq!(validate(&g), Vec::new(), "template {}", t.id);
        }
    }

    #[test]
    fn each_problem_names_its_node() {
        use ProblemCode::*;
        type Expected<'a> = Vec<(Option<&'a str>, ProblemCode)>;
        let cases: Vec<(serde_json::Value, Expected)> = vec![
            (json!({"nodes": []}), vec![(None, EmptyGraph)]),
            (
                json!({"nodes": [{"id": "a", "kind": "script.parse"}, {"id": "a", "kind": "script.parse"}]}),
                vec![(Some("a"), DuplicateNode)],
            ),
            (
                json!({"nodes": [{"id": "x y", "kind": "script.parse"}]}),
                vec![(Some("x y"), BadNodeId)],
            ),
            (
                json!({"nodes": [{"id": "a", "kind": "teleport"}]}),
                vec![(Some("a"), UnknownKind)],
            ),
            (
                json!({"nodes": [{"id": "a", "kind": "script.parse", "config": [1]}]}),
                vec![(Some("a"), BadConfig)],
            ),
            (
                json!({"nodes": [{"id": "plan", "kind": "storyboard.plan"}]}),
                vec![(Some("plan"), MissingInput)],
            ),
            (
                json!({"nodes": [{"id": "parse", "kind": "script.parse"}, {"id": "frames", "kind": "keyframe.render"}],
                       "edges": [{"from": "parse.breakdown", "to": "frames.storyboard"}]}),
                vec![
                    (Some("frames"), TypeMismatch),
                    (Some("frames"), MissingInput),
                ],
            ),
            (
                json!({"nodes": [{"id": "parse", "kind": "script.parse"}],
                       "edges": [{"from": "parse.breakdown", "to": "ghost.breakdown"}]}),
                vec![(Some("ghost"), UnknownNode)],
            ),
            (
                json!({"nodes": [{"id": "parse", "kind": "script.parse"}, {"id": "plan", "kind": "storyboard.plan"}],
                       "edges": [{"from": "parse.nope", "to": "plan.breakdown"}]}),
                vec![(Some("parse"), UnknownPort), (Some("plan"), MissingInput)],
            ),
            (
                json!({"nodes": [{"id": "parse", "kind": "script.parse"}, {"id": "p2", "kind": "script.parse"},
                                 {"id": "plan", "kind": "storyboard.plan"}],
                       "edges": [{"from": "parse.breakdown", "to": "plan.breakdown"},
                                 {"from": "p2.breakdown", "to": "plan.breakdown"}]}),
                vec![(Some("plan"), InputConnectedTwice)],
            ),
            (
                json!({"nodes": [{"id": "a", "kind": "script.parse"}], "edges": [{"from": "a", "to": "b"}]}),
                vec![(None, BadEdge)],
            ),
            (
                json!({"nodes": [{"id": "r1", "kind": "review"}, {"id": "r2", "kind": "review"}],
                       "edges": [{"from": "r1.images", "to": "r2.images"}, {"from": "r2.images", "to": "r1.images"}]}),
                vec![(Some("r1"), Cycle)],
            ),
        ];
        for (g, want) in cases {
            let got = codes(&graph(g.clone()));
            let want: Vec<(Option<String>, ProblemCode)> = want
                .into_iter()
                .map(|(n, c)| (n.map(str::to_string), c))
                .collect();
            assert_eq!(got, want, "graph {g}");
        }
    }
}
