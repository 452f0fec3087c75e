//! The per-run bridge network with a static subnet, so every node keeps a fixed IP that partition
//! rules can name.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use bollard::models::{Ipam, IpamConfig, NetworkCreateRequest};
use bollard::query_parameters::ListNetworksOptionsBuilder;

use super::client::{run_labels, DockerClient, DockerError};

/// An IPv4 subnet `addr/prefix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subnet {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    pub fn parse(s: &str) -> Option<Subnet> {
        let (addr, prefix) = s.split_once('/')?;
        let prefix: u8 = prefix.parse().ok()?;
        (prefix <= 32).then_some(())?;
        Some(Subnet {
            addr: addr.parse().ok()?,
            prefix,
        })
    }

    fn range(&self) -> (u32, u32) {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        };
        let start = u32::from(self.addr) & mask;
        (start, start | !mask)
    }

    pub fn overlaps(&self, other: &Subnet) -> bool {
        let (a0, a1) = self.range();
        let (b0, b1) = other.range();
        a0 <= b1 && b0 <= a1
    }

    /// The `n`-th host address (1 is the gateway).
    pub fn host(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(self.range().0 + n)
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// `/24` candidates in 10.213.0.0/16 that overlap none of `taken`, starting at `start` so
/// concurrent runs tend to pick different ones.
pub fn free_subnets(taken: &[Subnet], start: u8) -> Vec<Subnet> {
    (0..=255u16)
        .map(|i| ((u16::from(start) + i) % 256) as u8)
        .map(|third| Subnet {
            addr: Ipv4Addr::new(10, 213, third, 0),
            prefix: 24,
        })
        .filter(|c| !taken.iter().any(|t| t.overlaps(c)))
        .collect()
}

/// The network a run made.
#[derive(Clone, Debug)]
pub struct RunNetwork {
    pub name: String,
    pub id: String,
    pub subnet: Subnet,
}

impl RunNetwork {
    pub fn gateway(&self) -> Ipv4Addr {
        self.subnet.host(1)
    }
    /// Node `index` (0-based) lives at `.2 + index`.
    pub fn node_ip(&self, index: usize) -> Ipv4Addr {
        self.subnet.host(2 + index as u32)
    }
}

impl DockerClient {
    /// Creates the run's network on a subnet no existing network uses (retrying on a race).
    pub async fn create_run_network(&self, run_id: &str) -> Result<RunNetwork, DockerError> {
        let name = format!("faultline-{run_id}");
        let networks = self
            .docker
            .list_networks(Some(ListNetworksOptionsBuilder::new().build()))
            .await
            .map_err(DockerError::api("listing networks"))?;
        let taken: Vec<Subnet> = networks
            .iter()
            .filter_map(|n| n.ipam.as_ref()?.config.as_ref())
            .flatten()
            .filter_map(|c| Subnet::parse(c.subnet.as_deref()?))
            .collect();
        let start = (std::process::id() % 256) as u8;
        let mut last_err = None;
        for subnet in free_subnets(&taken, start).into_iter().take(8) {
            let request = NetworkCreateRequest {
                name: name.clone(),
                driver: Some("bridge".into()),
                ipam: Some(Ipam {
                    driver: Some("default".into()),
                    config: Some(vec![IpamConfig {
                        subnet: Some(subnet.to_string()),
                        gateway: Some(subnet.host(1).to_string()),
                        ..Default::default()
                    }]),
                    options: None,
                }),
                labels: Some(run_labels(run_id, "network", None)),
                options: Some(HashMap::new()),
                ..Default::default()
            };
            match self.docker.create_network(request).await {
                Ok(created) => {
                    return Ok(RunNetwork {
                        name,
                        id: created.id,
                        subnet,
                    })
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(match last_err {
            Some(e) => DockerError::api(format!("creating network {name}"))(e),
            None => DockerError::Other(format!(
                "no free /24 left in 10.213.0.0/16 for network {name}"
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_and_free_choice() {
        let docker = Subnet::parse("172.17.0.0/16").unwrap();
        let big = Subnet::parse("10.213.0.0/17").unwrap();
        let one = Subnet::parse("10.213.200.0/24").unwrap();
        assert!(big.overlaps(&Subnet::parse("10.213.5.0/24").unwrap()));
        assert!(!big.overlaps(&one));
        assert!(!docker.overlaps(&one));
        let free = free_subnets(&[docker, big, one], 0);
        assert_eq!(free.len(), 127);
        assert_eq!(free[0].to_string(), "10.213.128.0/24");
        assert!(free.iter().all(|s| !s.overlaps(&one) && !s.overlaps(&big)));
        assert_eq!(free[0].host(1), Ipv4Addr::new(10, 213, 128, 1));
        assert!(Subnet::parse("10.0.0.0/33").is_none());
        assert!(Subnet::parse("nonsense").is_none());
    }
}
