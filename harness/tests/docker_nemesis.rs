//! Node pairs and every nemesis against the real Docker engine, with a shell service standing in
//! for a store. A missing Docker is a failure, not a skip.

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use std::sync::Arc;

use faultline::backend::docker::{install, DockerCluster};
use faultline::backend::Cluster;
use faultline::docker::containers::ServiceSpec;
use faultline::docker::images::tools_recipe;
use faultline::docker::{DockerClient, NodeContainers};
use faultline::nemesis::faults;
use faultline::nemesis::{Grudge, Nemesis};
use faultline::results::Recorder;

async fn rules(docker: &DockerClient, node: &NodeContainers, chain: &str) -> String {
    docker
        .exec_ok(&node.infra, &["iptables", "-S", chain])
        .await
        .expect("iptables -S")
}

async fn service_clock(docker: &DockerClient, node: &NodeContainers) -> f64 {
    // `docker exec` inherits the container's environment, so libfaketime is preloaded here too.
    let out = docker
        .exec_ok(&node.service, &["date", "+%s.%N"])
        .await
        .expect("date");
    out.trim().parse().expect("a number")
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_pairs_keep_ip_and_rules_and_every_fault_heals() {
    let docker = DockerClient::connect().await.expect("Docker engine");
    assert!(!docker.api_version.is_empty());
    let base = docker.ensure_base().await.expect("base image");
    let tools = docker
        .ensure_recipe(&tools_recipe(), &base)
        .await
        .expect("tools image");
    let run_id = format!("test-nemesis-{}", std::process::id());
    let _guard = faultline::docker::CleanupGuard::new(&run_id);

    let network = docker.create_run_network(&run_id).await.expect("network");
    let mut nodes = Vec::new();
    for i in 0..3 {
        let node = docker
            .start_infra(&run_id, &network, i, &tools)
            .await
            .expect("infra");
        install(&docker, &node).await.expect("install");
        let spec = ServiceSpec {
            image: tools.clone(),
            cmd: vec!["sleep".into(), "infinity".into()],
            env: vec![],
            faketime: true,
        };
        docker
            .start_service(&run_id, &node, &spec)
            .await
            .expect("service");
        assert_eq!(node.ip, network.node_ip(i));
        nodes.push(node);
    }
    let recorder = Recorder::in_memory(Instant::now());
    let spec = Arc::new(faultline_targets::ClusterSpec {
        nodes: nodes
            .iter()
            .map(|n| faultline_targets::NodeSpec {
                name: n.node.clone(),
                ip: n.ip,
            })
            .collect(),
        mode: None,
        bug: None,
        options: BTreeMap::new(),
    });
    let cluster = Arc::new(DockerCluster::new(
        docker.clone(),
        run_id.clone(),
        network,
        nodes.clone(),
        spec,
    ));
    cluster.prepare_faults().await;
    let mut nemesis = Nemesis::new(cluster.clone(), recorder.clone());

    // Partition: n1 against n2 and n3, both ways; one exec per node, concurrently.
    let grudge: Grudge = BTreeMap::from([
        ("n1".into(), vec!["n2".into(), "n3".into()]),
        ("n2".into(), vec!["n1".into()]),
        ("n3".into(), vec!["n1".into()]),
    ]);
    let started = Instant::now();
    nemesis.perform(&faults::partition("one", grudge)).await;
    let partition_ms = started.elapsed().as_secs_f64() * 1000.0;
    eprintln!("partition in force {partition_ms:.0} ms after it was asked for");
    assert!(
        partition_ms < 100.0,
        "partition took {partition_ms:.0} ms through the node shells"
    );
    let n1_rules = rules(&docker, &nodes[0], "FAULTLINE-PART").await;
    assert!(
        n1_rules.contains(&format!("-s {}/32 -j DROP", nodes[1].ip)),
        "{n1_rules}"
    );
    assert!(
        n1_rules.contains(&format!("-s {}/32 -j DROP", nodes[2].ip)),
        "{n1_rules}"
    );
    let n2_rules = rules(&docker, &nodes[1], "FAULTLINE-PART").await;
    assert!(n2_rules.contains(&format!("-s {}/32 -j DROP", nodes[0].ip)));
    assert!(!n2_rules.contains(&nodes[2].ip.to_string()));
    let input = rules(&docker, &nodes[0], "INPUT").await;
    assert!(input.contains("-j FAULTLINE-PART") && input.contains("-j FAULTLINE-LOSS"));

    // Kill and restart n1's service: same IP, rules still in force.
    nemesis.perform(&faults::kill(vec!["n1".into()])).await;
    assert_eq!(
        docker.state(&nodes[0].service).await.unwrap(),
        (false, false)
    );
    nemesis.perform(&faults::restart(vec!["n1".into()])).await;
    assert_eq!(
        docker.state(&nodes[0].service).await.unwrap(),
        (true, false)
    );
    let addr = docker
        .exec_ok(
            &nodes[0].service,
            &["ip", "-4", "-o", "addr", "show", "eth0"],
        )
        .await
        .unwrap();
    assert!(addr.contains(&nodes[0].ip.to_string()), "{addr}");
    assert!(rules(&docker, &nodes[0], "FAULTLINE-PART")
        .await
        .contains("DROP"));

    // Clock: n2 100 s ahead, n3 untouched; the host clock never moves.
    nemesis
        .perform(&faults::offset(BTreeMap::from([("n2".into(), 100.0)])))
        .await;
    let skew = service_clock(&docker, &nodes[1]).await - now();
    assert!((98.0..102.0).contains(&skew), "n2 skew {skew}");
    let plain = service_clock(&docker, &nodes[2]).await - now();
    assert!(plain.abs() < 2.0, "n3 skew {plain}");
    nemesis
        .perform(&faults::bump(BTreeMap::from([("n2".into(), -50.0)])))
        .await;
    let bumped = service_clock(&docker, &nodes[1]).await - now();
    assert!((48.0..52.0).contains(&bumped), "n2 after bump {bumped}");

    // Pause and loss.
    nemesis.perform(&faults::pause(vec!["n3".into()])).await;
    assert_eq!(docker.state(&nodes[2].service).await.unwrap(), (true, true));
    nemesis
        .perform(&faults::loss(vec!["n2".into()], 0.25))
        .await;
    let loss = rules(&docker, &nodes[1], "FAULTLINE-LOSS").await;
    assert!(loss.contains("--probability 0.25"), "{loss}");
    assert!(!nemesis.is_healed());

    // Heal undoes everything and records each end.
    nemesis.heal().await;
    assert!(nemesis.is_healed());
    assert!(!rules(&docker, &nodes[0], "FAULTLINE-PART")
        .await
        .contains("DROP"));
    assert!(!rules(&docker, &nodes[1], "FAULTLINE-LOSS")
        .await
        .contains("DROP"));
    assert_eq!(
        docker.state(&nodes[2].service).await.unwrap(),
        (true, false)
    );
    let healed = service_clock(&docker, &nodes[1]).await - now();
    assert!(healed.abs() < 2.0, "n2 after reset {healed}");
    let (events, _) = recorder.snapshot();
    let names: Vec<&str> = events.iter().map(|e| e.f.as_str()).collect();
    assert_eq!(
        names,
        [
            "partition-start",
            "kill",
            "restart",
            "clock-offset",
            "clock-bump",
            "pause",
            "loss-start",
            "partition-stop",
            "loss-stop",
            "resume",
            "clock-reset"
        ]
    );
    assert!(events.iter().all(|e| e.error.is_none()), "{events:?}");

    // Removal leaves nothing labelled with the run.
    docker.remove_run(&run_id).await.expect("remove");
    let left = docker.run_objects(Some(&run_id)).await.unwrap();
    assert!(left.values().all(|o| o.is_empty()), "{left:?}");
}
