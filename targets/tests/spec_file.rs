//! Target spec files: a good one becomes per-node commands, health, hooks and an image; a bad one
//! is an error naming the file, the line and the field.

use std::path::PathBuf;

use faultline_targets::spec::{SpecError, SpecTarget};
use faultline_targets::{ClusterSpec, HookStage, ImageParent, NodeSpec, Target};

const GOOD: &str = r#"
name = "kv-store"

[image]
packages = ["redis-server"]
run = ["mkdir -p /data"]

[node]
command = ["kv", "--id", "{node}", "--listen", "{ip}:{port}", "--join", "{members}", "--dir", "{data_dir}"]
port = 6379
data_dir = "/var/lib/kv"
env = { KV_NAME = "{node}" }
logs = ["/var/log/kv.log"]

[health]
command = ["kv-cli", "-h", "{ip}", "ping"]
timeout_ms = 500

[[hooks.after_start]]
on = "others"
command = ["kv-cli", "follow", "{first_ip}"]

[[hooks.before_final_reads]]
command = ["kv-cli", "sync"]

[supports]
workloads = ["register", "set"]
max_nodes = 5
skip_checkers = { convergence = "reads go to the primary" }

[adapter]
command = ["python3", "adapter.py"]
"#;

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-spec-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn cluster(n: u8) -> ClusterSpec {
    ClusterSpec {
        nodes: (1..=n)
            .map(|i| NodeSpec {
                name: format!("n{i}"),
                ip: [10, 1, 0, i + 1].into(),
            })
            .collect(),
        mode: None,
        bug: None,
        options: Default::default(),
    }
}

#[test]
fn a_good_spec_becomes_commands_health_hooks_and_an_image() {
    let t = SpecTarget::load(&write("good.toml", GOOD)).unwrap();
    let c = cluster(3);
    assert_eq!(t.name(), "kv-store");
    assert_eq!(
        t.command(&c, 1),
        [
            "kv",
            "--id",
            "n2",
            "--listen",
            "10.1.0.3:6379",
            "--join",
            "n1=10.1.0.2:6379,n2=10.1.0.3:6379,n3=10.1.0.4:6379",
            "--dir",
            "/var/lib/kv"
        ]
    );
    assert_eq!(t.env(&c, 2), ["KV_NAME=n3"]);
    let health = t.health_command(&c, 0).unwrap();
    assert_eq!(health.command, ["kv-cli", "-h", "10.1.0.2", "ping"]);
    assert_eq!(health.timeout.as_millis(), 500);
    let after: Vec<(usize, Vec<String>)> = t
        .hooks(&c, HookStage::AfterStart)
        .into_iter()
        .map(|(i, h)| (i, h.command))
        .collect();
    let follow = |i| {
        (
            i,
            vec!["kv-cli".to_string(), "follow".into(), "10.1.0.2".into()],
        )
    };
    assert_eq!(after, [follow(1), follow(2)]);
    assert_eq!(t.hooks(&c, HookStage::BeforeFinalReads)[0].0, 0);
    assert_eq!(t.workloads(), Some(vec!["register", "set"]));
    assert_eq!(t.max_nodes().map(|(m, _)| m), Some(5));
    assert_eq!(t.log_files(), ["/var/log/kv.log"]);
    assert_eq!(t.inapplicable_checkers(&c)[0].0, "convergence");
    assert_eq!(t.client_port(), 6379);
    assert!(t
        .clock_skew_support()
        .unwrap_err()
        .to_string()
        .contains("clock_skew"));
    let image = t.image().unwrap();
    assert_eq!(image.parent, ImageParent::Tools);
    assert!(image.instructions.contains("redis-server"));
    assert!(faultline_targets::validate_run(&t, 7, "register").is_err());
    assert!(faultline_targets::validate_run(&t, 3, "list-append").is_err());
    assert!(faultline_targets::validate_run(&t, 3, "set").is_ok());
}

#[test]
fn a_hook_aimed_at_a_node_needs_that_many_nodes() {
    let text = GOOD.replace("on = \"others\"", "on = \"n4\"");
    let t = SpecTarget::load(&write("hook-n4.toml", &text)).unwrap();
    assert_eq!(t.min_nodes().map(|(m, _)| m), Some(4));
    let e = faultline_targets::validate_run(&t, 3, "register")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("at least 4 nodes") && e.contains("a hook of the target spec"),
        "{e}"
    );
    assert!(faultline_targets::validate_run(&t, 4, "register").is_ok());
    assert_eq!(t.hooks(&cluster(4), HookStage::AfterStart)[0].0, 3);
    // Without such a hook, no minimum of its own.
    let plain = SpecTarget::load(&write("plain.toml", GOOD)).unwrap();
    assert!(plain.min_nodes().is_none());
}

/// The error for `text` (GOOD with `from` replaced by `to`), as (line, field, whole message).
fn error_for(name: &str, from: &str, to: &str) -> (usize, String, String) {
    assert!(GOOD.contains(from), "{from}");
    let path = write(name, &GOOD.replacen(from, to, 1));
    match SpecTarget::load(&path) {
        Err(e @ SpecError::Invalid { .. }) => {
            let text = e.to_string();
            assert!(text.starts_with(&path.display().to_string()), "{text}");
            let SpecError::Invalid { line, field, .. } = e else {
                unreachable!()
            };
            (line, field, text)
        }
        other => panic!("expected an invalid-spec error, got {other:?}"),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn a_wrong_type_names_its_line_and_field() {
    let (line, field, msg) = error_for("type.toml", "port = 6379", "port = \"six\"");
    assert_eq!(
        (line, field.as_str()),
        (line_of(GOOD, "port = 6379"), "node.port")
    );
    assert!(msg.contains(&format!(":{line}: node.port:")), "{msg}");
}

#[test]
fn a_misspelt_field_is_named() {
    let (line, field, _) = error_for("typo.toml", "data_dir =", "data_dri =");
    assert_eq!(
        (line, field.as_str()),
        (line_of(GOOD, "data_dir ="), "node.data_dri")
    );
}

#[test]
fn a_missing_field_is_named() {
    let (_, field, msg) = error_for("missing.toml", "port = 6379\n", "");
    assert_eq!(field, "node.port", "{msg}");
    assert!(msg.contains("missing field"), "{msg}");
}

#[test]
fn broken_toml_names_its_line() {
    let (line, _, _) = error_for("syntax.toml", "timeout_ms = 500", "timeout_ms = = 500");
    assert_eq!(line, line_of(GOOD, "timeout_ms = 500"));
}

#[test]
fn an_unknown_placeholder_names_the_field_and_the_known_ones() {
    let (line, field, msg) = error_for(
        "placeholder.toml",
        "\"{node}\", \"--listen\"",
        "\"{nod}\", \"--listen\"",
    );
    assert_eq!(
        (line, field.as_str()),
        (line_of(GOOD, "command = [\"kv\""), "node.command")
    );
    assert!(msg.contains("{nod}") && msg.contains("{members}"), "{msg}");
}

#[test]
fn two_image_sources_an_unknown_workload_and_a_bad_hook_target_are_refused() {
    let (_, field, _) = error_for("image.toml", "packages = [", "tag = \"x:1\"\npackages = [");
    assert_eq!(field, "image");
    let (line, field, msg) = error_for(
        "workload.toml",
        "\"register\", \"set\"",
        "\"register\", \"sett\"",
    );
    assert_eq!(
        (line, field.as_str()),
        (line_of(GOOD, "workloads ="), "supports.workloads")
    );
    assert!(msg.contains("sett"), "{msg}");
    let (line, field, _) = error_for("hook.toml", "on = \"others\"", "on = \"leader\"");
    assert_eq!(
        (line, field.as_str()),
        (line_of(GOOD, "on = \"others\""), "hooks.after_start.on")
    );
}
