//! The ZooKeeper image: Debian bookworm's ZooKeeper 3.8 (`libzookeeper-java`, the server and its
//! jars) on Debian's Java 17 (`default-jre-headless`), on the tools layer, with a start script
//! that writes each node's `zoo.cfg` and `myid` from its command line.
//!
//! Why not the `zookeeperd` package: it adds only an init script and a sample configuration, both
//! replaced here, and its `zookeeper` dependency pulls the desktop Java runtime (X11, ALSA, fonts).
//! The server code is the same jar (`/usr/share/java/zookeeper.jar`, whose manifest names its
//! dependencies' jars).

use crate::target::{ContextFile, ImageParent, ImageRecipe};

/// Where a node keeps its snapshots and transaction log: inside the container (not a volume), so a
/// killed and restarted node finds its data, as a crashed server would.
pub const DATA_DIR: &str = "/var/lib/faultline-zookeeper";
/// The start script's path in the image.
pub const START: &str = "/usr/local/bin/faultline-zookeeper";
/// The configuration every node shares; the start script appends the ensemble's `server.N` lines.
pub const CONFIG_DIR: &str = "/etc/faultline-zookeeper";

/// Settings of every node. The timing is ZooKeeper's sample configuration sped up (tick 2 s → 1 s,
/// syncLimit 5 → 2 ticks), so a follower cut from its leader notices in 2 s instead of 10 s and
/// a run of a minute sees several elections; durability (`forceSync`) stays at the default.
pub const BASE_CONFIG: &str = "\
# faultline: ZooKeeper 3.8 ensemble member; the start script appends myid's server.N lines.
tickTime=1000
# A follower has 10 ticks to connect and sync to a new leader, 2 ticks to answer it after.
initLimit=10
syncLimit=2
dataDir=/var/lib/faultline-zookeeper
clientPort=2181
# Up to 100 client processes come from one address (the host running the harness).
maxClientCnxns=0
# Sessions of 2..20 s; the target's clients ask for 4 s.
minSessionTimeout=2000
maxSessionTimeout=20000
# srvr is the health probe and tells the role (Mode) and epoch (Zxid); ruok and mntr for people.
4lw.commands.whitelist=srvr,ruok,mntr,stat
# No admin web server (port 8080): nothing uses it.
admin.enableServer=false
# A one-node ensemble runs standalone, a larger one as a quorum.
standaloneEnabled=true
";

/// Log to the console, which the harness saves as the node's `service.log`.
pub const LOG4J: &str = "\
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n
";

/// `faultline-zookeeper MYID [server.N=HOST:2888:3888 ...]`: writes `myid` and `zoo.cfg`, then
/// runs the server in the foreground as the container's process, so a kill of the container is a
/// kill of ZooKeeper. Writing both on every start is harmless: a restarted node gets the same.
pub const START_SCRIPT: &str = r#"#!/bin/sh
set -eu
myid=$1
shift
mkdir -p /var/lib/faultline-zookeeper
echo "$myid" > /var/lib/faultline-zookeeper/myid
cfg=/etc/faultline-zookeeper/zoo.cfg
cp /etc/faultline-zookeeper/base.cfg "$cfg"
for server in "$@"; do echo "$server" >> "$cfg"; done
# A small heap and the serial collector: up to five JVMs share the machine with the harness; C1
# only, for a start in about a second. The jar's manifest names no logging backend, so slf4j would
# fall back to its no-op logger: its log4j 1.2 binding and log4j itself are on the class path.
exec java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Djava.net.preferIPv4Stack=true \
  -Dlog4j.configuration=file:/etc/faultline-zookeeper/log4j.properties \
  -cp /etc/faultline-zookeeper:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$cfg"
"#;

/// The image recipe.
pub fn recipe() -> ImageRecipe {
    let instructions = format!(
        "\
RUN printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d \\
 && chmod +x /usr/sbin/policy-rc.d \\
 && mkdir -p /usr/share/man/man1 \\
 && apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends default-jre-headless libzookeeper-java \\
 && rm -rf /var/lib/apt/lists/* \\
 && java -version
COPY base.cfg log4j.properties {CONFIG_DIR}/
COPY faultline-zookeeper {START}
"
    );
    let file = |path: &str, text: &str, mode| ContextFile {
        path: path.into(),
        contents: text.as_bytes().to_vec(),
        mode,
    };
    ImageRecipe {
        name: "faultline-zookeeper".into(),
        // The tools layer: the nemesis needs iptables and libfaketime in every node.
        parent: ImageParent::Tools,
        instructions,
        files: vec![
            file("base.cfg", BASE_CONFIG, 0o644),
            file("log4j.properties", LOG4J, 0o644),
            file("faultline-zookeeper", START_SCRIPT, 0o755),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_debians_zookeeper_and_java_and_ships_every_file() {
        let r = recipe();
        assert_eq!(r.parent, ImageParent::Tools);
        assert!(r
            .instructions
            .contains("install -y --no-install-recommends default-jre-headless libzookeeper-java"));
        for f in &r.files {
            assert!(
                r.instructions.contains(&f.path),
                "{} is never copied",
                f.path
            );
        }
        assert!(BASE_CONFIG.contains(&format!("dataDir={DATA_DIR}")));
        assert!(START_SCRIPT.contains(DATA_DIR) && START_SCRIPT.contains(CONFIG_DIR));
        assert!(BASE_CONFIG.contains("4lw.commands.whitelist=srvr"));
        assert!(
            START_SCRIPT.contains("slf4j-log4j12.jar"),
            "without a binding the log is empty"
        );
    }
}
