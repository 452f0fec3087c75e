//! The postgres-ha image: Debian bookworm's `postgresql-15`, `patroni` (3.0) with `python3-etcd`
//! (Patroni's etcd client library) and `etcd-server` (3.4) on the tools layer. Nothing is
//! initialised at build time: Patroni bootstraps the cluster when the nodes first start (one node
//! runs initdb and [`SCHEMA_SCRIPT`], the others clone it), which is what a real deployment does.
//!
//! Every node runs an etcd member and Patroni (which runs PostgreSQL) in one container, started by
//! [`NODE_SCRIPT`]: a fault aimed at a node reaches its etcd member, its Patroni and its PostgreSQL
//! together, as a failed machine would (docs/targets/postgres-ha.md says why).

use crate::postgres::image::{PG_BIN, PG_MAJOR, USER};
use crate::postgres::sql::SCHEMA;
use crate::target::{ContextFile, ImageParent, ImageRecipe};

use super::patroni::{DATA_DIR, POST_BOOTSTRAP};

/// Where the node script writes Patroni's configuration (from [`CONFIG_ENV`]).
pub const CONFIG_FILE: &str = "/tmp/faultline-patroni.yml";
/// The environment variable that carries the node's Patroni configuration.
pub const CONFIG_ENV: &str = "FAULTLINE_PATRONI_CONFIG";
/// The node script's path.
pub const NODE: &str = "/usr/local/bin/faultline-ha-node";

/// The container's command: its arguments are the etcd member's command line. The member runs in
/// the background; Patroni replaces the shell as the container's main process (Patroni as PID 1
/// reaps its children), so a kill of the container is a kill of all three.
pub const NODE_SCRIPT: &str = "\
#!/bin/sh
set -e
printf '%s\\n' \"$FAULTLINE_PATRONI_CONFIG\" > /tmp/faultline-patroni.yml
\"$@\" &
exec patroni /tmp/faultline-patroni.yml
";

/// The table the health probe writes through the leader and reads on every replica.
pub const PROBE_TABLE: &str = "\
-- health: the probe writes through the leader and reads the row on each replica.
CREATE TABLE faultline_probe (id int PRIMARY KEY, at timestamptz NOT NULL);
";

/// Patroni's `post_bootstrap`: creates the workload database and tables on the new cluster.
pub fn schema_script() -> String {
    let database = crate::postgres::image::DATABASE;
    format!(
        "\
#!/bin/sh
set -e
{PG_BIN}/psql -h /tmp -U {USER} -d postgres -v ON_ERROR_STOP=1 -q -c 'CREATE DATABASE {database}'
{PG_BIN}/psql -h /tmp -U {USER} -d {database} -v ON_ERROR_STOP=1 -q -f /etc/faultline/faultline-ha-schema.sql
"
    )
}

/// The image recipe.
pub fn recipe() -> ImageRecipe {
    let instructions = format!(
        "\
# No package may start a service or create a cluster of its own during the build: the harness
# starts etcd and Patroni with each node's configuration, and Patroni runs initdb.
RUN printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \\
 && mkdir -p /etc/postgresql-common/createcluster.d \\
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/faultline.conf \\
 && apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
    postgresql-{PG_MAJOR} patroni python3-etcd etcd-server \\
 && rm -rf /var/lib/apt/lists/* \\
 && patroni --version && etcd --version
COPY faultline-ha-node faultline-ha-schema /usr/local/bin/
COPY faultline-ha-schema.sql /etc/faultline/
RUN install -d -o {USER} -g {USER} -m 700 {DATA_DIR} {etcd} \\
 && test -x {POST_BOOTSTRAP}
USER {USER}
WORKDIR /var/lib/postgresql
",
        etcd = crate::etcd::DATA_DIR,
    );
    let file = |path: &str, text: &str, mode: u32| ContextFile {
        path: path.into(),
        contents: text.as_bytes().to_vec(),
        mode,
    };
    ImageRecipe {
        name: "faultline-postgres-ha".into(),
        // The tools layer: the nemesis needs iptables and libfaketime in every node.
        parent: ImageParent::Tools,
        instructions,
        files: vec![
            file("faultline-ha-node", NODE_SCRIPT, 0o755),
            file("faultline-ha-schema", &schema_script(), 0o755),
            file(
                "faultline-ha-schema.sql",
                &format!("{SCHEMA}{PROBE_TABLE}"),
                0o644,
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_installs_the_three_debian_packages_and_ships_its_scripts() {
        let r = recipe();
        assert_eq!(r.parent, ImageParent::Tools);
        for package in ["postgresql-15", "patroni", "python3-etcd", "etcd-server"] {
            assert!(r.instructions.contains(package), "{package}");
        }
        for f in &r.files {
            assert!(
                r.instructions.contains(&f.path),
                "{} is never copied",
                f.path
            );
        }
        assert!(r.instructions.contains("USER postgres"));
        assert!(NODE_SCRIPT.contains(CONFIG_ENV) && NODE_SCRIPT.contains(CONFIG_FILE));
        assert!(NODE_SCRIPT.contains("exec patroni"));
        assert!(POST_BOOTSTRAP.ends_with("faultline-ha-schema"));
        assert!(schema_script().contains("CREATE DATABASE faultline"));
        let sql = String::from_utf8(r.files[2].contents.clone()).unwrap();
        assert!(sql.contains("CREATE TABLE lists") && sql.contains("CREATE TABLE faultline_probe"));
    }
}
