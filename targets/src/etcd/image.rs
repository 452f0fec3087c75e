//! The etcd image: Debian bookworm's `etcd-server` package on the tools layer (iptables,
//! libfaketime... for the nemesis), built by the harness like every image (no registry).

use crate::target::{ImageParent, ImageRecipe};

/// The recipe. `policy-rc.d` keeps the package's maintainer scripts from trying to start an etcd
/// service during the build (there is no init in a build container); the harness starts etcd
/// itself with the cluster's command line.
pub fn recipe() -> ImageRecipe {
    ImageRecipe {
        name: "faultline-etcd".into(),
        parent: ImageParent::Tools,
        instructions: "RUN printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d \\\n \
                       && chmod +x /usr/sbin/policy-rc.d \\\n \
                       && apt-get update \\\n \
                       && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server \\\n \
                       && rm -rf /var/lib/apt/lists/* \\\n \
                       && etcd --version\n"
            .into(),
        files: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_debians_etcd_server_on_the_tools_layer() {
        let r = recipe();
        assert_eq!(r.parent, ImageParent::Tools);
        assert!(r
            .instructions
            .contains("apt-get install -y --no-install-recommends etcd-server"));
        assert!(r.instructions.ends_with("etcd --version\n"));
    }
}
