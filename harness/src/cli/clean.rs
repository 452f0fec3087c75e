//! `faultline clean`: remove the Docker objects of runs whose controller is gone.

use clap::Args;

use crate::docker::DockerClient;
use crate::exit::{Exit, FaultlineError};

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Also remove objects of runs whose controller still seems alive.
    #[arg(long)]
    pub all: bool,
    /// Only this run id.
    #[arg(long)]
    pub run: Option<String>,
    /// Also remove superseded faultline-* images: each rebuilt reference node or changed recipe
    /// leaves its previous image; the newest of each repository is kept.
    #[arg(long)]
    pub images: bool,
}

/// Runs `faultline clean`.
pub fn execute(args: CleanArgs) -> Result<Exit, FaultlineError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(FaultlineError::Runtime)?;
    runtime.block_on(async {
        let docker = DockerClient::connect().await?;
        let runs = docker.run_objects(args.run.as_deref()).await?;
        let mut failed = false;
        let mut removed = 0;
        for (run, objects) in &runs {
            if objects.owner_alive() && !args.all && args.run.is_none() {
                println!("kept run {run}: its controller (pid {}) is still running; use --all to remove it anyway", objects.pid.unwrap_or(0));
                continue;
            }
            match docker.remove_run(run).await {
                Ok(o) => {
                    removed += 1;
                    println!("removed run {run}: {}", o.summary());
                }
                Err(e) => {
                    failed = true;
                    eprintln!("faultline: {e}");
                }
            }
        }
        if args.images {
            let (gone, kept) = docker.prune_superseded_images().await?;
            for tag in &gone {
                println!("removed image {tag}");
            }
            for (tag, why) in &kept {
                println!("kept image {tag}: {why}");
            }
            removed += gone.len();
        }
        if removed == 0 && !failed {
            println!("nothing to clean");
        }
        Ok::<_, FaultlineError>(if failed { Exit::HarnessFailed } else { Exit::Valid })
    })
}
