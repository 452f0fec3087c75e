//! Images, built locally with no registry (DESIGN.md section 5).
//!
//! Three layers: a Debian bookworm base (`debian:bookworm-slim` when it is present or can be pulled,
//! otherwise a `debootstrap --variant=minbase` root filesystem imported through the image-create API),
//! the tools layer every node needs for faults, and the target's own image. Each is tagged with a
//! hash of its recipe (and of its parent's tag, so a new base rebuilds what sits on it); an image
//! whose tag exists is not rebuilt.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateImageOptionsBuilder, TagImageOptionsBuilder,
};
use faultline_targets::{ImageParent, ImageRecipe};
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;

use super::client::{not_found, DockerClient, DockerError};

/// The packages the nemesis needs inside every node: iptables (partitions, loss), iproute2
/// (inspection), libfaketime (clock faults), procps (`pkill`, `ps` for diagnosis).
pub const TOOLS_PACKAGES: &[&str] = &["iptables", "iproute2", "libfaketime", "faketime", "procps"];

/// The recipe of the base image; bump the version word to force a rebuild everywhere.
const BASE_RECIPE: &str = "debian bookworm minbase v1";
const BASE_REPO: &str = "faultline-base";
const UPSTREAM_SLIM: &str = "debian:bookworm-slim";

/// The image tags a run uses.
#[derive(Clone, Debug)]
pub struct Images {
    pub base: String,
    pub tools: String,
    pub target: String,
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms (unlike `DefaultHasher`), which a
/// cache key must be.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separate fields so ("ab","c") and ("a","bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

/// The tag of `recipe` built on `parent_tag`: `name:<16 hex digits>`.
pub fn recipe_tag(recipe: &ImageRecipe, parent_tag: &str) -> String {
    let mut h = Fnv::new();
    h.write(parent_tag.as_bytes());
    h.write(recipe.instructions.as_bytes());
    for f in &recipe.files {
        h.write(f.path.as_bytes());
        h.write(&f.mode.to_le_bytes());
        h.write(&f.contents);
    }
    format!("{}:{:016x}", recipe.name, h.0)
}

fn base_tag() -> String {
    let mut h = Fnv::new();
    h.write(BASE_RECIPE.as_bytes());
    format!("{BASE_REPO}:{:016x}", h.0)
}

/// The tools layer's recipe.
pub fn tools_recipe() -> ImageRecipe {
    ImageRecipe {
        name: "faultline-tools".into(),
        parent: ImageParent::Base,
        instructions: format!(
            "RUN apt-get update \\\n && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {} \\\n && rm -rf /var/lib/apt/lists/*\n",
            TOOLS_PACKAGES.join(" ")
        ),
        files: Vec::new(),
    }
}

/// Prints one progress line per image actually built, with how long it took.
fn progress(msg: &str) {
    eprintln!("faultline: {msg}");
}

impl DockerClient {
    pub async fn image_exists(&self, tag: &str) -> Result<bool, DockerError> {
        match self.docker.inspect_image(tag).await {
            Ok(_) => Ok(true),
            Err(e) if not_found(&e) => Ok(false),
            Err(e) => Err(DockerError::api(format!("inspecting image {tag}"))(e)),
        }
    }

    /// Base, tools and the target's image, building whichever is missing.
    pub async fn ensure_images(&self, target: &ImageRecipe) -> Result<Images, DockerError> {
        let base = self.ensure_base().await?;
        let tools = self.ensure_recipe(&tools_recipe(), &base).await?;
        let target = match target.parent {
            ImageParent::Base => self.ensure_recipe(target, &base).await?,
            ImageParent::Tools => self.ensure_recipe(target, &tools).await?,
            // A Dockerfile names its own parent; the tag still hashes everything it builds from.
            ImageParent::Own => self.ensure_recipe(target, "").await?,
            ImageParent::Existing => {
                if !self.image_exists(&target.name).await? {
                    return Err(DockerError::Other(format!(
                        "image {} does not exist locally (no registry is used: build or load it first)",
                        target.name
                    )));
                }
                target.name.clone()
            }
        };
        Ok(Images {
            base,
            tools,
            target,
        })
    }

    /// The base image's tag, building it when missing.
    pub async fn ensure_base(&self) -> Result<String, DockerError> {
        let tag = base_tag();
        if self.image_exists(&tag).await? {
            return Ok(tag);
        }
        let started = Instant::now();
        if self.image_exists(UPSTREAM_SLIM).await? || self.try_pull_slim().await {
            self.tag(UPSTREAM_SLIM, &tag).await?;
            progress(&format!("base image {tag} from {UPSTREAM_SLIM}"));
            return Ok(tag);
        }
        progress(&format!(
            "building base image {tag}: no registry, so debootstrap --variant=minbase bookworm (takes a minute or two)"
        ));
        let rootfs = debootstrap().await?;
        let imported = self.import_rootfs(&rootfs, &tag).await;
        let _ = std::fs::remove_dir_all(&rootfs);
        imported?;
        progress(&format!(
            "built {tag} in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        Ok(tag)
    }

    /// One quick attempt to pull `debian:bookworm-slim`; false when there is no registry.
    async fn try_pull_slim(&self) -> bool {
        let opts = CreateImageOptionsBuilder::new()
            .from_image("debian")
            .tag("bookworm-slim")
            .build();
        let pull = async {
            let mut stream = self.docker.create_image(Some(opts), None, None);
            while let Some(item) = stream.next().await {
                item?;
            }
            Ok::<(), bollard::errors::Error>(())
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(20), pull).await,
            Ok(Ok(()))
        )
    }

    async fn tag(&self, from: &str, to: &str) -> Result<(), DockerError> {
        let (repo, tag) = to.split_once(':').unwrap_or((to, "latest"));
        self.docker
            .tag_image(
                from,
                Some(TagImageOptionsBuilder::new().repo(repo).tag(tag).build()),
            )
            .await
            .map_err(DockerError::api(format!("tagging {from} as {to}")))
    }

    /// Streams `tar -C rootfs -c .` into `POST /images/create?fromSrc=-`.
    async fn import_rootfs(&self, rootfs: &Path, tag: &str) -> Result<(), DockerError> {
        let mut child = tokio::process::Command::new("tar")
            .arg("-C")
            .arg(rootfs)
            .args(["--numeric-owner", "-c", "."])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| {
                DockerError::Other(format!("cannot run tar to pack the root filesystem: {e}"))
            })?;
        let stdout = child.stdout.take().expect("piped stdout");
        let chunks = futures_util::stream::unfold(stdout, |mut out| async move {
            let mut buf = vec![0u8; 1 << 16];
            match out.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<_, std::io::Error>(buf.into()), out))
                }
                Err(e) => Some((Err(e), out)),
            }
        });
        let (repo, version) = tag.split_once(':').unwrap_or((tag, "latest"));
        let opts = CreateImageOptionsBuilder::new()
            .from_src("-")
            .repo(repo)
            .tag(version)
            .changes(vec!["CMD [\"/bin/bash\"]".to_string()])
            .build();
        let mut stream =
            self.docker
                .create_image(Some(opts), Some(bollard::body_try_stream(chunks)), None);
        while let Some(item) = stream.next().await {
            item.map_err(DockerError::api(format!(
                "importing the root filesystem as {tag}"
            )))?;
        }
        let status = child
            .wait()
            .await
            .map_err(|e| DockerError::Other(format!("tar: {e}")))?;
        if !status.success() {
            return Err(DockerError::Other(format!(
                "tar of {} failed: {status}",
                rootfs.display()
            )));
        }
        Ok(())
    }

    /// Builds `recipe` on `parent` unless its tag exists; returns the tag.
    pub async fn ensure_recipe(
        &self,
        recipe: &ImageRecipe,
        parent: &str,
    ) -> Result<String, DockerError> {
        let tag = recipe_tag(recipe, parent);
        if self.image_exists(&tag).await? {
            return Ok(tag);
        }
        progress(&format!(
            "building image {tag} ({})",
            if parent.is_empty() {
                "its own Dockerfile".to_string()
            } else {
                format!("FROM {parent}")
            }
        ));
        let started = Instant::now();
        let context = build_context(recipe, parent)
            .map_err(|e| DockerError::Other(format!("packing the build context of {tag}: {e}")))?;
        let opts = BuildImageOptionsBuilder::new()
            .dockerfile("Dockerfile")
            .t(&tag)
            .rm(true)
            .forcerm(true)
            .build();
        let mut stream =
            self.docker
                .build_image(opts, None, Some(bollard::body_full(context.into())));
        let mut last_lines: Vec<String> = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(line) = info.stream {
                        let line = line.trim_end().to_string();
                        if line.starts_with("Step ") {
                            progress(&format!("  {tag}: {line}"));
                        }
                        if !line.is_empty() {
                            last_lines.push(line);
                            if last_lines.len() > 15 {
                                last_lines.remove(0);
                            }
                        }
                    }
                }
                Err(e) => {
                    return Err(DockerError::Other(format!(
                        "building image {tag} failed: {e}\nlast build output:\n{}",
                        last_lines.join("\n")
                    )))
                }
            }
        }
        if !self.image_exists(&tag).await? {
            return Err(DockerError::Other(format!(
                "building image {tag} ended without an image; last build output:\n{}",
                last_lines.join("\n")
            )));
        }
        progress(&format!(
            "built {tag} in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        Ok(tag)
    }
}

/// A tar archive holding `Dockerfile` and the recipe's files.
pub fn build_context(recipe: &ImageRecipe, parent: &str) -> std::io::Result<Vec<u8>> {
    // An empty parent: the instructions are a whole Dockerfile with their own FROM.
    let dockerfile = if parent.is_empty() {
        recipe.instructions.clone()
    } else {
        format!("FROM {parent}\n{}", recipe.instructions)
    };
    let mut builder = tar::Builder::new(Vec::new());
    let mut append = |path: &str, mode: u32, data: &[u8]| -> std::io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_mtime(0);
        header.set_cksum();
        builder.append_data(&mut header, path, data)
    };
    append("Dockerfile", 0o644, dockerfile.as_bytes())?;
    for f in &recipe.files {
        append(&f.path, f.mode, &f.contents)?;
    }
    builder.into_inner()
}

/// Runs `debootstrap --variant=minbase bookworm` into a fresh directory and returns it.
async fn debootstrap() -> Result<PathBuf, DockerError> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("debootstrap").is_file()))
        .unwrap_or(false)
        || Path::new("/usr/sbin/debootstrap").is_file();
    if !found {
        return Err(DockerError::Other(
            "no registry is reachable and `debootstrap` is not installed, so no base image can be made; \
             install it with `apt-get install debootstrap` (or load debian:bookworm-slim into Docker)"
                .into(),
        ));
    }
    let mirror = std::env::var("FAULTLINE_DEBIAN_MIRROR")
        .unwrap_or_else(|_| "http://deb.debian.org/debian".into());
    let dir = std::env::temp_dir().join(format!("faultline-rootfs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = tokio::process::Command::new("debootstrap")
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .args(["--variant=minbase", "bookworm"])
        .arg(&dir)
        .arg(&mirror)
        .output()
        .await
        .map_err(|e| DockerError::Other(format!("cannot run debootstrap: {e}")))?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        let err = String::from_utf8_lossy(&output.stderr);
        let out = String::from_utf8_lossy(&output.stdout);
        let tail: Vec<&str> = out.lines().chain(err.lines()).collect();
        let tail = tail[tail.len().saturating_sub(12)..].join("\n");
        return Err(DockerError::Other(format!(
            "debootstrap --variant=minbase bookworm {} from {mirror} failed ({}); it needs root and Debian's mirror:\n{tail}",
            dir.display(),
            output.status
        )));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_targets::ContextFile;

    fn recipe(instr: &str, contents: &[u8]) -> ImageRecipe {
        ImageRecipe {
            name: "x".into(),
            parent: ImageParent::Tools,
            instructions: instr.into(),
            files: vec![ContextFile {
                path: "bin".into(),
                contents: contents.to_vec(),
                mode: 0o755,
            }],
        }
    }

    #[test]
    fn tag_changes_with_recipe_binary_and_parent_only() {
        let a = recipe_tag(&recipe("COPY bin /", b"one"), "p:1");
        assert_eq!(a, recipe_tag(&recipe("COPY bin /", b"one"), "p:1"));
        assert_ne!(a, recipe_tag(&recipe("COPY bin /", b"two"), "p:1"));
        assert_ne!(a, recipe_tag(&recipe("COPY bin /x", b"one"), "p:1"));
        assert_ne!(a, recipe_tag(&recipe("COPY bin /", b"one"), "p:2"));
        assert!(a.starts_with("x:") && a.len() == 2 + 16);
    }

    #[test]
    fn build_context_holds_dockerfile_and_files() {
        let ctx = build_context(&recipe("COPY bin /bin2\n", b"\x7fELF"), "p:1").unwrap();
        let mut archive = tar::Archive::new(&ctx[..]);
        let mut names = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut body = String::new();
            let name = entry.path().unwrap().display().to_string();
            if name == "Dockerfile" {
                std::io::Read::read_to_string(&mut entry, &mut body).unwrap();
                assert_eq!(body, "FROM p:1\nCOPY bin /bin2\n");
            } else {
                assert_eq!(entry.header().mode().unwrap(), 0o755);
            }
            names.push(name);
        }
        assert_eq!(names, ["Dockerfile", "bin"]);
    }
}
