//! The PostgreSQL image: Debian bookworm's `postgresql-15` on the tools layer, with a cluster
//! initialised at build time (database `faultline`, the workload tables of [`super::sql::SCHEMA`]),
//! so a node serves within about a second of starting and a restarted container (docker start of
//! the same container after a kill) finds its data in its own writable layer.

use crate::target::{ContextFile, ImageParent, ImageRecipe};

use super::sql::SCHEMA;

/// Debian bookworm's PostgreSQL major version.
pub const PG_MAJOR: u32 = 15;
/// Where the server's binaries are (Debian keeps them out of `PATH`).
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The data directory, inside the container (not a volume), so it lives as long as the container.
pub const PG_DATA: &str = "/var/lib/postgresql/faultline";
/// The database the clients use.
pub const DATABASE: &str = "faultline";
/// The role the clients connect as (trusted, no password).
pub const USER: &str = "postgres";

/// Server settings appended to initdb's `postgresql.conf`. Durability stays at PostgreSQL's
/// defaults (`fsync`, `synchronous_commit` on): a kill must not lose acknowledged commits.
pub const SERVER_CONF: &str = "\
# faultline: listen on the run network; clients connect from the host through its gateway.
listen_addresses = '*'
port = 5432
# Up to 100 client processes plus probes and final reads, with room for replaced connections.
max_connections = 300
# A socket directory that exists without Debian's tmpfiles setup.
unix_socket_directories = '/tmp'
# The service container's output is the node log the harness saves.
logging_collector = off
log_destination = 'stderr'
log_line_prefix = '%m [%p] '
# Aborted transactions are the point of the exercise and the history records each one: log
# startup, recovery and fatal errors (LOG and up), not every ERROR.
log_min_messages = log
log_min_error_statement = panic
# Crash recovery first makes the data directory durable. File by file (fsync, the default) that
# took 5 s on the container's overlay filesystem, longer than a kill nemesis period; one syncfs
# takes 0.1 s and is as durable.
recovery_init_sync_method = syncfs
# Report deadlocks (40P01, a `fail`) well within the harness's 1 s operation timeout; at the
# default 1 s the clients would time out first and record `info`.
deadlock_timeout = '100ms'
";

/// Client authentication: trust within the networks the server is attached to (`samenet`: the run's
/// bridge network, whose gateway is the host running the harness), nothing else.
pub const HBA_CONF: &str = "\
# faultline: trust on the local socket and on the run network only.
local all all trust
host all all samenet trust
";

/// The image recipe.
pub fn recipe() -> ImageRecipe {
    let instructions = format!(
        "\
# Debian's postgresql-common would create and start a cluster of its own at install; we initdb ours.
RUN mkdir -p /etc/postgresql-common/createcluster.d \\
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/faultline.conf \\
 && apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-{PG_MAJOR} \\
 && rm -rf /var/lib/apt/lists/*
COPY faultline-postgresql.conf faultline-pg_hba.conf faultline-schema.sql /etc/faultline/
RUN install -d -o {USER} -g {USER} -m 700 {PG_DATA} \\
 && su {USER} -s /bin/sh -c '{PG_BIN}/initdb -D {PG_DATA} -U {USER} --auth=trust -E UTF8 --no-locale' \\
 && cat /etc/faultline/faultline-postgresql.conf >> {PG_DATA}/postgresql.conf \\
 && cp /etc/faultline/faultline-pg_hba.conf {PG_DATA}/pg_hba.conf \\
 && su {USER} -s /bin/sh -c '{PG_BIN}/pg_ctl -D {PG_DATA} -o \"-c listen_addresses=\" -w start \\
   && {PG_BIN}/createdb -h /tmp {DATABASE} \\
   && {PG_BIN}/psql -h /tmp -v ON_ERROR_STOP=1 -q -d {DATABASE} -f /etc/faultline/faultline-schema.sql \\
   && {PG_BIN}/pg_ctl -D {PG_DATA} -m fast -w stop'
USER {USER}
WORKDIR {PG_DATA}
"
    );
    let file = |path: &str, text: &str| ContextFile {
        path: path.into(),
        contents: text.as_bytes().to_vec(),
        mode: 0o644,
    };
    ImageRecipe {
        name: "faultline-postgres".into(),
        // The tools layer: the nemesis needs iptables and libfaketime in every node.
        parent: ImageParent::Tools,
        instructions,
        files: vec![
            file("faultline-postgresql.conf", SERVER_CONF),
            file("faultline-pg_hba.conf", HBA_CONF),
            file("faultline-schema.sql", SCHEMA),
        ],
    }
}

/// The server's command line: the postmaster in the foreground as the container's process, so a
/// kill of the container is a kill of PostgreSQL.
pub fn command() -> Vec<String> {
    vec![format!("{PG_BIN}/postgres"), "-D".into(), PG_DATA.into()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_installs_debian_postgresql_and_ships_its_config() {
        let r = recipe();
        assert_eq!(r.parent, ImageParent::Tools);
        assert!(
            r.instructions.contains("postgresql-15"),
            "{}",
            r.instructions
        );
        assert!(r.instructions.contains("USER postgres"));
        let names: Vec<&str> = r.files.iter().map(|f| f.path.as_str()).collect();
        for name in &names {
            assert!(r.instructions.contains(name), "{name} is never copied");
        }
        assert!(HBA_CONF.contains("samenet trust"));
        assert!(
            !HBA_CONF.contains("0.0.0.0/0"),
            "trust must not reach past the run network"
        );
        assert_eq!(
            command(),
            [format!("{PG_BIN}/postgres"), "-D".into(), PG_DATA.into()]
        );
    }
}
