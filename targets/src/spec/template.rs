//! Per-node templates: a spec's command line, environment and hooks name node facts in braces
//! (`--name {node} --listen {ip}:{port}`), filled in for each node when the cluster starts.

use std::collections::BTreeMap;

use crate::target::ClusterSpec;

/// Every placeholder a template may use, with what it becomes (the guide's table).
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("node", "this node's name: n1, n2, ..."),
    ("index", "this node's position, from 0"),
    ("ip", "this node's IP address"),
    ("port", "the spec's node.port"),
    ("data_dir", "the spec's node.data_dir"),
    ("nodes", "every node's name, comma-separated: n1,n2,n3"),
    ("ips", "every node's IP, comma-separated"),
    ("peers", "the other nodes as ip:port, comma-separated"),
    (
        "members",
        "the initial member list, name=ip:port comma-separated",
    ),
    ("first_node", "the first node's name (n1)"),
    (
        "peers:PORT",
        "as {peers}, on PORT instead of node.port (e.g. a separate peer port)",
    ),
    ("members:PORT", "as {members}, on PORT instead of node.port"),
    ("first_ip", "the first node's IP (e.g. the initial primary)"),
];

/// Checks that `template` uses only known placeholders and balanced braces (`{{` and `}}` are
/// literal braces); the error says which placeholder is wrong.
pub fn check(template: &str) -> Result<(), String> {
    parse(template, |name| {
        let on_port = name
            .split_once(':')
            .filter(|(p, port)| matches!(*p, "peers" | "members") && port.parse::<u16>().is_ok());
        if on_port.is_some() || PLACEHOLDERS.iter().any(|(p, _)| *p == name) {
            Ok(String::new())
        } else {
            Err(format!(
                "unknown placeholder {{{name}}} in {template:?}; known: {}",
                PLACEHOLDERS
                    .iter()
                    .map(|(p, _)| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ))
        }
    })
    .map(|_| ())
}

/// The values of every placeholder for node `index`.
pub fn node_vars(
    cluster: &ClusterSpec,
    index: usize,
    port: u16,
    data_dir: &str,
) -> BTreeMap<&'static str, String> {
    let join = |f: &dyn Fn(usize) -> String, skip: Option<usize>| {
        (0..cluster.nodes.len())
            .filter(|i| Some(*i) != skip)
            .map(f)
            .collect::<Vec<_>>()
            .join(",")
    };
    let n = &cluster.nodes;
    let first = n.first();
    BTreeMap::from([
        ("node", n[index].name.clone()),
        ("index", index.to_string()),
        ("ip", n[index].ip.to_string()),
        ("port", port.to_string()),
        ("data_dir", data_dir.to_string()),
        ("nodes", join(&|i| n[i].name.clone(), None)),
        ("ips", join(&|i| n[i].ip.to_string(), None)),
        (
            "peers",
            join(&|i| format!("{}:{port}", n[i].ip), Some(index)),
        ),
        (
            "members",
            join(&|i| format!("{}={}:{port}", n[i].name, n[i].ip), None),
        ),
        (
            "first_node",
            first.map(|f| f.name.clone()).unwrap_or_default(),
        ),
        (
            "first_ip",
            first.map(|f| f.ip.to_string()).unwrap_or_default(),
        ),
    ])
}

/// `template` with every placeholder replaced; templates are checked when the spec loads, so an
/// unknown name here is left as written.
pub fn render(template: &str, vars: &BTreeMap<&'static str, String>) -> String {
    parse(template, |name| {
        if let Some(list) = vars.get(name) {
            return Ok(list.clone());
        }
        // `{peers:7001}`: the same list with every `:port` replaced.
        let on_port = name.split_once(':').and_then(|(p, port)| {
            let list = vars.get(p)?;
            let own = vars.get("port")?;
            Some(list.replace(&format!(":{own}"), &format!(":{port}")))
        });
        Ok(on_port.unwrap_or_else(|| format!("{{{name}}}")))
    })
    .unwrap_or_else(|_| template.to_string())
}

fn parse(
    template: &str,
    mut fill: impl FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => {
                            return Err(format!(
                                "unclosed {{ in {template:?} (write {{{{ for a literal brace)"
                            ))
                        }
                    }
                }
                out.push_str(&fill(name.trim())?);
            }
            '}' => {
                return Err(format!(
                    "stray }} in {template:?} (write }}}} for a literal brace)"
                ))
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::NodeSpec;

    fn cluster() -> ClusterSpec {
        ClusterSpec {
            nodes: (1..=3)
                .map(|i| NodeSpec {
                    name: format!("n{i}"),
                    ip: [10, 0, 0, i + 1].into(),
                })
                .collect(),
            mode: None,
            bug: None,
            options: Default::default(),
        }
    }

    #[test]
    fn every_placeholder_is_filled_per_node() {
        let vars = node_vars(&cluster(), 1, 7000, "/data");
        assert_eq!(
            render("--id {node} --at {ip}:{port} #{index} {data_dir}", &vars),
            "--id n2 --at 10.0.0.3:7000 #1 /data"
        );
        assert_eq!(render("{peers}", &vars), "10.0.0.2:7000,10.0.0.4:7000");
        assert_eq!(
            render("{members}", &vars),
            "n1=10.0.0.2:7000,n2=10.0.0.3:7000,n3=10.0.0.4:7000"
        );
        assert_eq!(render("{nodes} {first_node}", &vars), "n1,n2,n3 n1");
        assert_eq!(render("{{\"a\": {first_ip}}}", &vars), "{\"a\": 10.0.0.2}");
        assert_eq!(render("{peers:7001}", &vars), "10.0.0.2:7001,10.0.0.4:7001");
        assert_eq!(
            render("{members:7001}", &vars),
            "n1=10.0.0.2:7001,n2=10.0.0.3:7001,n3=10.0.0.4:7001"
        );
        assert!(PLACEHOLDERS
            .iter()
            .filter(|(p, _)| !p.contains(':'))
            .all(|(p, _)| vars.contains_key(p)));
    }

    #[test]
    fn unknown_or_unbalanced_placeholders_are_named() {
        assert!(check("--id {node} {{literal}} {members:7001}").is_ok());
        assert!(check("{members:x}").is_err());
        let e = check("--id {nod}").unwrap_err();
        assert!(e.contains("{nod}") && e.contains("{node}"), "{e}");
        assert!(check("--id {node").unwrap_err().contains("unclosed"));
        assert!(check("a } b").unwrap_err().contains("stray"));
    }
}
