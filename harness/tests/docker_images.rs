//! The image chain against the real Docker engine: a missing Docker is a failure, not a skip.

use faultline::docker::{images::tools_recipe, DockerClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_and_tools_images_build_once_and_hold_the_fault_tools() {
    let docker = DockerClient::connect().await.expect("Docker engine");
    let base = docker.ensure_base().await.expect("base image");
    let tools = docker
        .ensure_recipe(&tools_recipe(), &base)
        .await
        .expect("tools image");
    // A second call finds the tag and builds nothing.
    let started = std::time::Instant::now();
    assert_eq!(
        docker.ensure_recipe(&tools_recipe(), &base).await.unwrap(),
        tools
    );
    assert!(started.elapsed().as_secs() < 5);
    assert!(docker.image_exists(&tools).await.unwrap());
}
