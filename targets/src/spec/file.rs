//! The target spec file as TOML: one typed definition, read with serde. Fields that are checked
//! after parsing keep their place in the file ([`Spanned`]) so an error can name its line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A whole spec file (`faultline run --target-spec FILE.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// The target's name in results and reports (`redis`, `my-store`).
    pub name: Spanned<String>,
    pub image: Spanned<ImageSection>,
    pub node: NodeSection,
    pub health: HealthSection,
    #[serde(default)]
    pub hooks: HooksSection,
    #[serde(default)]
    pub supports: SupportsSection,
    pub adapter: AdapterSection,
}

/// Where the nodes' image comes from: exactly one of `tag`, `dockerfile`, or a recipe (`packages`,
/// `files`, `run`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSection {
    /// An image that already exists locally (nothing is built).
    pub tag: Option<String>,
    /// A Dockerfile, relative to the spec file; it carries its own `FROM`.
    pub dockerfile: Option<String>,
    /// The Dockerfile's build context, relative to the spec file (default: the Dockerfile's folder).
    pub context: Option<String>,
    /// Recipe: Debian packages installed on faultline's tools layer.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Recipe: files copied into the image.
    #[serde(default)]
    pub files: Vec<CopyFile>,
    /// Recipe: shell commands run after the packages and files (`RUN`).
    #[serde(default)]
    pub run: Vec<String>,
}

/// A file a recipe copies into the image.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyFile {
    /// Relative to the spec file.
    pub src: String,
    /// Absolute path in the image.
    pub dest: String,
    /// Octal permission bits as text (`"755"`); default `644`.
    pub mode: Option<String>,
}

/// How every node runs.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// The command line, one template per argument (see `template.rs` for the placeholders).
    pub command: Spanned<Vec<String>>,
    /// The port clients use (and `{port}`).
    pub port: u16,
    /// A directory inside the node whose contents survive kill and restart (`{data_dir}`).
    #[serde(default = "default_data_dir")]
    pub data_dir: String,
    /// Environment variables, values templated like the command.
    pub env: Option<Spanned<BTreeMap<String, String>>>,
    /// Files inside the node copied into the run's `nodes/<node>/` at teardown.
    #[serde(default)]
    pub logs: Vec<String>,
}

fn default_data_dir() -> String {
    "/data".into()
}

/// When a node counts as healthy.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSection {
    /// Run inside the node; exit status 0 is healthy.
    pub command: Spanned<Vec<String>>,
    /// Milliseconds one attempt may take before it counts as unhealthy.
    #[serde(default = "default_health_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_health_timeout_ms() -> u64 {
    2000
}

/// Commands run at points of the run.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksSection {
    #[serde(default)]
    pub after_start: Vec<Hook>,
    #[serde(default)]
    pub before_final_reads: Vec<Hook>,
}

/// One hook: a command run in some nodes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    /// `first` (default), `all`, `others` (every node but the first) or a node name (`n2`).
    #[serde(default = "default_hook_on")]
    pub on: Spanned<String>,
    pub command: Spanned<Vec<String>>,
    #[serde(default = "default_hook_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_hook_on() -> Spanned<String> {
    Spanned::new(0..0, "first".into())
}

fn default_hook_timeout_ms() -> u64 {
    30_000
}

/// What the target can do.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportsSection {
    /// The workloads the adapter implements; absent means every workload.
    pub workloads: Option<Spanned<Vec<String>>>,
    /// Whether libfaketime can skew the nodes' clock (a dynamically linked libc program on an
    /// image that has libfaketime: a recipe image does). Default false.
    #[serde(default)]
    pub clock_skew: bool,
    /// Why not, shown when the clock nemesis is refused.
    pub clock_skew_reason: Option<String>,
    pub min_nodes: Option<usize>,
    pub max_nodes: Option<usize>,
    /// Without `--nodes`; default 3 (or `max_nodes` when smaller).
    pub default_nodes: Option<usize>,
    /// Checkers that cannot judge this store, each with the reason (`{convergence = "..."}`).
    #[serde(default)]
    pub skip_checkers: BTreeMap<String, String>,
}

/// The client adapter: the user's program speaking the adapter protocol on stdin/stdout.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterSection {
    /// Program and arguments; a relative program path is relative to the spec file, and the
    /// adapter runs in the spec file's folder.
    pub command: Spanned<Vec<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Milliseconds the adapter has to answer `hello` after it starts.
    #[serde(default = "default_hello_timeout_ms")]
    pub hello_timeout_ms: u64,
}

fn default_hello_timeout_ms() -> u64 {
    10_000
}
