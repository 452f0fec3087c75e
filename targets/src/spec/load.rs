//! Reading a spec file: TOML errors and every check that needs no Docker, each located by file,
//! line and field.

use std::ops::Range;
use std::path::Path;

use super::error::{from_toml, invalid, SpecError};
use super::file::{Hook, SpecFile};
use super::template;

/// Parses and checks `text`, the contents of `path`.
pub fn parse(path: &Path, text: &str) -> Result<SpecFile, SpecError> {
    let spec: SpecFile = toml::from_str(text).map_err(|e| from_toml(path, text, &e))?;
    let bad = |span: Range<usize>, field: &str, message: String| {
        Err(invalid(path, text, span, field, message))
    };

    let name = spec.name.get_ref();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return bad(
            spec.name.span(),
            "name",
            format!("{name:?} must be letters, digits, - or _ (it names result folders)"),
        );
    }

    let image = spec.image.get_ref();
    let recipe = !image.packages.is_empty() || !image.files.is_empty() || !image.run.is_empty();
    let kinds = [image.tag.is_some(), image.dockerfile.is_some(), recipe];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return bad(
            spec.image.span(),
            "image",
            "give exactly one of: tag = \"an existing local image\"; dockerfile = \"path\" (with optional context); or a recipe (packages, files, run)".into(),
        );
    }
    if image.context.is_some() && image.dockerfile.is_none() {
        return bad(
            spec.image.span(),
            "image.context",
            "context belongs with dockerfile".into(),
        );
    }

    let templates = |field: &str, span: Range<usize>, args: &[String]| -> Result<(), SpecError> {
        if args.is_empty() || args[0].trim().is_empty() {
            return Err(invalid(
                path,
                text,
                span,
                field,
                "must name a program (a non-empty list of arguments)",
            ));
        }
        for arg in args {
            template::check(arg).map_err(|e| invalid(path, text, span.clone(), field, e))?;
        }
        Ok(())
    };
    templates(
        "node.command",
        spec.node.command.span(),
        spec.node.command.get_ref(),
    )?;
    if let Some(env) = &spec.node.env {
        for (k, v) in env.get_ref() {
            if let Err(e) = template::check(v) {
                return bad(env.span(), &format!("node.env.{k}"), e);
            }
        }
    }
    if spec.node.port == 0 {
        return bad(0..0, "node.port", "must be a port number, 1-65535".into());
    }
    templates(
        "health.command",
        spec.health.command.span(),
        spec.health.command.get_ref(),
    )?;
    for (stage, hooks) in [
        ("hooks.after_start", &spec.hooks.after_start),
        ("hooks.before_final_reads", &spec.hooks.before_final_reads),
    ] {
        for hook in hooks {
            check_hook(path, text, stage, hook)?;
        }
    }

    let s = &spec.supports;
    if let Some(workloads) = &s.workloads {
        let known: Vec<&str> = faultline_workloads::WORKLOADS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        for w in workloads.get_ref() {
            if !known.contains(&w.as_str()) {
                return bad(
                    workloads.span(),
                    "supports.workloads",
                    format!("unknown workload {w:?}; known: {}", known.join(", ")),
                );
            }
        }
    }
    let min = s.min_nodes.unwrap_or(1);
    if min == 0 || s.max_nodes.is_some_and(|max| max < min) {
        return bad(
            0..0,
            "supports.min_nodes",
            format!(
                "needs 1 <= min_nodes <= max_nodes (got {min} and {:?})",
                s.max_nodes
            ),
        );
    }
    if let Some(d) = s.default_nodes {
        if d < min || s.max_nodes.is_some_and(|max| d > max) {
            return bad(
                0..0,
                "supports.default_nodes",
                format!("{d} is outside min_nodes..max_nodes"),
            );
        }
    }
    if spec.adapter.command.get_ref().is_empty() {
        return bad(
            spec.adapter.command.span(),
            "adapter.command",
            "must name the adapter program".into(),
        );
    }
    Ok(spec)
}

fn check_hook(path: &Path, text: &str, stage: &str, hook: &Hook) -> Result<(), SpecError> {
    let on = hook.on.get_ref();
    let node_name = on
        .strip_prefix('n')
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    if !(matches!(on.as_str(), "first" | "all" | "others") || node_name) {
        return Err(invalid(
            path,
            text,
            hook.on.span(),
            &format!("{stage}.on"),
            format!("{on:?} must be first, all, others or a node name such as n2"),
        ));
    }
    let field = format!("{stage}.command");
    let span = hook.command.span();
    if hook.command.get_ref().is_empty() {
        return Err(invalid(path, text, span, &field, "must name a program"));
    }
    for arg in hook.command.get_ref() {
        template::check(arg).map_err(|e| invalid(path, text, span.clone(), &field, e))?;
    }
    Ok(())
}
