//! faultline-targets: one module per system under test — how to build its image, start an N-node
//! cluster, tell when it is healthy, and a client per workload with its error mapping.

pub mod role;
pub mod target;

pub use role::{NodeRole, Role, Roles};
pub use target::{
    validate_cluster, validate_run, BoxFuture, Client, ClusterSpec, Completion, ContextFile,
    HookStage, ImageParent, ImageRecipe, NodeCommand, NodeSpec, OptionKind, Target, TargetError,
    TargetOption,
};

pub mod adapter;
pub mod etcd;
pub mod postgres;
pub mod postgres_ha;
pub mod reference;
pub mod spec;
pub mod zookeeper;

/// The targets `--target` accepts.
pub const TARGETS: &[&str] = &["reference", "etcd", "postgres", "postgres-ha", "zookeeper"];

/// How `by_name` (and a campaign's or a plan's target string) names a target spec file.
pub const SPEC_PREFIX: &str = "spec:";

/// The target named `name`.
/// `spec:PATH` is a target spec file (`--target-spec PATH`, or `target = "spec:PATH"` in a
/// campaign file).
pub fn by_name(name: &str) -> Result<Box<dyn Target>, TargetError> {
    if let Some(path) = name.strip_prefix(SPEC_PREFIX) {
        return spec::SpecTarget::load(std::path::Path::new(path))
            .map(|t| Box::new(t) as Box<dyn Target>)
            .map_err(|e| TargetError::Spec(Box::new(e)));
    }
    match name {
        "reference" | "refnode" => Ok(Box::new(reference::Reference::default())),
        "etcd" => Ok(Box::new(etcd::Etcd)),
        "postgres" | "postgresql" => Ok(Box::new(postgres::Postgres)),
        "postgres-ha" | "patroni" => Ok(Box::new(postgres_ha::PostgresHa)),
        "zookeeper" | "zk" => Ok(Box::new(zookeeper::ZooKeeper)),
        other => Err(TargetError::Unsupported(format!(
            "unknown target {other:?}; known targets: {}, or spec:FILE.toml",
            TARGETS.join(", ")
        ))),
    }
}
