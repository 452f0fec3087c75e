//! Pruning superseded images. Image tags are recipe hashes, so every rebuilt reference-node binary
//! (and every change to a recipe) leaves the previous image behind; `faultline clean --images`
//! keeps the newest image of each `faultline-*` repository and removes the rest.

use std::collections::BTreeMap;

use bollard::query_parameters::{ListImagesOptionsBuilder, RemoveImageOptionsBuilder};

use super::client::{DockerClient, DockerError};

/// The repositories the harness builds all start with this.
const REPO_PREFIX: &str = "faultline-";

/// One tagged image: `repo:tag` and when it was built (seconds since the epoch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaggedImage {
    pub tag: String,
    pub created: i64,
}

/// The tags to remove: every `faultline-*` tag except the newest of its repository. Other
/// repositories are never touched.
pub fn superseded(images: &[TaggedImage]) -> Vec<String> {
    let mut by_repo: BTreeMap<&str, Vec<&TaggedImage>> = BTreeMap::new();
    for image in images {
        let Some((repo, _)) = image.tag.rsplit_once(':') else {
            continue;
        };
        if repo.starts_with(REPO_PREFIX) {
            by_repo.entry(repo).or_default().push(image);
        }
    }
    let mut out = Vec::new();
    for (_, mut tags) in by_repo {
        // Newest first; ties broken by tag so the choice is deterministic.
        tags.sort_by(|a, b| b.created.cmp(&a.created).then(a.tag.cmp(&b.tag)));
        out.extend(tags.into_iter().skip(1).map(|t| t.tag.clone()));
    }
    out
}

impl DockerClient {
    /// Removes superseded `faultline-*` images; returns the removed tags and, per tag that could
    /// not be removed (e.g. a container still uses it), why.
    pub async fn prune_superseded_images(
        &self,
    ) -> Result<(Vec<String>, Vec<(String, String)>), DockerError> {
        let summaries = self
            .docker
            .list_images(Some(ListImagesOptionsBuilder::new().build()))
            .await
            .map_err(DockerError::api("listing images"))?;
        let tagged: Vec<TaggedImage> = summaries
            .iter()
            .flat_map(|s| {
                s.repo_tags.iter().map(|tag| TaggedImage {
                    tag: tag.clone(),
                    created: s.created,
                })
            })
            .collect();
        let (mut removed, mut kept) = (Vec::new(), Vec::new());
        for tag in superseded(&tagged) {
            // No force: an image a container still uses stays, and we say so.
            match self
                .docker
                .remove_image(&tag, Some(RemoveImageOptionsBuilder::new().build()), None)
                .await
            {
                Ok(_) => removed.push(tag),
                Err(e) => kept.push((tag, e.to_string())),
            }
        }
        Ok((removed, kept))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(tag: &str, created: i64) -> TaggedImage {
        TaggedImage {
            tag: tag.into(),
            created,
        }
    }

    #[test]
    fn keeps_the_newest_per_faultline_repository_only() {
        let images = [
            img("faultline-refnode:aaaa", 10),
            img("faultline-refnode:bbbb", 30),
            img("faultline-refnode:cccc", 20),
            img("faultline-etcd:1111", 5),
            img("faultline-tools:2222", 1),
            img("faultline-tools:3333", 2),
            img("debian:bookworm-slim", 0),
            img("someone-elses:latest", 0),
        ];
        let mut gone = superseded(&images);
        gone.sort();
        assert_eq!(
            gone,
            [
                "faultline-refnode:aaaa",
                "faultline-refnode:cccc",
                "faultline-tools:2222"
            ]
        );
    }
}
